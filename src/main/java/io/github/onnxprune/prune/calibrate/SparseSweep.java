package io.github.onnxprune.prune.calibrate;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * SparseGPT's column sweep (Frantar and Alistarh 2023) for one linear layer: one inverse Hessian shared by all
 * outputs, so choosing the zeros and compensating for them costs {@code features^3 / 3 + outputs * features^2}
 * operations instead of one least-squares system per output.
 *
 * <p>With {@code H = X^T X + lambda I} and the upper Cholesky factor U of {@code H^-1} ({@code H^-1 = U^T U}),
 * the features are processed in order: zeroing weight j of an output and moving the not yet processed weights
 * of that output optimally (the processed ones stay frozen) costs {@code w_j^2 / U_jj^2}, and the move is
 * {@code w[j+1..] -= (w_j / U_jj) * U[j, j+1..]}. Updates inside a block of features are applied at once,
 * updates to later blocks are batched per block (the lazy update), so the inner loops run over contiguous
 * outputs.
 *
 * <p>Matrices are canonical {@code features x outputs}, row-major, as in {@link LinearLayer}. Everything runs
 * in a fixed order, so the same input gives the same bytes.
 */
final class SparseSweep {

    /** SparseGPT's block width: the zeros are chosen and the errors batched per 128 features. */
    static final int BLOCK = 128;

    /** Width of the output strips: 32 doubles per row keep a 2048-row strip in a 512 KiB L2 cache. */
    static final int CHUNK = 32;

    private SparseSweep() {
    }

