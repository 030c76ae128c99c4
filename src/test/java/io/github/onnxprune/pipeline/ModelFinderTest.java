package io.github.onnxprune.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFinderTest {

    @TempDir
    Path root;

    @Test
    void antPatternsMatchAtAnyDepthAndExcludesWin() throws IOException {
        for (String file : List.of("a.onnx", "models/b.onnx", "models/deep/c.onnx", "models/readme.txt",
                "other/d.onnx")) {
            Files.createDirectories(root.resolve(file).getParent());
            Files.write(root.resolve(file), new byte[] {1});
        }
        assertEquals(List.of("a.onnx", "models/b.onnx", "models/deep/c.onnx", "other/d.onnx"),
                ModelFinder.find(root, List.of("**/*.onnx"), List.of()));
        assertEquals(List.of("models/b.onnx"),
                ModelFinder.find(root, List.of("models/*.onnx"), List.of()));
        assertEquals(List.of("a.onnx", "models/b.onnx"),
                ModelFinder.find(root, List.of("**/*.onnx"), List.of("**/deep/**", "other/**")));
        assertEquals(List.of(), ModelFinder.find(root.resolve("missing"), List.of("**/*.onnx"), List.of()));
    }
}
