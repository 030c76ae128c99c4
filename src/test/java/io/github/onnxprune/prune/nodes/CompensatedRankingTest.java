package io.github.onnxprune.prune.nodes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CompensatedRankingTest {

    // Features (a, b, a): a and b have mean 0, are uncorrelated, var(a) = 2.5, var(b) = 0.25.
    private static final float[] A = {1, -1, 2, -2, 1, -1, 2, -2};
    private static final float[] B = {0.5f, 0.5f, -0.5f, -0.5f, 0.5f, 0.5f, -0.5f, -0.5f};

    private static float[] rows() {
        float[] x = new float[A.length * 3];
        for (int r = 0; r < A.length; r++) {
            x[3 * r] = A[r];
            x[3 * r + 1] = B[r];
            x[3 * r + 2] = A[r];
        }
        return x;
    }

    @Test
    void covarianceIsCentredAndSymmetric() {
        double[] c = CompensatedRanking.covariance(rows(), A.length, 3);
        assertArrayEquals(new double[] {2.5, 0, 2.5, 0, 0.25, 0, 2.5, 0, 2.5}, c, 1e-12);
    }

    @Test
    void aDuplicatedFeatureCostsNothingOnceTheReaderIsRefitted() {
        double[] c = CompensatedRanking.covariance(rows(), A.length, 3);
        // One output reading every feature with weight 1. Variance times weight norm ranks b (0.25) below both
        // copies of a (2.5 each); re-fitted, a copy of a is free: the other copy takes its weight.
        double[] cost = CompensatedRanking.costs(c, 3, new double[] {1, 1, 1}, 1, 1, 1e-9);

        assertTrue(cost[0] < 1e-6, "the first copy of a goes first, for nothing: " + cost[0]);
        assertEquals(0.25, cost[1], 1e-6, "then b, which nothing else carries: its variance");
        assertTrue(cost[2] > cost[1], "the last copy of a stays");
    }

    @Test
    void outputVarianceIsTheReadersVariancePerToken() {
        double[] c = CompensatedRanking.covariance(rows(), A.length, 3);
        // Output 0 = a + b + a = 2a + b: 4 * 2.5 + 0.25; output 1 = b: 0.25.
        assertEquals(10.25, CompensatedRanking.outputVariance(c, 3, new double[] {1, 1, 1}, 1), 1e-12);
        assertEquals(10.5, CompensatedRanking.outputVariance(c, 3, new double[] {1, 0, 1, 1, 1, 0}, 2), 1e-12);
    }

    @Test
    void aHeadGoesWithAllItsColumns() {
        double[] c = CompensatedRanking.covariance(rows(), A.length, 3);
        // Two heads of two columns, both (a, b): whichever goes first, the other head carries it for nothing.
        double[] c4 = new double[16];
        int[] source = {0, 1, 0, 1};
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                c4[i * 4 + j] = c[source[i] * 3 + source[j]];
            }
        }
        double[] cost = CompensatedRanking.costs(c4, 4, new double[] {1, 1, 1, 1}, 1, 2, 1e-9);

        assertEquals(cost[0], cost[1]);
        assertEquals(cost[2], cost[3]);
        assertTrue(cost[0] + cost[1] < 1e-6, "the first head goes for nothing: " + cost[0]);
        assertTrue(cost[2] > cost[0], "the second stays");
    }
}