    /**
     * The upper triangular U with {@code H^-1 = U^T U}, for a symmetric positive definite H, without forming
     * {@code H^-1}: Cholesky of H with the index order reversed gives {@code H = V V^T} with V upper
     * triangular, and then {@code U = V^-1}. Costs {@code n^3 / 3} multiply-adds.
     */
    static double[] inverseFactor(double[] h, int n) {
        double[] reversed = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                reversed[i * n + j] = h[(n - 1 - i) * n + (n - 1 - j)];
            }
        }
        // Not needed further: a caller that handed over its only reference lets it go during the factorization.
        h = null;
        cholesky(reversed, n);
        // reversed's lower triangle is L with P H P = L L^T; its inverse M (lower) gives U = P M P (upper). Row i
        // of M solves M[i] L = e_i from the right, with contiguous updates; rows are independent.
        double[] inverse = new double[n * n];
        IntStream.range(0, n).parallel().forEach(i -> {
            double[] row = new double[i + 1];
            row[i] = 1;
            for (int l = i; l >= 0; l--) {
                double value = row[l] / reversed[l * n + l];
                row[l] = value;
                axpy(-value, reversed, l * n, row, 0, l);
            }
            for (int j = 0; j <= i; j++) {
                inverse[(n - 1 - i) * n + (n - 1 - j)] = row[j];
            }
        });
        return inverse;
    }

    /**
     * {@code H^-1 b = U^T (U b)} for an {@code n x m} right-hand side b, row-major; b is not modified. Columns
     * are independent, so they are solved in {@link #CHUNK}-wide strips, in parallel.
     */
    static double[] solve(double[] u, int n, double[] b, int m) {
        double[] result = new double[n * m];
        inChunks(m, (from, to) -> {
            int c = to - from;
            double[] strip = new double[n * c];
            for (int i = 0; i < n; i++) {
                System.arraycopy(b, i * m + from, strip, i * c, c);
            }
            double[] ub = new double[n * c];
            for (int i = 0; i < n; i++) {
                for (int j = i; j < n; j++) {
                    axpy(u[i * n + j], strip, j * c, ub, i * c, c);
                }
            }
            Arrays.fill(strip, 0);
            for (int i = 0; i < n; i++) {
                for (int j = i; j < n; j++) {
                    axpy(u[i * n + j], ub, i * c, strip, j * c, c);
                }
            }
            for (int i = 0; i < n; i++) {
                System.arraycopy(strip, i * c, result, i * m + from, c);
            }
        });
        return result;
    }

    /**
     * Zeroes weights feature by feature and moves the later features' weights to compensate.
     *
     * @param u the factor from {@link #inverseFactor}
     * @param weights {@code n x m} canonical weights to start from (the unpruned optimum); overwritten with the
     *     result, zero exactly where the returned mask is true
     * @param fixed the weights to zero, or null to choose {@code zeros} of them: per block of {@link #BLOCK}
     *     features, the block's share ({@code floor(zeros * end / n) - floor(zeros * start / n)}, so the layer
     *     total is exact) of least saliency {@code w^2 / U_jj^2} across all outputs, at the weights as the sweep
     *     has updated them; ties go to the lower output, then the lower feature
     * @return true at each canonical index zeroed
     */
    static boolean[] sweep(double[] u, double[] weights, int n, int m, boolean[] fixed, long zeros) {
        boolean[] mask = fixed != null ? fixed.clone() : new boolean[n * m];
        for (int first = 0; first < n; first += BLOCK) {
            int start = first;
            int end = Math.min(n, start + BLOCK);
            if (fixed == null) {
                long share = zeros * end / n - zeros * start / n;
                choose(u, weights, n, m, start, end, (int) share, mask);
            }
            // Outputs are independent once the block's zeros are known: strips of them run in parallel.
            inChunks(m, (from, to) -> {
                int c = to - from;
                double[] errors = new double[(end - start) * c];
                for (int j = start; j < end; j++) {
                    double pivot = u[j * n + j];
                    int row = j * m + from;
                    int errorRow = (j - start) * c;
                    for (int o = 0; o < c; o++) {
                        double error = 0;
                        if (mask[row + o]) {
                            error = weights[row + o] / pivot;
                            weights[row + o] = 0;
                        }
                        errors[errorRow + o] = error;
                    }
                    for (int f = j + 1; f < end; f++) {
                        axpy(-u[j * n + f], errors, errorRow, weights, f * m + from, c);
                    }
                }
                // The lazy update: the block's errors move every later feature's weights at once.
                for (int f = end; f < n; f++) {
                    for (int j = start; j < end; j++) {
                        axpy(-u[j * n + f], errors, (j - start) * c, weights, f * m + from, c);
                    }
                }
            });
        }
        return mask;
    }

    /** Work on the columns [from, to) of an output strip. */
    @FunctionalInterface
    interface Strip {

        /** Processes columns [from, to). */
        void run(int from, int to);
    }

    /**
     * Runs {@code body} on {@link #CHUNK}-wide strips of {@code m} columns, in parallel. Each strip's arithmetic
     * runs in a fixed order whatever thread takes it, so results do not depend on scheduling; strips must only
     * write their own columns.
     */
    static void inChunks(int m, Strip body) {
        int strips = (m + CHUNK - 1) / CHUNK;
        IntStream.range(0, strips).parallel().forEach(k -> body.run(k * CHUNK, Math.min(m, (k + 1) * CHUNK)));
    }

    /**
     * Overwrites the lower triangle of {@code a} with L, {@code a = L L^T}; as {@link
     * RidgeLeastSquares#choleskyInPlace}, with the dot products split over four sums so they pipeline.
     */
    private static void cholesky(double[] a, int n) {
        for (int i = 0; i < n; i++) {
            int rowI = i * n;
            for (int j = 0; j <= i; j++) {
                int rowJ = j * n;
                double sum = a[rowI + j] - dot(a, rowI, a, rowJ, j);
                if (i == j) {
                    if (!(sum > 0)) {
                        throw new IllegalStateException("matrix is not positive definite at row " + i
                                + " (the calibration activations are degenerate); use a larger ridge");
                    }
                    a[rowI + i] = Math.sqrt(sum);
                } else {
                    a[rowI + j] = sum / a[rowJ + j];
                }
            }
        }
    }

    private static double dot(double[] x, int xAt, double[] y, int yAt, int length) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int k = 0;
        for (; k + 3 < length; k += 4) {
            s0 += x[xAt + k] * y[yAt + k];
            s1 += x[xAt + k + 1] * y[yAt + k + 1];
            s2 += x[xAt + k + 2] * y[yAt + k + 2];
            s3 += x[xAt + k + 3] * y[yAt + k + 3];
        }
        for (; k < length; k++) {
            s0 += x[xAt + k] * y[yAt + k];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** {@code y[yAt..] += a * x[xAt..]} over m elements; skipped for a zero factor. */
    private static void axpy(double a, double[] x, int xAt, double[] y, int yAt, int m) {
        if (a == 0) {
            return;
        }
        for (int o = 0; o < m; o++) {
            y[yAt + o] += a * x[xAt + o];
        }
    }

    /** Marks the {@code count} weights of features [start, end) with least saliency. */
    private static void choose(double[] u, double[] weights, int n, int m, int start, int end, int count,
            boolean[] mask) {
        if (count <= 0) {
            return;
        }
        int size = (end - start) * m;
        double[] saliency = new double[size];
        for (int f = start; f < end; f++) {
            double pivot = u[f * n + f];
            for (int o = 0; o < m; o++) {
                double w = weights[f * m + o];
                saliency[(f - start) * m + o] = w * w / (pivot * pivot);
            }
        }
        // The count-th smallest saliency by a primitive sort; below it all go, at it the lower output, then the
        // lower feature, go first: the same set as sorting by (saliency, output, feature), without boxing.
        double[] sorted = saliency.clone();
        Arrays.sort(sorted);
        double threshold = sorted[count - 1];
        int below = 0;
        for (int i = 0; i < size; i++) {
            if (Double.compare(saliency[i], threshold) < 0) {
                mask[start * m + i] = true;
                below++;
            }
        }
        int atThreshold = count - below;
        for (int o = 0; o < m && atThreshold > 0; o++) {
            for (int f = start; f < end && atThreshold > 0; f++) {
                int local = (f - start) * m + o;
                if (Double.compare(saliency[local], threshold) == 0) {
                    mask[start * m + local] = true;
                    atThreshold--;
                }
            }
        }
    }
}
