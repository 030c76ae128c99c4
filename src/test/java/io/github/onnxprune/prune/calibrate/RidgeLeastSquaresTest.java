package io.github.onnxprune.prune.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class RidgeLeastSquaresTest {

    /** Z^T Z and Z^T T for the rows of Z and T, row-major. */
    private static double[][] normalEquations(double[][] z, double[][] t) {
        int n = z[0].length;
        int m = t[0].length;
        double[] gram = new double[n * n];
        double[] rhs = new double[n * m];
        for (int r = 0; r < z.length; r++) {
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    gram[i * n + j] += z[r][i] * z[r][j];
                }
                for (int j = 0; j < m; j++) {
                    rhs[i * m + j] += z[r][i] * t[r][j];
                }
            }
        }
        return new double[][] {gram, rhs};
    }

    @Test
    void solvesAnOverdeterminedSystemByHand() {
        // Fit t = a * x + b to (0, 1), (1, 3), (2, 4): by hand, G = [[5, 3], [3, 3]], R = [11, 8],
        // so a = (3 * 11 - 3 * 8) / (15 - 9) = 1.5 and b = (5 * 8 - 3 * 11) / 6 = 7/6.
        double[][] z = {{0, 1}, {1, 1}, {2, 1}};
        double[][] t = {{1}, {3}, {4}};
        double[][] normal = normalEquations(z, t);
        assertArrayEquals(new double[] {5, 3, 3, 3}, normal[0]);
        assertArrayEquals(new double[] {11, 8}, normal[1]);

        double[] theta = RidgeLeastSquares.solve(normal[0], 2, normal[1], null, 1, 0.0);

        assertEquals(1.5, theta[0], 1e-12);
        assertEquals(7.0 / 6.0, theta[1], 1e-12);
    }

    @Test
    void solvesSeveralRightHandSidesExactly() {
        double[][] z = {{1, 0, 2}, {0, 1, 1}, {1, 1, 0}, {2, 0, 1}};
        double[][] truth = {{1, -2}, {0.5, 3}, {-1, 0.25}};
        double[][] t = new double[z.length][2];
        for (int r = 0; r < z.length; r++) {
            for (int j = 0; j < 2; j++) {
                for (int i = 0; i < 3; i++) {
                    t[r][j] += z[r][i] * truth[i][j];
                }
            }
        }
        double[][] normal = normalEquations(z, t);
        double[] theta = RidgeLeastSquares.solve(normal[0], 3, normal[1], null, 2, 0.0);
        for (int i = 0; i < 3; i++) {
            assertEquals(truth[i][0], theta[i * 2], 1e-12);
            assertEquals(truth[i][1], theta[i * 2 + 1], 1e-12);
        }
    }

    @Test
    void ridgePullsTowardThePriorAndKeepsAnExactPrior() {
        // A duplicated column makes G singular; the ridge keeps it solvable and, with the prior being an exact
        // solution, returns the prior itself.
        double[][] z = {{1, 1}, {2, 2}, {3, 3}};
        double[][] t = {{3}, {6}, {9}};
        double[][] normal = normalEquations(z, t);
        assertThrows(IllegalStateException.class, () -> RidgeLeastSquares.solve(normal[0], 2, normal[1], null, 1, 0));
        double[] theta = RidgeLeastSquares.solve(normal[0], 2, normal[1], new double[] {1, 2}, 1, 1e-3);
        assertEquals(1.0, theta[0], 1e-12);
        assertEquals(2.0, theta[1], 1e-12);
        // Toward zero instead, the minimum-norm split 1.5 / 1.5 is approached.
        double[] shrunk = RidgeLeastSquares.solve(normal[0], 2, normal[1], null, 1, 1e-9);
        assertEquals(1.5, shrunk[0], 1e-6);
        assertEquals(1.5, shrunk[1], 1e-6);
    }

    @Test
    void manyRightHandSidesSolvedByStripsAreEachColumnSolvedAloneBitForBit() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(17);
        int n = 40;
        int m = 150;
        double[][] z = new double[120][n];
        double[][] t = new double[120][m];
        for (int r = 0; r < 120; r++) {
            for (int i = 0; i < n; i++) {
                z[r][i] = random.nextGaussian();
            }
            for (int j = 0; j < m; j++) {
                t[r][j] = random.nextGaussian();
            }
        }
        double[][] normal = normalEquations(z, t);

        double[] together = RidgeLeastSquares.solve(normal[0], n, normal[1], null, m, 1e-3);

        for (int j = 0; j < m; j++) {
            double[] column = new double[n];
            for (int i = 0; i < n; i++) {
                column[i] = normal[1][i * m + j];
            }
            double[] alone = RidgeLeastSquares.solve(normal[0], n, column, null, 1, 1e-3);
            for (int i = 0; i < n; i++) {
                assertEquals(alone[i], together[i * m + j], 0.0, "row " + i + ", column " + j);
            }
        }
    }

    @Test
    void theInverseIsTheSolveOfTheIdentityMirroredBitForBitOnOneThreadAndOnEvery() throws Exception {
        // Wide enough for several strips of columns, so the later strips start their forward pass further down.
        int n = 150;
        java.util.Random random = new java.util.Random(7);
        double[][] z = new double[2 * n][n];
        for (double[] row : z) {
            for (int j = 0; j < n; j++) {
                row[j] = random.nextGaussian() + (j > 0 ? 0.5 * row[j - 1] : 0);
            }
        }
        double[] gram = normalEquations(z, new double[z.length][1])[0];
        double[] identity = new double[n * n];
        for (int i = 0; i < n; i++) {
            identity[i * n + i] = 1;
        }
        double[] solved = RidgeLeastSquares.solve(gram, n, identity, null, n, 1e-2);
        // On and below the diagonal the solve's bits, above it their mirror.
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                solved[i * n + j] = solved[j * n + i];
            }
        }
        java.util.concurrent.ForkJoinPool one = new java.util.concurrent.ForkJoinPool(1);
        try {
            assertArrayEquals(solved, RidgeLeastSquares.inverse(gram, n, 1e-2));
            assertArrayEquals(solved, one.submit(() -> RidgeLeastSquares.inverse(gram, n, 1e-2)).get());
        } finally {
            one.shutdown();
        }
    }
}
