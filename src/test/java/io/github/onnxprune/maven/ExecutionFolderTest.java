package io.github.onnxprune.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExecutionFolderTest {

    @Test
    void theDefaultExecutionsKeepTargetOnnxPruneAndOthersGetASiblingByTheirId() {
        assertEquals(Path.of("/p/target/onnx-prune"), ExecutionFolder.of(null, "/p/target", "default"));
        assertEquals(Path.of("/p/target/onnx-prune"), ExecutionFolder.of(null, "/p/target", "default-cli"));
        assertEquals(Path.of("/p/target/onnx-prune"), ExecutionFolder.of(null, "/p/target", null));
        assertEquals(Path.of("/p/target/onnx-prune-classified"), ExecutionFolder.of(null, "/p/target", "classified"));
        assertEquals(Path.of("/p/target/onnx-prune-for_tests_x"), ExecutionFolder.of(null, "/p/target", "for tests/x"));
        assertEquals(Path.of("/p/target/onnx-prune-_.."), ExecutionFolder.of(null, "/p/target", "..."));
    }

    @Test
    void aConfiguredFolderWinsForEveryExecution() {
        assertEquals(Path.of("/elsewhere"), ExecutionFolder.of(new File("/elsewhere"), "/p/target", "classified"));
    }

    @Test
    void existingFoldersAreTheDefaultFirstThenTheOthersByNameAndNothingElse(@TempDir Path target) throws Exception {
        for (String name : List.of("onnx-prune-zeta", "classes", "onnx-prune-alpha", "onnx-prune", "onnx-pruned")) {
            Files.createDirectories(target.resolve(name));
        }
        Files.writeString(target.resolve("onnx-prune-file"), "not a folder");
        assertEquals(List.of(target.resolve("onnx-prune"), target.resolve("onnx-prune-alpha"),
                target.resolve("onnx-prune-zeta")), ExecutionFolder.existing(target));
        assertEquals(List.of(), ExecutionFolder.existing(target.resolve("missing")));
    }
}
