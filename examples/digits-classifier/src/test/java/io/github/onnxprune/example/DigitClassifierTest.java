package io.github.onnxprune.example;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class DigitClassifierTest {

    @Test
    void recognisesAHandDrawnOne() throws Exception {
        // A vertical stroke down the middle columns, as the digits data set draws a 1.
        float[] pixels = new float[64];
        for (int row = 0; row < 8; row++) {
            pixels[row * 8 + 3] = 1f;
            pixels[row * 8 + 4] = 1f;
        }
        try (DigitClassifier classifier = new DigitClassifier()) {
            assertEquals(1, classifier.classify(pixels));
        }
    }
}
