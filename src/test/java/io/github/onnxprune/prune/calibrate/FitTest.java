package io.github.onnxprune.prune.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.api.Test;

/**
 * The compensating fit forms its normal equations from the original layer's output ({@code Z^T (X_orig M)}) by
 * strips on both cores: the same bytes on one thread as on many, and within rounding of the products formed the
 * other way round ({@code (Z^T X_orig) M}, row by row, as the fit did before).
 */
class FitTest {

    private static final int ROWS = 203;
    private static final int COLS = 37;
    private static final int OUTPUTS = 11;

    /** Rows of the original layer's input, a third of them zero as after a ReLU. */
    private static Features original() {
        SplittableRandom random = new SplittableRandom(11);
        float[] data = new float[ROWS * COLS];
        for (int i = 0; i < data.length; i++) {
            data[i] = random.nextInt(3) == 0 ? 0 : (float) random.nextGaussian();
        }
        return new Features(data, ROWS, COLS);
    }

    /** Features 0, 2, 3, ... 30 of the original kept (every third dropped), outputs 1..9 kept. */
    private static Fit.Problem problem(Features original, boolean intercept) {
        int[] features = java.util.stream.IntStream.range(0, 31).filter(f -> f % 3 != 1).toArray();
        int[] outputs = java.util.stream.IntStream.range(1, 10).toArray();
        return new Fit.Problem(original, RowProductsTest.matrix(COLS, OUTPUTS, 5), OUTPUTS, features, outputs,
                RowProductsTest.matrix(1, outputs.length, 6), intercept);
    }

    /** The pruned model's input: the kept features, slightly changed, as after earlier layers were pruned. */
    private static Features current(Features original, Fit.Problem problem) {
        int k = problem.keptFeatures().length;
        float[] data = new float[ROWS * k];
        SplittableRandom random = new SplittableRandom(13);
        for (int r = 0; r < ROWS; r++) {
            for (int i = 0; i < k; i++) {
                float x = original.data()[r * COLS + problem.keptFeatures()[i]];
                data[r * k + i] = x == 0 ? 0 : x + (float) (0.1 * random.nextGaussian());
            }
        }
        return new Features(data, ROWS, k);
    }

