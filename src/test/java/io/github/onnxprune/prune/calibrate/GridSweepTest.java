package io.github.onnxprune.prune.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GridSweepTest {

    private static final int FEATURES = 300;
    private static final int OUTPUTS = 40;

    /** {@code X^T X + I} of correlated columns: column j leans on column j - 1, as neighbouring features do. */
    private static double[] hessian(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int rows = 600;
        double[] x = new double[rows * FEATURES];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < FEATURES; j++) {
                double own = random.nextGaussian();
                x[r * FEATURES + j] = j == 0 ? own : 0.9 * x[r * FEATURES + j - 1] + 0.45 * own;
            }
        }
        double[] h = new double[FEATURES * FEATURES];
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < FEATURES; i++) {
                double xi = x[r * FEATURES + i];
                for (int j = 0; j < FEATURES; j++) {
                    h[i * FEATURES + j] += xi * x[r * FEATURES + j];
                }
            }
        }
        for (int i = 0; i < FEATURES; i++) {
            h[i * FEATURES + i] += 1;
        }
        return h;
    }

    /** Half the weights zero, the others Gaussian, and a few tiny ones that plain rounding would zero. */
    private static double[] weights(boolean[] zero) {
        SplittableRandom random = new SplittableRandom(7);
        double[] w = new double[FEATURES * OUTPUTS];
        for (int i = 0; i < w.length; i++) {
            zero[i] = random.nextBoolean();
            w[i] = zero[i] ? 0 : random.nextGaussian() * (i % 97 == 0 ? 1e-4 : 1);
        }
        return w;
    }

    /** {@code sum_o (w_o - v_o)^T H (w_o - v_o)}: the squared output error of replacing w by v. */
    private static double outputError(double[] h, double[] w, double[] v) {
        double total = 0;
        for (int o = 0; o < OUTPUTS; o++) {
            for (int i = 0; i < FEATURES; i++) {
                double di = w[i * OUTPUTS + o] - v[i * OUTPUTS + o];
                for (int j = 0; j < FEATURES; j++) {
                    total += di * h[i * FEATURES + j] * (w[j * OUTPUTS + o] - v[j * OUTPUTS + o]);
                }
            }
        }
        return total;
    }

    @Test
    void everyWeightEndsOnTheGridTheQuantizerWillFindWithTheMaskKept() {
        double[] h = hessian(1);
        boolean[] zero = new boolean[FEATURES * OUTPUTS];
        double[] original = weights(zero);
        double[] w = original.clone();
        float[] scales = GridSweep.round(SparseSweep.inverseFactor(h, FEATURES), w, FEATURES, OUTPUTS, zero);
        for (int o = 0; o < OUTPUTS; o++) {
            // The quantizer's rule on the stored float32 weights: scale from the largest magnitude, then rint.
            double max = 0;
            for (int f = 0; f < FEATURES; f++) {
                max = Math.max(max, Math.abs((float) w[f * OUTPUTS + o]));
            }
            float scale = (float) (max / 127);
            assertEquals(scales[o], scale, Math.ulp(scale), "output " + o);
            int atLimit = 0;
            for (int f = 0; f < FEATURES; f++) {
                int i = f * OUTPUTS + o;
                float stored = (float) w[i];
                assertEquals(w[i], stored, 0, "already float32 at " + i);
                double level = Math.rint(stored / scale);
                assertEquals(level * scales[o], stored, Math.ulp(stored), "on the grid at " + i);
                assertEquals(zero[i], level == 0, "zero exactly where the mask says at " + i);
                assertTrue(Math.abs(level) <= 127);
                atLimit += Math.abs(level) == 127 ? 1 : 0;
            }
            assertTrue(atLimit >= 1, "output " + o + " has a weight at level 127");
        }
        // Same input, same bytes.
        double[] again = original.clone();
        GridSweep.round(SparseSweep.inverseFactor(h, FEATURES), again, FEATURES, OUTPUTS, zero);
        assertArrayEquals(w, again);
    }

    @Test
    void spreadingTheRoundingErrorsLosesLessThanRoundingEachWeightAlone() {
        double[] h = hessian(2);
        boolean[] zero = new boolean[FEATURES * OUTPUTS];
        double[] original = weights(zero);
        double[] swept = original.clone();
        float[] scales = GridSweep.round(SparseSweep.inverseFactor(h, FEATURES), swept, FEATURES, OUTPUTS, zero);
        double[] nearest = original.clone();
        for (int i = 0; i < nearest.length; i++) {
            float scale = scales[i % OUTPUTS];
            double level = zero[i] ? 0 : Math.max(1, Math.min(127, Math.rint(Math.abs(original[i]) / scale)));
            nearest[i] = (float) (Math.copySign(level, original[i]) * scale);
        }
        double sweptError = outputError(h, original, swept);
        double nearestError = outputError(h, original, nearest);
        // Measured: 59.9 swept against 198.2 to the nearest level.
        assertTrue(sweptError < 0.5 * nearestError, "swept " + sweptError + ", nearest " + nearestError);
    }
}
