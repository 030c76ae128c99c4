package io.github.onnxprune.prune;

import static io.github.onnxprune.Fixtures.fixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.onnx.OnnxModelReader;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GlobalAllocationTest {

    @Test
    void rankedScoresAreEachWeightsSquareOverTheSquaresOfTheWeightsAtLeastAsLargeInAscendingOrder() {
        float[] scores = GlobalAllocation.rankedScores(new float[] {3, 1, 4, 2});
        assertEquals(1.0 / 30, scores[0], 1e-7);
        assertEquals(4.0 / 29, scores[1], 1e-7);
        assertEquals(9.0 / 25, scores[2], 1e-7);
        assertEquals(1.0, scores[3], 1e-7);
    }

    @Test
    void lampCountsEqualOneSelectionOfTheSmallestScoresOverAllWeights() {
        // The reference: every weight's score in its tensor's order, all tensors end to end, the total smallest
        // picked with ties to the lower index (the earlier tensor, then the earlier position).
        java.util.SplittableRandom random = new java.util.SplittableRandom(11);
        for (int trial = 0; trial < 300; trial++) {
            List<float[]> magnitudes = new java.util.ArrayList<>();
            int size = 0;
            for (int t = 0, tensors = 1 + random.nextInt(5); t < tensors; t++) {
                float[] values = new float[1 + random.nextInt(30)];
                for (int i = 0; i < values.length; i++) {
                    // Few distinct values, zeros and a scale per tensor: many equal magnitudes and equal scores.
                    values[i] = random.nextInt(5) == 0 ? 0f : (1 + random.nextInt(4)) * (float) Math.pow(2, t);
                }
                if (random.nextInt(10) == 0) {
                    values[0] = Float.POSITIVE_INFINITY;
                }
                if (random.nextInt(10) == 0) {
                    values[values.length - 1] = Float.NaN;
                }
                magnitudes.add(values);
                size += values.length;
            }
            float[] all = new float[size];
            int[] tensorOf = new int[size];
            int offset = 0;
            for (int t = 0; t < magnitudes.size(); t++) {
                float[] own = referenceScores(magnitudes.get(t));
                System.arraycopy(own, 0, all, offset, own.length);
                java.util.Arrays.fill(tensorOf, offset, offset + own.length, t);
                offset += own.length;
            }
            for (int total = 0; total <= size; total++) {
                long[] expected = new long[magnitudes.size()];
                for (int index : SmallestMagnitudes.select(all, total)) {
                    expected[tensorOf[index]]++;
                }
                assertArrayEquals(expected, GlobalAllocation.lampCounts(magnitudes, total),
                        "trial " + trial + " total " + total);
            }
        }
    }

    /** LAMP scores in the tensor's own order, ranks among equal magnitudes by position. */
    private static float[] referenceScores(float[] magnitudes) {
        Integer[] order = new Integer[magnitudes.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Float.compare(magnitudes[a], magnitudes[b]) != 0
                ? Float.compare(magnitudes[a], magnitudes[b]) : Integer.compare(a, b));
        float[] scores = new float[magnitudes.length];
        double suffix = 0;
        for (int r = order.length - 1; r >= 0; r--) {
            double square = (double) magnitudes[order[r]] * magnitudes[order[r]];
            if (!Double.isFinite(square)) {
                scores[order[r]] = Float.POSITIVE_INFINITY;
                continue;
            }
            suffix += square;
            scores[order[r]] = suffix == 0 ? 0f : (float) (square / suffix);
        }
        return scores;
    }

    @Test
    void lampCountsTakeTheSmallestScoresAcrossTensorsExactly() {
        float[] small = {1, 2, 3, 4};
        float[] flat = {10, 10};
        assertArrayEquals(new long[] {3, 0}, GlobalAllocation.lampCounts(List.of(small, flat), 3));
        // The next smallest score is the first 10 (100 / 200), before the 4 (which scores 1).
        assertArrayEquals(new long[] {3, 1}, GlobalAllocation.lampCounts(List.of(small, flat), 4));
        assertArrayEquals(new long[] {0, 0}, GlobalAllocation.lampCounts(List.of(small, flat), 0));
        assertArrayEquals(new long[] {4, 2}, GlobalAllocation.lampCounts(List.of(small, flat), 6));
        assertThrows(IllegalArgumentException.class, () -> GlobalAllocation.lampCounts(List.of(small, flat), 7));
    }

    @Test
    void countsBlendTheUniformAndTheLampSharesAndRoundToTheExactTotal() {
        float[] ramp = {1, 2, 3, 4, 5, 6, 7, 8};
        float[] flat = {10, 10, 10, 10};
        List<float[]> tensors = List.of(ramp, flat);
        // Zeroing 6 of 12: uniform gives 4 and 2; LAMP's six smallest scores are the ramp's 1..6 (6 scores
        // 36 / 149, below the first 10's 100 / 400), so 6 and 0.
        assertArrayEquals(new long[] {6, 0}, GlobalAllocation.lampCounts(tensors, 6));
        assertArrayEquals(new long[] {4, 2}, GlobalAllocation.counts(tensors, 6, 0));
        assertArrayEquals(new long[] {5, 1}, GlobalAllocation.counts(tensors, 6, 0.5));
        // 4.5 and 1.5: both floors leave one weight over, and equal remainders go to the earlier tensor.
        assertArrayEquals(new long[] {5, 1}, GlobalAllocation.counts(tensors, 6, 0.25));
        assertArrayEquals(new long[] {6, 0}, GlobalAllocation.counts(tensors, 6, 1));
        assertArrayEquals(new long[] {0, 0}, GlobalAllocation.counts(tensors, 0, 0.5));
        assertArrayEquals(new long[] {8, 4}, GlobalAllocation.counts(tensors, 12, 0.5));
        assertThrows(IllegalArgumentException.class, () -> GlobalAllocation.counts(tensors, 13, 0.5));
        assertThrows(IllegalArgumentException.class, () -> GlobalAllocation.counts(tensors, 6, 1.5));
    }

    @Test
    void countsAlwaysSumToTheTotalWithinEachTensorsSize() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        for (int trial = 0; trial < 200; trial++) {
            int tensors = 1 + random.nextInt(6);
            List<float[]> magnitudes = new java.util.ArrayList<>();
            long size = 0;
            for (int t = 0; t < tensors; t++) {
                float[] values = new float[1 + random.nextInt(40)];
                float scale = (float) Math.pow(10, random.nextInt(-4, 5));
                for (int i = 0; i < values.length; i++) {
                    values[i] = random.nextInt(4) == 0 ? 0f : (float) random.nextDouble() * scale;
                }
                magnitudes.add(values);
                size += values.length;
            }
            long total = random.nextLong(size + 1);
            for (double share : new double[] {0, 0.25, 0.5, 1}) {
                long[] counts = GlobalAllocation.counts(magnitudes, total, share);
                long sum = 0;
                for (int t = 0; t < tensors; t++) {
                    assertTrue(counts[t] >= 0 && counts[t] <= magnitudes.get(t).length, "trial " + trial);
                    sum += counts[t];
                }
                assertEquals(total, sum, "trial " + trial + " share " + share);
            }
        }
    }

    @Test
    void thresholdCountsTakeTheSmallestRawMagnitudesAcrossTensorsTiesToTheEarlierTensor() {
        float[] small = {0.5f, 3, 1, 3};
        float[] large = {3, 2, 10};
        assertArrayEquals(new long[] {2, 0}, GlobalAllocation.thresholdCounts(List.of(small, large), 2));
        assertArrayEquals(new long[] {2, 1}, GlobalAllocation.thresholdCounts(List.of(small, large), 3));
        // Three 3s tie for the fourth to sixth places: the earlier tensor's two go first.
        assertArrayEquals(new long[] {3, 1}, GlobalAllocation.thresholdCounts(List.of(small, large), 4));
        assertArrayEquals(new long[] {4, 1}, GlobalAllocation.thresholdCounts(List.of(small, large), 5));
        assertArrayEquals(new long[] {4, 2}, GlobalAllocation.thresholdCounts(List.of(small, large), 6));
        assertArrayEquals(new long[] {4, 3}, GlobalAllocation.thresholdCounts(List.of(small, large), 7));
        assertThrows(IllegalArgumentException.class,
                () -> GlobalAllocation.thresholdCounts(List.of(small, large), 8));
        // The scale that folding BatchNormalization changes is exactly what moves it: the first global scope.
        float[] scaledDown = {0.005f, 0.03f, 0.01f, 0.03f};
        assertArrayEquals(new long[] {4, 0}, GlobalAllocation.thresholdCounts(List.of(scaledDown, large), 4));
    }

    @Test
    void thresholdCountsMatchOneSelectionOverAllMagnitudes() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(19);
        for (int trial = 0; trial < 300; trial++) {
            List<float[]> magnitudes = new java.util.ArrayList<>();
            int size = 0;
            for (int t = 1 + random.nextInt(5); t > 0; t--) {
                float[] values = new float[1 + random.nextInt(30)];
                for (int i = 0; i < values.length; i++) {
                    // Few distinct values: many ties across tensors.
                    values[i] = random.nextInt(6) * 0.25f;
                }
                magnitudes.add(values);
                size += values.length;
            }
            int total = random.nextInt(size + 1);
            float[] pool = new float[size];
            int[] tensorOf = new int[size];
            int offset = 0;
            for (int t = 0; t < magnitudes.size(); t++) {
                System.arraycopy(magnitudes.get(t), 0, pool, offset, magnitudes.get(t).length);
                java.util.Arrays.fill(tensorOf, offset, offset + magnitudes.get(t).length, t);
                offset += magnitudes.get(t).length;
            }
            long[] expected = new long[magnitudes.size()];
            for (int i : SmallestMagnitudes.select(pool, total)) {
                expected[tensorOf[i]]++;
            }
            assertArrayEquals(expected, GlobalAllocation.thresholdCounts(magnitudes, total), "trial " + trial);
        }
    }

    @Test
    void aTensorsScaleDoesNotChangeItsShare() {
        float[] a = {0.5f, -0.1f, 2f, 0.25f, 1f, 0.75f};
        float[] b = {3f, 1f, 0.2f, 2f};
        float[] scaledB = new float[b.length];
        for (int i = 0; i < b.length; i++) {
            scaledB[i] = Math.abs(b[i]) * 1000f;
        }
        for (double share : new double[] {GlobalAllocation.SALIENCY_SHARE,
                GlobalAllocation.SALIENCY_SHARE_BEFORE_REFIT, 1}) {
            for (int total = 0; total <= 10; total++) {
                assertArrayEquals(GlobalAllocation.counts(List.of(a, b), total, share),
                        GlobalAllocation.counts(List.of(a, scaledB), total, share), "total " + total);
            }
        }
    }

    @Test
    void noTensorIsEmptiedWhileAnotherStillHasAWeightScoringBelowOne() {
        // One raw threshold would zero every weight of the tiny tensor before any of the large one.
        float[] tiny = {1e-4f, 2e-4f, 3e-4f};
        float[] large = {1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f};
        assertArrayEquals(new long[] {2, 7}, GlobalAllocation.lampCounts(List.of(tiny, large), 9));
        // Blended half with uniform (2.45 and 6.55): 2.23 and 6.77, so still one weight of the tiny tensor stays.
        assertArrayEquals(new long[] {2, 7}, GlobalAllocation.counts(List.of(tiny, large), 9, 0.5));
    }

    @Test
    void foldingAConstantIntoOneLayerLeavesTheGlobalSelectionUnchanged() throws Exception {
        ModelProto model = OnnxModelReader.read(fixture("digits-mlp/model.onnx"));
        ModelGraph graph = ModelGraph.of(model);
        FloatTensor fc1 = FloatTensor.of(graph.constant("fc1.weight").orElseThrow().tensor());
        double[] values = fc1.values();
        for (int i = 0; i < values.length; i++) {
            values[i] *= 64;
        }
        ModelGraph scaled = ModelGraph.of(graph.withConstants(Map.of("fc1.weight", fc1.withValues(values))));
        var settings = new WeightPruningSettings(0.8, Scope.GLOBAL, List.of());
        for (boolean refitFollows : new boolean[] {false, true}) {
            assertSameMask(MagnitudePruner.prune(graph, WeightSelector.select(graph, TensorFilter.all()).tensors(),
                    settings, refitFollows), MagnitudePruner.prune(scaled,
                    WeightSelector.select(scaled, TensorFilter.all()).tensors(), settings, refitFollows));
        }
    }

    private static void assertSameMask(MagnitudePruner.Result plain, MagnitudePruner.Result folded) {
        for (int t = 0; t < plain.tensors().size(); t++) {
            assertEquals(plain.tensors().get(t).zeroed(), folded.tensors().get(t).zeroed());
            String name = plain.tensors().get(t).name();
            TensorProto before = ModelGraph.of(plain.model()).constant(name).orElseThrow().tensor();
            TensorProto after = ModelGraph.of(folded.model()).constant(name).orElseThrow().tensor();
            double[] x = FloatTensor.of(before).values();
            double[] y = FloatTensor.of(after).values();
            for (int i = 0; i < x.length; i++) {
                assertTrue((x[i] == 0) == (y[i] == 0), name + "[" + i + "]");
            }
        }
    }
}
