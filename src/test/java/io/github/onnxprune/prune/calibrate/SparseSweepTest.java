package io.github.onnxprune.prune.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SparseSweepTest {

    private static int count(boolean[] mask) {
        int n = 0;
        for (boolean b : mask) {
            n += b ? 1 : 0;
        }
        return n;
    }

    /** {@code X^T X + damping I} of random correlated columns: column j leans on column j - 1. */
    private static double[] hessian(int features, int rows, long seed, double damping) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] x = new double[rows * features];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < features; j++) {
                double own = random.nextGaussian();
                x[r * features + j] = j == 0 ? own : 0.8 * x[r * features + j - 1] + 0.6 * own;
            }
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
            h[i * features + i] += damping;
        }
        return h;
    }

    @Test
    void theFactorMultipliesBackToTheInverse() {
        int n = 7;
        double[] h = hessian(n, 30, 1, 0.1);
        double[] u = SparseSweep.inverseFactor(h, n);
        double[] inverse = HessianMask.inverse(h, n);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++) {
                assertEquals(0, u[i * n + j], "upper triangular");
            }
            assertTrue(u[i * n + i] > 0);
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int k = 0; k < n; k++) {
                    sum += u[k * n + i] * u[k * n + j];
                }
                assertEquals(inverse[i * n + j], sum, 1e-9);
            }
        }
    }

    /**
     * One output, three inputs, the first zeroed: the sweep zeroes it, then moves both later weights by the
     * exact OBS step, which is the least-squares re-fit of the two kept weights, {@code w_K = H_KK^-1 (H w)_K}.
     * By hand, with H = [[2,1,0],[1,2,1],[0,1,2]] and w = (1,1,1): H w = (3,4,3), H_KK = [[2,1],[1,2]], so
     * w_K = (1/3) [[2,-1],[-1,2]] (4,3) = (5/3, 2/3).
     */
    @Test
    void oneOutputWithAFixedMaskIsTheExactLeastSquaresReFit() {
        double[] h = {2, 1, 0, 1, 2, 1, 0, 1, 2};
        double[] u = SparseSweep.inverseFactor(h, 3);
        double[] w = {1, 1, 1};
        boolean[] zero = SparseSweep.sweep(u, w, 3, 1, new boolean[] {true, false, false}, 1);
        assertArrayEquals(new boolean[] {true, false, false}, zero);
        assertArrayEquals(new double[] {0, 5.0 / 3, 2.0 / 3}, w, 1e-12);
        // And against the solver the exact path uses, unregularised.
        double[] exact = RidgeLeastSquares.solve(new double[] {2, 1, 1, 2}, 2, new double[] {4, 3}, null, 1, 0);
        assertEquals(exact[0], w[1], 1e-6);
        assertEquals(exact[1], w[2], 1e-6);
    }

    /**
     * The sweep never revisits a processed weight: with the zero last, the earlier weights stay as they are
     * rather than take the re-fit, which is why the exact path stays where it is affordable.
     */
    @Test
    void aZeroAfterTheKeptWeightsDoesNotMoveThem() {
        double[] h = {2, 1, 0, 1, 2, 1, 0, 1, 2};
        double[] w = {1, 1, 1};
        SparseSweep.sweep(SparseSweep.inverseFactor(h, 3), w, 3, 1, new boolean[] {false, false, true}, 1);
        assertArrayEquals(new double[] {1, 1, 0}, w, 1e-12);
    }

    @Test
    void zeroesExactlyTheCountAskedAndTheSameForTheSameInput() {
        int features = 300;
        int outputs = 7;
        double[] h = hessian(features, 400, 5, 0.5);
        double[] u = SparseSweep.inverseFactor(h, features);
        SplittableRandom random = new SplittableRandom(9);
        double[] weights = new double[features * outputs];
        for (int i = 0; i < weights.length; i++) {
            // Ties on purpose: many weights of equal magnitude.
            weights[i] = random.nextInt(3) - 1;
        }
        for (int zeros : new int[] {0, 1, 1049, 1050, 1890, 2099, 2100}) {
            double[] w = weights.clone();
            boolean[] mask = SparseSweep.sweep(u, w, features, outputs, null, zeros);
            assertEquals(zeros, count(mask), "zeros " + zeros);
            for (int i = 0; i < w.length; i++) {
                assertEquals(mask[i], w[i] == 0 && mask[i], "masked weights are zero at " + i);
            }
            double[] again = weights.clone();
            assertArrayEquals(mask, SparseSweep.sweep(u, again, features, outputs, null, zeros));
            assertArrayEquals(w, again);
        }
    }
}
