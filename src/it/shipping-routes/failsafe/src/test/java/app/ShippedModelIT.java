package app;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ShippedModelIT {

    @Test
    void theModelOnTheClasspathIsThePrunedOneFromTheJar() throws Exception {
        URL url = ShippedModelIT.class.getResource("/models/digits.onnx");
        byte[] model;
        try (InputStream in = url.openStream()) {
            model = in.readAllBytes();
        }
        assertTrue(url.toString().startsWith("jar:"), url.toString());
        assertTrue(new String(model, StandardCharsets.ISO_8859_1).contains("onnx-prune.version"));
        System.out.println("Tested the shipped model from " + url);
    }
}
