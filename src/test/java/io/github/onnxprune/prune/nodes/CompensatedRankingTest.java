package io.github.onnxprune.prune.nodes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.TestGraphs;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.SparsityOverride;
import io.github.onnxprune.prune.calibrate.ActivationCollector;
import io.github.onnxprune.prune.calibrate.CompensatedRanking;
import io.github.onnxprune.prune.calibrate.FeatureVariances;
import io.github.onnxprune.prune.calibrate.NodeCompensation;
import io.github.onnxprune.prune.calibrate.RankingMemo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
        double[] cost = CompensatedRanking.costs(c, 3, new double[] {1, 1, 1}, 1, 1, 2, 1e-9);

        assertTrue(cost[0] < 1e-6, "the first copy of a goes first, for nothing: " + cost[0]);
        assertEquals(0.25, cost[1], 1e-6, "then b, which nothing else carries: its variance");
        assertTrue(cost[2] > cost[1], "the last copy of a stays");
    }

    @Test
    void theGreedyRemovalStopsAtTheUnitsThatGoAndLeavesTheRestDearer() {
        double[] c = CompensatedRanking.covariance(rows(), A.length, 3);
        double[] cost = CompensatedRanking.costs(c, 3, new double[] {1, 1, 1}, 1, 1, 1, 1e-9);

        assertTrue(cost[0] < 1e-6, "the first copy of a goes first, for nothing: " + cost[0]);
        // Both left get 2 * cumulative + 1: above the removed one, equal, so ties go to the lower index.
        assertEquals(1.0, cost[1], 1e-6);
        assertEquals(cost[1], cost[2]);
    }

    @Test
    void theGreedyRemovalGivesTheSameCostsOnOneThreadAsOnEveryCore() throws Exception {
        // 200 units (several strips of units and rows) of which 120 go, and 12 heads of 16 columns.
        for (int[] shape : new int[][] {{200, 1, 30, 120}, {192, 16, 20, 8}}) {
            int features = shape[0];
            java.util.Random random = new java.util.Random(features);
            int rows = 3 * features;
            float[] x = new float[rows * features];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) random.nextGaussian() + (i % features == 5 ? x[i - 1] : 0);
            }
            double[] c = CompensatedRanking.covariance(x, rows, features);
            double[] w = new double[features * shape[2]];
            for (int i = 0; i < w.length; i++) {
                w[i] = random.nextGaussian();
            }
            double[] shared = CompensatedRanking.costs(c, features, w, shape[2], shape[1], shape[3], 1e-2);
            double variance = CompensatedRanking.outputVariance(c, features, w, shape[2]);
            java.util.concurrent.ForkJoinPool one = new java.util.concurrent.ForkJoinPool(1);
            try {
                assertArrayEquals(shared, one.submit(() -> CompensatedRanking.costs(c, features, w, shape[2],
                        shape[1], shape[3], 1e-2)).get());
                assertEquals(variance, one.submit(() -> CompensatedRanking.outputVariance(c, features, w,
                        shape[2])).get());
            } finally {
                one.shutdown();
            }
            double left = java.util.Arrays.stream(shared).max().orElseThrow();
            long removed = java.util.Arrays.stream(shared).filter(cost -> cost < left).count();
            assertEquals((long) shape[3] * shape[1], removed, "the removed units cost less than those left");
        }
    }

    @Test
    void theInverseIsTheCholeskySolveOfTheRidgedMatrix() {
        // [[4, 2], [2, 3]] + 0.5 * 3.5 I = [[5.75, 2], [2, 4.75]], determinant 23.3125.
        double[] inverse = CompensatedRanking.inverse(new double[] {4, 2, 2, 3}, 2, 0.5);
        assertArrayEquals(new double[] {4.75 / 23.3125, -2 / 23.3125, -2 / 23.3125, 5.75 / 23.3125}, inverse,
                1e-12);
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
        double[] cost = CompensatedRanking.costs(c4, 4, new double[] {1, 1, 1, 1}, 1, 2, 1, 1e-9);

        assertEquals(cost[0], cost[1]);
        assertEquals(cost[2], cost[3]);
        assertTrue(cost[0] + cost[1] < 1e-6, "the first head goes for nothing: " + cost[0]);
        assertTrue(cost[2] > cost[0], "the second stays");
    }

    /**
     * x[n, 3] -> MatMul (identity) -> Add 0 -> h -> MatMul (ones) -> Add 0 -> y: the hidden units are the input's
     * features and y their sum.
     */
    private static ModelProto sumOfThree() {
        return new TestGraphs().input("x", -1, 3).output("y", -1, 1)
                .initializer("w1", new float[] {1, 0, 0, 0, 1, 0, 0, 0, 1}, 3, 3)
                .initializer("b1", new float[3], 3)
                .initializer("w2", new float[] {1, 1, 1}, 3, 1)
                .initializer("b2", new float[1], 1)
                .node("MatMul", TestGraphs.in("x", "w1"), "m1")
                .node("Add", TestGraphs.in("m1", "b1"), "h")
                .node("MatMul", TestGraphs.in("h", "w2"), "m2")
                .node("Add", TestGraphs.in("m2", "b2"), "y")
                .model();
    }

    @Test
    void asTheCompensatedImportanceItRemovesTheUnitTheRefitRecoversWhereFluctuationRemovesTheOneItCannot()
            throws Exception {
        ModelProto model = sumOfThree();
        int n = 40;
        float[] x = new float[n * 3];
        for (int r = 0; r < n; r++) {
            x[3 * r] = A[r % A.length];
            x[3 * r + 1] = B[r % B.length];
            x[3 * r + 2] = A[r % A.length];
        }
        ValidationData data = new ValidationData(Map.of("x", Tensor.ofFloats(new long[] {n, 3}, x)), null, null,
                Path.of("rows"));
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            ActivationCollector collector = new ActivationCollector(runtime, data, n, 8);
            NodePruningResult byFluctuation;
            List<String> progress = new ArrayList<>();
            NodePruningResult byCost;
            try (FeatureVariances variances = new FeatureVariances(collector, model)) {
                byFluctuation = NodePruner.prune(model, third(UnitImportance.FLUCTUATION), variances);
                byCost = NodePruner.prune(model, third(UnitImportance.COMPENSATED), variances,
                        new CompensatedRanking(variances, 8192, new RankingMemo(), progress::add));
            }
            // Without a ranking (no data) the compensated importance ranks as fluctuation would without data.
            NodePruningResult withoutData = NodePruner.prune(model, third(UnitImportance.COMPENSATED));

            // Variance times weight norm: a 2.5, b 0.25, a 2.5, so b goes; re-fitted, the first copy of a is free.
            Checks.keptRows(model, byFluctuation.model(), "w2", 0, 2);
            Checks.keptRows(model, byCost.model(), "w2", 1, 2);
            Checks.keptRows(model, withoutData.model(), "w2", 1, 2);
            assertEquals(1, progress.size(), progress.toString());
            assertTrue(progress.get(0).matches("ranking by compensated cost: group 1 of 1, h \\(3 features, 1 of 3"
                    + " units removed at most\\); \\d+\\.\\d s elapsed, about 0 s left"), progress.get(0));
            float[] plainFluctuation = Ort.run(byFluctuation.model(), x, n, 3).values();
            float[] plainCost = Ort.run(byCost.model(), x, n, 3).values();
            float[] original = Ort.run(model, x, n, 3).values();
            NodeCompensation.Options options = NodeCompensation.Options.defaults();
            float[] fittedFluctuation = Ort.run(NodeCompensation.compensate(model, byFluctuation, collector, options)
                    .model(), x, n, 3).values();
            float[] fittedCost = Ort.run(NodeCompensation.compensate(model, byCost, collector, options).model(), x, n,
                    3).values();
            for (int r = 0; r < n; r++) {
                float a = A[r % A.length];
                float b = B[r % B.length];
                assertEquals(2 * a + b, original[r], 1e-6);
                assertEquals(2 * a, plainFluctuation[r], 1e-6, "a + a without b");
                assertEquals(a + b, plainCost[r], 1e-6, "b + a without the first a");
                // The fit gives the remaining a both weights; nothing carries b once it is gone.
                assertEquals(2 * a + b, fittedCost[r], 0.01, "row " + r);
                assertEquals(2 * a, fittedFluctuation[r], 0.01, "row " + r);
            }
        }
    }

    @Test
    void theImportanceIsSpelledCompensatedAndNeedsData() {
        assertSame(UnitImportance.COMPENSATED, UnitImportance.parse(" Compensated "));
        assertEquals("compensated", UnitImportance.COMPENSATED.id());
        assertTrue(UnitImportance.COMPENSATED.fromCalibration());
        assertEquals("unknown unit importance 'obs': use l1, l2, fluctuation or compensated",
                assertThrows(IllegalArgumentException.class, () -> UnitImportance.parse("obs")).getMessage());
    }

    @Test
    void aGroupThatLosesNothingIsNeitherRankedNorMeasured() {
        ModelProto model = sumOfThree();
        List<String> asked = new ArrayList<>();
        NodePruningSettings none = new NodePruningSettings(0.34, Scope.LAYERWISE, List.of(SparsityOverride.parse(
                "w1=0")), List.of(), UnitImportance.COMPENSATED);
        NodePruningResult result = NodePruner.prune(model, none, value -> {
            asked.add("variance " + value);
            return null;
        }, reader -> {
            asked.add("ranking " + reader.input());
            return null;
        });

        assertEquals(List.of(), asked);
        assertSame(model, result.model());
    }

    private static NodePruningSettings third(UnitImportance importance) {
        return new NodePruningSettings(0.34, Scope.LAYERWISE, List.of(), List.of(), importance);
    }
}
