package io.github.onnxprune.prune.calibrate;

/**
 * Ridge-regularised least squares on dense row-major {@code double[]} matrices, solved with a Cholesky
 * factorisation of the normal equations: {@code (G + lambda I) theta = R + lambda theta0}, where
 * {@code G = Z^T Z} and {@code R = Z^T T}.
 *
 * <p>The regularisation pulls the solution toward a prior {@code theta0} (the pruned weights as they are)
 * rather than toward zero, so an exactly solvable system keeps its exact solution whenever the prior already
 * is one, and an ill-conditioned one (a constant or duplicated activation) stays close to the weights the
 * model was trained with. {@code lambda = relative * trace(G) / n} makes the amount independent of the
 * activations' scale. Everything runs in a fixed order, so results are bit-for-bit reproducible.
 */
public final class RidgeLeastSquares {

    private RidgeLeastSquares() {
    }

    /**
     * Solves for several right-hand sides at once.
     *
     * @param gram {@code n x n} symmetric positive semi-definite matrix {@code Z^T Z}, row-major; not modified
     * @param n its order
     * @param rhs {@code n x m} right-hand sides {@code Z^T T}, row-major
     * @param prior {@code n x m} prior solution, row-major, or null for zero
     * @param m the number of right-hand sides
     * @param relative the ridge strength relative to the mean diagonal of {@code gram}, at least 0
     * @return the {@code n x m} solution, row-major
     * @throws IllegalStateException when the system is singular even after regularisation (all zero input)
     */
    public static double[] solve(double[] gram, int n, double[] rhs, double[] prior, int m, double relative) {
        if (gram.length != n * n || rhs.length != n * m || prior != null && prior.length != n * m) {
            throw new IllegalArgumentException("matrix sizes do not match n=" + n + ", m=" + m);
        }
        double lambda = lambda(gram, n, relative);
        double[] a = gram.clone();
        double[] b = rhs.clone();
        for (int i = 0; i < n; i++) {
            a[i * n + i] += lambda;
            if (prior != null) {
                for (int j = 0; j < m; j++) {
                    b[i * m + j] += lambda * prior[i * m + j];
                }
            }
        }
        choleskyInPlace(a, n);
        solveWithFactor(a, n, b, m);
        return b;
    }

