package app;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class PrunedModelTest {

    @Test
    void theTestSeesThePrunedModelBesideTheOriginalOnTheClasspath() throws Exception {
        byte[] pruned = Files.readAllBytes(Path.of(System.getProperty("pruned.models"), "models/digits.onnx"));
        byte[] original;
        try (InputStream in = PrunedModelTest.class.getResourceAsStream("/models/digits.onnx")) {
            original = in.readAllBytes();
        }
        assertFalse(Arrays.equals(pruned, original));
        assertTrue(new String(pruned, StandardCharsets.ISO_8859_1).contains("onnx-prune.version"));
        System.out.println("Tested the pruned model: " + pruned.length + " bytes");
    }
}
