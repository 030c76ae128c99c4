package io.github.onnxprune.ship;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfinedPathsTest {

    @TempDir
    Path folder;

    @Test
    void onlyRelativeNormalisedForwardSlashNamesPass() {
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("models/x.onnx", null);
        expected.put("x.onnx", null);
        expected.put("models/..x.onnx", null);
        expected.put("/work/src/main/resources/models/x.onnx", "is absolute");
        expected.put("C:/models/x.onnx", "is absolute");
        expected.put("\\\\server\\x.onnx", "is absolute");
        expected.put("../x.onnx", "leaves its folder through '..'");
        expected.put("models/../../x.onnx", "leaves its folder through '..'");
        expected.put("./models/x.onnx", "is not normalised (it has '.', '//' or a trailing '/')");
        expected.put("models//x.onnx", "is not normalised (it has '.', '//' or a trailing '/')");
        expected.put("models/", "is not normalised (it has '.', '//' or a trailing '/')");
        expected.put("models\\x.onnx", "contains a backslash");
        expected.put("models/x\n.onnx", "contains a control character");
        expected.put("", "is empty");
        for (Map.Entry<String, String> name : expected.entrySet()) {
            assertEquals(Optional.ofNullable(name.getValue()), ConfinedPaths.problem(name.getKey()), name.getKey());
        }
    }

    @Test
    void resolvesInsideTheFolderAndRefusesWhatLeavesIt() throws IOException {
        Path root = folder.resolve("onnx-prune");
        assertEquals(root.toAbsolutePath().resolve("models/models/x.onnx"),
                ConfinedPaths.resolve(root, "models/models/x.onnx"));
        IOException absolute = assertThrows(IOException.class,
                () -> ConfinedPaths.resolve(root, folder.resolve("src/x.onnx").toString()));
        assertEquals("Refusing to write '" + folder.resolve("src/x.onnx") + "' under " + root
                + ": the name is absolute", absolute.getMessage());
        assertThrows(IOException.class, () -> ConfinedPaths.resolve(root, "models/../../src/x.onnx"));
    }

    @Test
    void aSymbolicLinkOnTheWayOutOfTheFolderIsRefused() throws IOException {
        Path sources = Files.createDirectories(folder.resolve("src/main/resources/models"));
        Path root = Files.createDirectories(folder.resolve("target/onnx-prune"));
        Files.createSymbolicLink(root.resolve("models"), sources.getParent());
        IOException error = assertThrows(IOException.class,
                () -> ConfinedPaths.resolve(root, "models/models/x.onnx"));
        assertEquals(true, error.getMessage().contains("is a link to " + sources.getParent().toRealPath()),
                error.getMessage());
        assertFalse(Files.exists(sources.resolve("x.onnx")));
        // A link that stays inside is fine.
        Files.createDirectories(root.resolve("real"));
        Files.createSymbolicLink(root.resolve("inside"), root.resolve("real"));
        assertEquals(root.toAbsolutePath().resolve("inside/x.onnx"), ConfinedPaths.resolve(root, "inside/x.onnx"));
    }
}
