package io.github.onnxprune.prune.distill;

import java.util.stream.IntStream;

/**
 * The dense products of block tuning on both cores: {@code A B} for row-major arrays, four rows of A at a time
 * so each element of B read serves four rows (the pattern of prune.calibrate's RowProducts). {@code A^T B} and
 * {@code A B^T} go through {@link #transpose} first, so one kernel does all three.
 */
final class Kernels {

    private Kernels() {
    }

    /** {@code A B}: A is {@code rows x inner}, B {@code inner x cols}; the result {@code rows x cols}. */
    static double[] multiply(double[] a, int rows, int inner, double[] b, int cols) {
        double[] c = new double[rows * cols];
        int quads = (rows + 3) / 4;
        IntStream.range(0, quads).parallel().forEach(quad -> {
            int r = quad * 4;
            if (r + 4 <= rows) {
                int c0 = r * cols;
                int c1 = c0 + cols;
                int c2 = c1 + cols;
                int c3 = c2 + cols;
                for (int p = 0; p < inner; p++) {
                    double a0 = a[r * inner + p];
                    double a1 = a[(r + 1) * inner + p];
                    double a2 = a[(r + 2) * inner + p];
                    double a3 = a[(r + 3) * inner + p];
                    if (a0 == 0 && a1 == 0 && a2 == 0 && a3 == 0) {
                        continue;
                    }
                    int bp = p * cols;
                    for (int j = 0; j < cols; j++) {
                        double bj = b[bp + j];
                        c[c0 + j] += a0 * bj;
                        c[c1 + j] += a1 * bj;
                        c[c2 + j] += a2 * bj;
                        c[c3 + j] += a3 * bj;
                    }
                }
            } else {
                for (int row = r; row < rows; row++) {
                    int cr = row * cols;
                    for (int p = 0; p < inner; p++) {
                        double ap = a[row * inner + p];
                        if (ap == 0) {
                            continue;
                        }
                        int bp = p * cols;
                        for (int j = 0; j < cols; j++) {
                            c[cr + j] += ap * b[bp + j];
                        }
                    }
                }
            }
        });
        return c;
    }

    /** {@code A^T}: A is {@code rows x cols}. */
    static double[] transpose(double[] a, int rows, int cols) {
        double[] t = new double[rows * cols];
        IntStream.range(0, (cols + 31) / 32).parallel().forEach(strip -> {
            int to = Math.min(cols, strip * 32 + 32);
            for (int r = 0; r < rows; r++) {
                for (int c = strip * 32; c < to; c++) {
                    t[c * rows + r] = a[r * cols + c];
                }
            }
        });
        return t;
    }

    /** {@code A^T B}: A is {@code rows x left}, B {@code rows x right}; the result {@code left x right}. */
    static double[] transposedTimes(double[] a, int rows, int left, double[] b, int right) {
        return multiply(transpose(a, rows, left), left, rows, b, right);
    }

    /** {@code A B^T}: A is {@code rows x inner}, B {@code cols x inner}; the result {@code rows x cols}. */
    static double[] timesTransposed(double[] a, int rows, int inner, double[] b, int cols) {
        return multiply(a, rows, inner, transpose(b, cols, inner), cols);
    }
}