    /** The normal equations' right-hand side as it was formed before: {@code (Z^T X_orig) M[:, kept] + (Z^T 1) b}. */
    private static double[] rowByRowRhs(Fit.Problem p, Features current) {
        int k = p.keptFeatures().length;
        int d = k + (p.intercept() ? 1 : 0);
        int n = p.keptOutputs().length;
        double[] cross = new double[d * COLS];
        double[] ones = new double[d];
        for (int r = 0; r < ROWS; r++) {
            for (int i = 0; i < d; i++) {
                double z = i < k ? current.data()[r * k + i] : 1;
                ones[i] += z;
                for (int f = 0; f < COLS; f++) {
                    cross[i * COLS + f] += z * p.original().data()[r * COLS + f];
                }
            }
        }
        double[] rhs = new double[d * n];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < n; j++) {
                for (int f = 0; f < COLS; f++) {
                    rhs[i * n + j] += cross[i * COLS + f] * p.m()[f * OUTPUTS + p.keptOutputs()[j]];
                }
                if (p.intercept()) {
                    rhs[i * n + j] += ones[i] * p.bias()[j];
                }
            }
        }
        return rhs;
    }

    @Test
    void theFitIsTheSameBytesOnOneThreadAsOnEveryCore() throws Exception {
        Features original = original();
        for (boolean intercept : new boolean[] {true, false}) {
            Fit.Problem problem = problem(original, intercept);
            Features current = current(original, problem);
            Fit.Solution shared = problem.leastSquares(current, 0.05);
            ForkJoinPool one = new ForkJoinPool(1);
            try {
                Fit.Solution alone = one.submit(() -> problem.leastSquares(current, 0.05)).get();
                assertArrayEquals(shared.weights(), alone.weights());
                assertArrayEquals(shared.bias(), alone.bias());
                assertEquals(shared.errorAfter(), alone.errorAfter());
            } finally {
                one.shutdown();
            }
        }
    }

    @Test
    void theFitSolvesTheNormalEquationsFormedRowByRowWithinRounding() {
        Features original = original();
        for (boolean intercept : new boolean[] {true, false}) {
            Fit.Problem problem = problem(original, intercept);
            Features current = current(original, problem);
            int k = problem.keptFeatures().length;
            int d = k + (intercept ? 1 : 0);
            int n = problem.keptOutputs().length;
            double[] gram = new double[d * d];
            for (int r = 0; r < ROWS; r++) {
                for (int i = 0; i < d; i++) {
                    for (int j = 0; j < d; j++) {
                        double zi = i < k ? current.data()[r * k + i] : 1;
                        double zj = j < k ? current.data()[r * k + j] : 1;
                        gram[i * d + j] += zi * zj;
                    }
                }
            }
            double[] prior = new double[d * n];
            System.arraycopy(problem.prunedWeights(), 0, prior, 0, k * n);
            if (intercept) {
                System.arraycopy(problem.meanCompensatedBias(), 0, prior, k * n, n);
            }
            double[] expected = RidgeLeastSquares.solve(gram, d, rowByRowRhs(problem, current), prior, n, 0.05);

            Fit.Solution solution = problem.leastSquares(current, 0.05);

            double largest = 0;
            for (double value : expected) {
                largest = Math.max(largest, Math.abs(value));
            }
            for (int i = 0; i < k * n; i++) {
                assertEquals(expected[i], solution.weights()[i], 1e-12 * largest, "weight " + i);
            }
            for (int j = 0; intercept && j < n; j++) {
                assertEquals(expected[k * n + j], solution.bias()[j], 1e-12 * largest, "bias " + j);
            }
            assertTrue(solution.errorAfter() < solution.errorBefore(), solution.toString());
        }
    }

    @Test
    void aFitOnTheTargetComputedOnceIsTheFitOnItsOwnRows() {
        Features original = original();
        Fit.Problem problem = problem(original, true);
        Features current = current(original, problem);
        HeldBack held = HeldBack.split(original, current, 5);
        Fit.Problem fitted = new Fit.Problem(held.fitOriginal(), problem.m(), OUTPUTS, problem.keptFeatures(),
                problem.keptOutputs(), problem.bias(), true);
        double[][] targets = held.split(problem.target(), problem.keptOutputs().length);

        Fit.Solution once = fitted.fit(held.fitCurrent(), targets[0], 0.05);
        Fit.Solution own = fitted.leastSquares(held.fitCurrent(), 0.05);

        assertArrayEquals(own.weights(), once.weights());
        assertArrayEquals(own.bias(), once.bias());
        assertEquals(held.error(fitted, own.weights(), own.bias()),
                held.error(fitted, targets[1], once.weights(), once.bias()));
    }

    @Test
    void everyRowsEquationsAreTheFittedRowsPlusTheHeldBackRowsWithinRounding() {
        Features original = original();
        Fit.Problem problem = problem(original, true);
        Features current = current(original, problem);
        HeldBack held = HeldBack.split(original, current, 5);
        double[] target = problem.target();
        double[][] targets = held.split(target, problem.keptOutputs().length);

        Fit.Equations all = problem.equations(current, target);
        Fit.Equations parts = problem.equations(held.fitCurrent(), targets[0])
                .plus(problem.equations(held.heldCurrent(), targets[1]));

        for (int i = 0; i < all.gram().length; i++) {
            assertEquals(all.gram()[i], parts.gram()[i], 1e-12 * Math.max(1, Math.abs(all.gram()[i])), "gram " + i);
        }
        for (int i = 0; i < all.rhs().length; i++) {
            assertEquals(all.rhs()[i], parts.rhs()[i], 1e-12 * Math.max(1, Math.abs(all.rhs()[i])), "rhs " + i);
        }
        // The count of rows, the constant column's square, is exact.
        int d = problem.keptFeatures().length + 1;
        assertEquals(ROWS, parts.gram()[d * d - 1]);
    }
}
