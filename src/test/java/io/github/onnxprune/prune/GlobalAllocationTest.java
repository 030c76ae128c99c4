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
    void scoresAreEachWeightsSquareOverTheSquaresOfTheWeightsAtLeastAsLarge() {
        float[] scores = GlobalAllocation.scores(new float[] {3, 1, 4, 2});
        assertEquals(9.0 / 25, scores[0], 1e-7);
        assertEquals(1.0 / 30, scores[1], 1e-7);
        assertEquals(1.0, scores[2], 1e-7);
        assertEquals(4.0 / 29, scores[3], 1e-7);
    }

    @Test
    void countsTakeTheSmallestScoresAcrossTensorsExactly() {
        float[] small = {1, 2, 3, 4};
        float[] flat = {10, 10};
        assertArrayEquals(new long[] {3, 0}, GlobalAllocation.counts(List.of(small, flat), 3));
        // The next smallest score is the first 10 (100 / 200), before the 4 (which scores 1).
        assertArrayEquals(new long[] {3, 1}, GlobalAllocation.counts(List.of(small, flat), 4));
        assertArrayEquals(new long[] {0, 0}, GlobalAllocation.counts(List.of(small, flat), 0));
        assertArrayEquals(new long[] {4, 2}, GlobalAllocation.counts(List.of(small, flat), 6));
        assertThrows(IllegalArgumentException.class, () -> GlobalAllocation.counts(List.of(small, flat), 7));
    }

    @Test
    void aTensorsScaleDoesNotChangeItsShare() {
        float[] a = {0.5f, -0.1f, 2f, 0.25f, 1f, 0.75f};
        float[] b = {3f, 1f, 0.2f, 2f};
        float[] scaledB = new float[b.length];
        for (int i = 0; i < b.length; i++) {
            scaledB[i] = Math.abs(b[i]) * 1000f;
        }
        for (int total = 0; total <= 10; total++) {
            assertArrayEquals(GlobalAllocation.counts(List.of(a, b), total),
                    GlobalAllocation.counts(List.of(a, scaledB), total), "total " + total);
        }
    }

    @Test
    void noTensorIsEmptiedWhileAnotherStillHasAWeightScoringBelowOne() {
        // One raw threshold would zero every weight of the tiny tensor before any of the large one.
        float[] tiny = {1e-4f, 2e-4f, 3e-4f};
        float[] large = {1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f};
        long[] counts = GlobalAllocation.counts(List.of(tiny, large), 9);
        assertArrayEquals(new long[] {2, 7}, counts);
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
        var plain = MagnitudePruner.prune(graph, WeightSelector.select(graph, TensorFilter.all()).tensors(), settings);
        var folded = MagnitudePruner.prune(scaled, WeightSelector.select(scaled, TensorFilter.all()).tensors(),
                settings);
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