    /**
     * The inverse of {@code gram} plus the ridge of {@link #solve}, exactly symmetric: on and below the diagonal
     * the same bits as {@code solve} with the identity as right-hand sides and no prior, above it their mirror,
     * for three sevenths of its work ({@code n^3 / 2} multiply-adds instead of {@code 7 n^3 / 6}). Column j of
     * the identity is zero above row j, and the forward substitution keeps it exactly +0 there (each term it
     * would subtract is a product with +0), so a strip of columns starts its forward substitution at its own first
     * column; its back substitution stops there, as the rows above come from the mirror.
     *
     * @throws IllegalStateException when it is singular even after regularisation
     */
    static double[] inverse(double[] gram, int n, double relative) {
        if (gram.length != n * n) {
            throw new IllegalArgumentException("matrix size does not match n=" + n);
        }
        double lambda = lambda(gram, n, relative);
        double[] a = gram.clone();
        double[] b = new double[n * n];
        for (int i = 0; i < n; i++) {
            a[i * n + i] += lambda;
            b[i * n + i] = 1;
        }
        choleskyInPlace(a, n);
        if (n < 2 * SparseSweep.CHUNK) {
            solveColumns(a, n, b, n, 0, n, 0, 0);
        } else {
            SparseSweep.inChunks(n, (from, to) -> solveColumns(a, n, b, n, from, to, from, from));
        }
        // The inverse is symmetric: each column's rows from the diagonal down were solved, the rest is their mirror.
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                b[i * n + j] = b[j * n + i];
            }
        }
        return b;
    }

    /** The ridge {@code relative * trace / n}, or {@code relative} itself for an all-zero matrix. */
    private static double lambda(double[] gram, int n, double relative) {
        double trace = 0;
        for (int i = 0; i < n; i++) {
            trace += gram[i * n + i];
        }
        double lambda = relative * trace / Math.max(1, n);
        if (!(lambda > 0)) {
            // An all-zero Gram has no scale to be relative to; a tiny absolute ridge still keeps it solvable.
            lambda = relative > 0 ? relative : 0;
        }
        return lambda;
    }

    /** Overwrites the lower triangle of {@code a} with L such that {@code a = L L^T}. */
    static void choleskyInPlace(double[] a, int n) {
        for (int j = 0; j < n; j++) {
            double diagonal = a[j * n + j];
            for (int k = 0; k < j; k++) {
                diagonal -= a[j * n + k] * a[j * n + k];
            }
            if (!(diagonal > 0)) {
                throw new IllegalStateException("matrix is not positive definite at row " + j
                        + " (the calibration activations are degenerate); use a larger ridge");
            }
            double root = Math.sqrt(diagonal);
            a[j * n + j] = root;
            int rowJ = j * n;
            int i = j + 1;
            // Four rows at once: four independent sums in flight instead of one waiting on the last, each still
            // summed in the same order, so the factor is the same, bit for bit.
            for (; i + 4 <= n; i += 4) {
                int r0 = i * n;
                int r1 = r0 + n;
                int r2 = r1 + n;
                int r3 = r2 + n;
                double s0 = a[r0 + j];
                double s1 = a[r1 + j];
                double s2 = a[r2 + j];
                double s3 = a[r3 + j];
                for (int k = 0; k < j; k++) {
                    double v = a[rowJ + k];
                    s0 -= a[r0 + k] * v;
                    s1 -= a[r1 + k] * v;
                    s2 -= a[r2 + k] * v;
                    s3 -= a[r3 + k] * v;
                }
                a[r0 + j] = s0 / root;
                a[r1 + j] = s1 / root;
                a[r2 + j] = s2 / root;
                a[r3 + j] = s3 / root;
            }
            for (; i < n; i++) {
                double sum = a[i * n + j];
                for (int k = 0; k < j; k++) {
                    sum -= a[i * n + k] * a[rowJ + k];
                }
                a[i * n + j] = sum / root;
            }
        }
    }

    /**
     * Solves {@code L L^T x = b} in place for each column of {@code b}, with L from {@link #choleskyInPlace}.
     * Columns are independent: many of them (a compensating fit's 384 outputs) are solved by strips on both
     * cores, each column with the same operations in the same order as alone, so the result is the same bit for
     * bit whatever the number of threads.
     */
    static void solveWithFactor(double[] l, int n, double[] b, int m) {
        if (m < 2 * SparseSweep.CHUNK) {
            solveColumns(l, n, b, m, 0, m, 0, 0);
        } else {
            SparseSweep.inChunks(m, (from, to) -> solveColumns(l, n, b, m, from, to, 0, 0));
        }
    }

    /**
     * {@link #solveWithFactor} for columns {@code from..to-1} of {@code b}, whose rows above {@code zeroAbove} are
     * all +0 in those columns: the forward substitution leaves them so and starts there. The back substitution
     * stops at row {@code lowest}: the rows above it are left unsolved.
     */
    private static void solveColumns(double[] l, int n, double[] b, int m, int from, int to, int zeroAbove,
            int lowest) {
        for (int i = zeroAbove; i < n; i++) {
            for (int k = zeroAbove; k < i; k++) {
                double factor = l[i * n + k];
                if (factor != 0) {
                    for (int j = from; j < to; j++) {
                        b[i * m + j] -= factor * b[k * m + j];
                    }
                }
            }
            double diagonal = l[i * n + i];
            for (int j = from; j < to; j++) {
                b[i * m + j] /= diagonal;
            }
        }
        for (int i = n - 1; i >= lowest; i--) {
            for (int k = i + 1; k < n; k++) {
                double factor = l[k * n + i];
                if (factor != 0) {
                    for (int j = from; j < to; j++) {
                        b[i * m + j] -= factor * b[k * m + j];
                    }
                }
            }
            double diagonal = l[i * n + i];
            for (int j = from; j < to; j++) {
                b[i * m + j] /= diagonal;
            }
        }
    }
}
