package io.github.onnxprune.prune.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class HeldBackTest {

    /** {@code rows x 2} features whose row r is {@code (r, -r)}. */
    private static Features rows(int rows) {
        float[] data = new float[rows * 2];
        for (int r = 0; r < rows; r++) {
            data[2 * r] = r;
            data[2 * r + 1] = -r;
        }
        return new Features(data, rows, 2);
    }

    @Test
    void everyFifthRowIsHeldBackAndTheRestAreFitted() {
        HeldBack split = HeldBack.split(rows(42), rows(42), 5);

        assertEquals(8, split.rows());
        assertEquals(34, split.fitOriginal().rows());
        assertEquals(34, split.fitCurrent().rows());
        assertArrayEquals(new float[] {4, -4, 9, -9, 14, -14, 19, -19, 24, -24, 29, -29, 34, -34, 39, -39},
                split.heldOriginal().data());
        assertArrayEquals(new float[] {0, 0, 1, -1, 2, -2, 3, -3, 5, -5}, java.util.Arrays.copyOf(
                split.fitCurrent().data(), 10));
    }

    @Test
    void tooFewRowsOrNoHoldingBackFitsOnAll() {
        assertNull(HeldBack.split(rows(39), rows(39), 5));
        assertNull(HeldBack.split(rows(100), rows(100), 0));
    }

    @Test
    void errorIsRelativeToTheOriginalOutputOnHeldBackRowsOnly() {
        // Original layer y = x0 + 2 x1 + 1 on (r, -r): y = 1 - r. The pruned one keeps feature 0 only.
        Fit.Problem problem = new Fit.Problem(rows(40), new double[] {1, 2}, 1, new int[] {0}, new int[] {0},
                new double[] {1}, true);
        Features current = new Features(new float[40], 40, 1);
        for (int r = 0; r < 40; r++) {
            current.data()[r] = r;
        }
        HeldBack split = HeldBack.split(rows(40), current, 5);

        // Exact: weight -1, bias 1.
        assertEquals(0.0, split.error(problem, new double[] {-1}, new double[] {1}), 1e-15);
        // Weight 1, bias 1 gives 1 + r against 1 - r: error 4 r^2 over (1 - r)^2 on rows 4, 9, ..., 39.
        double error = 0;
        double reference = 0;
        for (int r = 4; r < 40; r += 5) {
            error += 4.0 * r * r;
            reference += (1.0 - r) * (1.0 - r);
        }
        assertEquals(error / reference, split.error(problem, new double[] {1}, new double[] {1}), 1e-12);
    }
}
