package io.github.onnxprune.step.nodes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.Fixtures;
import io.github.onnxprune.onnx.OnnxModelReader;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.nodes.LayerChange;
import io.github.onnxprune.prune.nodes.NodePruningResult;
import io.github.onnxprune.prune.nodes.NodePruningSettings;
import io.github.onnxprune.report.StepSection;
import io.github.onnxprune.step.StepInput;
import io.github.onnxprune.step.StepResult;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A BERT-style encoder exported with a dynamic sequence length: its projections' MACs are counted per token, so
 * the node-pruning section has numbers (and their reduction) where it said "MACs unknown".
 */
class MacsPerTokenTest {

    @Test
    void theEncodersProjectionsCountTheirMacsPerTokenAndTheClassifierPerSample() {
        ModelProto model = OnnxModelReader.read(Fixtures.fixture("digits-bert/model.onnx"));
        StepResult<NodePruningResult> result = new NodePruningStep(NodePruningSettings.of(0.5, Scope.LAYERWISE),
                false).apply(new StepInput(model, model, null, null));
        List<LayerChange> layers = result.edits().layers();
        // Two blocks of Q, K, V, the attention output, the intermediate and the output projection (hidden 32,
        // 4 heads, FFN 128), then the classifier on the first token (10 classes).
        assertEquals(13, layers.size(), layers.toString());
        for (LayerChange layer : layers.subList(0, 12)) {
            assertTrue(layer.macsPerToken(), layer.toString());
            // One multiply-add per weight and token: the weight's elements before and after.
            assertEquals(layer.paramsBefore() - layer.unitsBefore(), layer.macsBefore(), layer.toString());
            assertEquals(layer.paramsAfter() - layer.unitsAfter(), layer.macsAfter(), layer.toString());
        }
        LayerChange query = layers.get(0);
        assertEquals(32 * 32, query.macsBefore());
        assertEquals(32 * 16, query.macsAfter());
        LayerChange classifier = layers.get(12);
        assertFalse(classifier.macsPerToken());
        assertEquals(32 * 10, classifier.macsBefore());
        // Per sample, the total mixes in a run-time length: unknown, as before.
        assertEquals(-1, result.edits().macsBefore());

        StepSection section = result.section();
        Map<String, Object> first = section.items("layers").get(0);
        assertEquals("token", first.get("macsPer"));
        assertEquals(1024L, ((Number) first.get("macsBefore")).longValue());
        assertEquals("sample", section.items("layers").get(12).get("macsPer"));
        assertTrue(section.log().get(0).endsWith("MACs per token 1024 -> 512"), section.log().get(0));
        long before = layers.subList(0, 12).stream().mapToLong(LayerChange::macsBefore).sum();
        long after = layers.subList(0, 12).stream().mapToLong(LayerChange::macsAfter).sum();
        assertEquals(2 * (4 * 32 * 32 + 2 * 32 * 128), before);
        assertTrue(section.log().contains(String.format(java.util.Locale.ROOT, "MACs per token of the 12 layers"
                + " that read a sequence: %d -> %d (%.1f%% fewer)", before, after, 100.0 * (before - after) / before)),
                section.log().toString());
    }

    @Test
    void theLogNamesTheLayersThatChangedAndCountsTheOthers() {
        ModelProto model = OnnxModelReader.read(Fixtures.fixture("digits-bert/model.onnx"));
        // The second block left whole: its six projections keep their units and weights, and so does the
        // classifier, which reads the second block's output.
        NodePruningSettings settings = new NodePruningSettings(0.5, Scope.LAYERWISE,
                List.of(io.github.onnxprune.prune.SparsityOverride.parse("*layers.1*=0")), List.of(),
                NodePruningSettings.of(0.5, Scope.LAYERWISE).importance());
        StepResult<NodePruningResult> result = new NodePruningStep(settings, false)
                .apply(new StepInput(model, model, null, null));
        List<LayerChange> layers = result.edits().layers();
        long whole = layers.stream().filter(l -> l.unitsAfter() == l.unitsBefore()
                && l.paramsAfter() == l.paramsBefore()).count();
        assertEquals(7, whole, layers.toString());
        List<String> log = result.section().log();
        assertEquals(layers.size() - 7, log.stream().filter(line -> line.contains(": units ")).count(), log.toString());
        assertTrue(log.stream().noneMatch(line -> line.startsWith("/layers.1/") && line.contains(": units ")),
                log.toString());
        assertTrue(log.contains("7 other layers unchanged (report.json lists every layer)"), log.toString());
        assertEquals(layers.size(), result.section().items("layers").size());
    }
}
