package io.github.onnxprune.prune.nodes;

import io.github.onnxprune.Fixtures;
import io.github.onnxprune.eval.Tensor;

import static io.github.onnxprune.prune.nodes.Checks.dims;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.onnx.OnnxModelReader;
import io.github.onnxprune.prune.Scope;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Node pruning of the real-data fixtures: every model prunes, runs, and really shrinks. */
class NodePrunerFixturesTest {

    @Test
    void everyFixtureHalvesAndRuns() throws Exception {
        for (Fixtures.Loaded fixture : Fixtures.all()) {
            ModelProto model = fixture.model();
            Tensor input = fixture.input().rows(0, 32);
            for (Scope scope : Scope.values()) {
                NodePruningResult result = NodePruner.prune(model, NodePruningSettings.of(0.5, scope));
                String what = fixture.name() + " " + scope.id() + " " + result.layers() + " " + result.skipped();
                double ratio = (double) result.paramsAfter() / result.paramsBefore();
                assertTrue(ratio > 0.15 && ratio < 0.6, what + ": parameters " + ratio);
                assertTrue(result.macsAfter() > 0 && result.macsAfter() < 0.6 * result.macsBefore(), what);
                Ort.Output before = Ort.run(model, (float[]) input.data(), input.shape());
                Ort.Output after = Ort.run(result.model(), (float[]) input.data(), input.shape());
                assertArrayEquals(before.shape(), after.shape(), what);
                // Only the output layer is left whole: every other layer is analysable in these models.
                assertEquals(1, result.skipped().size(), what);
                assertTrue(result.skipped().get(0).reason().contains("graph output 'logits'"), what);
            }
        }
    }

    @Test
    void residualCnnKeepsChannelCountsConsistent() throws Exception {
        ModelProto model = OnnxModelReader.read(Fixtures.ROOT.resolve("digits-cnn/model-bn.onnx"));
        ModelProto pruned = NodePruner.prune(model, NodePruningSettings.of(0.5, Scope.LAYERWISE)).model();
        // The stem conv and the block's second conv are summed by the residual Add: both keep 8 of 16.
        assertEquals(List.of(8L, 1L, 3L, 3L), dims(pruned, "conv1.weight"));
        assertEquals(List.of(8L, 8L, 3L, 3L), dims(pruned, "block.conv1.weight"));
        assertEquals(List.of(8L, 8L, 3L, 3L), dims(pruned, "block.conv2.weight"));
        assertEquals(List.of(16L, 8L, 3L, 3L), dims(pruned, "conv2.weight"));
        assertEquals(List.of(10L, 16L * 16), dims(pruned, "fc.weight"));
        for (String bn : List.of("bn1", "block.bn1", "block.bn2")) {
            for (String part : List.of("weight", "bias", "running_mean", "running_var")) {
                assertEquals(List.of(8L), dims(pruned, bn + "." + part), bn + "." + part);
            }
        }
        assertEquals(List.of(16L), dims(pruned, "bn2.running_var"));
    }

    @Test
    void foldedCnnPrunesLikeTheBatchNormOne() throws Exception {
        ModelProto bn = OnnxModelReader.read(Fixtures.ROOT.resolve("digits-cnn/model-bn.onnx"));
        ModelProto folded = OnnxModelReader.read(Fixtures.ROOT.resolve("digits-cnn/model-folded.onnx"));
        NodePruningSettings half = NodePruningSettings.of(0.5, Scope.LAYERWISE);
        List<Integer> bnUnits = NodePruner.prune(bn, half).layers().stream().map(LayerChange::unitsAfter)
                .collect(Collectors.toList());
        List<Integer> foldedUnits = NodePruner.prune(folded, half).layers().stream().map(LayerChange::unitsAfter)
                .collect(Collectors.toList());
        assertEquals(List.of(8, 8, 8, 16, 10), bnUnits);
        assertEquals(bnUnits, foldedUnits);
    }

    @Test
    void zeroSparsityLeavesEveryFixtureByteIdentical() throws Exception {
        for (Fixtures.Loaded fixture : Fixtures.all()) {
            ModelProto model = fixture.model();
            NodePruningResult result = NodePruner.prune(model, NodePruningSettings.of(0.0, Scope.LAYERWISE));
            assertArrayEquals(java.nio.file.Files.readAllBytes(fixture.modelFile()), result.model().toByteArray(),
                    fixture.name());
        }
    }
}
