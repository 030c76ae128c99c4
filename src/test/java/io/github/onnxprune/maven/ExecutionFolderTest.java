package io.github.onnxprune.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

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
}
