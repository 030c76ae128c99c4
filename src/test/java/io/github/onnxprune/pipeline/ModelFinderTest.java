package io.github.onnxprune.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
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

    @Test
    void theIntendedPathOfAnAbsoluteOrDottedPathIsRelativeToTheFolderHoldingIt() {
        Path classes = root.resolve("target/classes");
        Path resources = root.resolve("src/main/resources");
        List<Path> roots = List.of(classes, resources);
        assertEquals(Optional.of("models/x.onnx"),
                ModelFinder.intendedPath(resources.resolve("models/x.onnx").toString(), roots));
        assertEquals(Optional.of("models/x.onnx"),
                ModelFinder.intendedPath(classes.resolve("models/x.onnx").toString(), roots));
        assertEquals(Optional.of("models/x.onnx"), ModelFinder.intendedPath("./models/x.onnx", roots));
        assertEquals(Optional.of("x.onnx"), ModelFinder.intendedPath("models/../x.onnx", roots));
        assertEquals(Optional.of("models/x.onnx"), ModelFinder.intendedPath("models\\x.onnx", roots));
        assertEquals(Optional.empty(), ModelFinder.intendedPath("../x.onnx", roots));
        assertEquals(Optional.empty(), ModelFinder.intendedPath("/etc/x.onnx", roots));
    }
}
