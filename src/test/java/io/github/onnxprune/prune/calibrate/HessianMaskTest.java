package io.github.onnxprune.prune.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HessianMaskTest {

    private static int count(boolean[] mask) {
        int n = 0;
        for (boolean b : mask) {
            n += b ? 1 : 0;
        }
        return n;
    }

    /**
     * One output, two independent inputs: x0 varies 100 times more than x1 (H = diag(100, 0.01)). Magnitude would
     * zero w0 = 0.5 (output error 100 * 0.25 = 25); OBS zeros w1 = 1 (error 0.01 * 1 = 0.01).
     */
    @Test
    void zeroesTheWeightWhoseInputBarelyVariesNotTheSmallerOne() {
        double[] inverse = HessianMask.inverse(new double[] {100, 0, 0, 0.01}, 2);
        double[] weights = {0.5, 1.0};
        assertArrayEquals(new boolean[] {false, true}, HessianMask.greedy(inverse, weights, 2, 1, 1));
        assertArrayEquals(new boolean[] {false, true}, HessianMask.oneShot(inverse, weights, 2, 1, 1));
    }

    /**
     * Inputs x0 and x1 nearly equal: after x1's weight goes, x0's weight takes over its share, so the greedy
     * sweep then removes the independent input x2's small weight rather than x0's. One-shot saliency cannot see
     * that the second removal got cheaper.
     */
    @Test
    void greedyRemovalMovesAPrunedWeightToItsTwin() {
        double[] h = {1.0, 0.99, 0, 0.99, 1.0, 0, 0, 0, 1.0};
        double[] inverse = HessianMask.inverse(h, 3);
        boolean[] mask = HessianMask.greedy(inverse, new double[] {1.0, 1.0, 0.3}, 3, 1, 1);
        // The twins are redundant: dropping one costs about 0.02, far less than x2's 0.09.
        assertEquals(1, count(mask));
        assertFalse(mask[2]);
        boolean[] two = HessianMask.greedy(inverse, new double[] {1.0, 1.0, 0.3}, 3, 1, 2);
        assertTrue(two[2] && (two[0] ^ two[1]), "one twin and x2 go, not both twins");
        assertArrayEquals(new boolean[] {true, true, false},
                HessianMask.oneShot(inverse, new double[] {1.0, 1.0, 0.3}, 3, 1, 2));
    }

    /** Outputs compete for the layer's zeros: an output of tiny weights loses all of them first. */
    @Test
    void theLayersZerosGoWhereTheyCostLeastAcrossOutputs() {
        double[] inverse = HessianMask.inverse(new double[] {1, 0, 0, 1}, 2);
        // Canonical features x outputs: output 0 has weights 0.01 and 0.02, output 1 has 1 and 2.
        double[] weights = {0.01, 1, 0.02, 2};
        boolean[] greedy = HessianMask.greedy(inverse, weights, 2, 2, 2);
        assertArrayEquals(new boolean[] {true, false, true, false}, greedy);
        assertArrayEquals(greedy, HessianMask.oneShot(inverse, weights, 2, 2, 2));
    }

    @Test
    void zeroesExactlyTheCountAskedAndTheSameForTheSameInput() {
        SplittableRandom random = new SplittableRandom(7);
        int features = 12;
        int outputs = 5;
        int rows = 40;
        double[] x = new double[rows * features];
        for (int i = 0; i < x.length; i++) {
            x[i] = random.nextDouble() * 2 - 1;
        }
        double[] h = new double[features * features];
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < features; i++) {
                for (int j = 0; j < features; j++) {
                    h[i * features + j] += x[r * features + i] * x[r * features + j];
                }
            }
        }
        for (int i = 0; i < features; i++) {
            h[i * features + i] += 0.01;
        }
        double[] weights = new double[features * outputs];
        for (int i = 0; i < weights.length; i++) {
            // Ties on purpose: many weights of equal magnitude.
            weights[i] = random.nextInt(3) - 1;
        }
        double[] inverse = HessianMask.inverse(h, features);
        for (int zeros : new int[] {0, 1, 30, 54, 60}) {
            boolean[] greedy = HessianMask.greedy(inverse, weights, features, outputs, zeros);
            boolean[] oneShot = HessianMask.oneShot(inverse, weights, features, outputs, zeros);
            assertEquals(zeros, count(greedy));
            assertEquals(zeros, count(oneShot));
            assertArrayEquals(greedy, HessianMask.greedy(inverse, weights.clone(), features, outputs, zeros));
            assertArrayEquals(oneShot, HessianMask.oneShot(inverse, weights.clone(), features, outputs, zeros));
        }
    }
}
