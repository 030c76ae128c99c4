package io.github.onnxprune.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.onnxprune.Fixtures;
import io.github.onnxprune.eval.Metric;
import io.github.onnxprune.gate.GateLimits;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.nodes.UnitImportance;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GlobalScopeChoiceTest {

    private static ModelTask task(String fixture, String data, Scope scope, boolean reconstruct) throws Exception {
        Path model = Fixtures.load(fixture).modelFile();
        return new ModelTask(model, "models/m.onnx", new PruningSettings(PruneMethod.WEIGHTS, 0.9, 0, scope,
                List.of(), TensorFilter.all(), UnitImportance.L1), new EvaluationSettings(Fixtures.fixture(data),
                        null, Metric.ACCURACY, null, 64, 0, 1, true,
                        reconstruct ? CalibrationSettings.defaults() : CalibrationSettings.off()),
                new GateLimits(null, 0.9));
    }

    @Test
    @SuppressWarnings("unchecked")
    void reFittedGlobalKeepsUniformSharesWhenTheBlendDoesNotScoreBetterOnTheCalibrationData() throws Exception {
        List<String> progress = new ArrayList<>();
        ModelResult global;
        ModelResult layerwise;
        try (ModelPruningPipeline pipeline = new ModelPruningPipeline("1.2.3", 1, progress::add)) {
            global = pipeline.process(task("digits-cnn-bn", "digits-cnn/validation.npz", Scope.GLOBAL, true));
            layerwise = pipeline.process(task("digits-cnn-bn", "digits-cnn/validation.npz", Scope.LAYERWISE, true));
        }
        List<String> choices = progress.stream().filter(l -> l.contains("global scope:")).toList();
        assertEquals(List.of("models/m.onnx weights: global scope: accuracy 0.9806 on the calibration data with the"
                + " blended shares, 0.9833 with uniform shares; keeping the uniform shares"), choices);
        assertEquals(layerwise.report().measurement().pruned(), global.report().measurement().pruned());
        assertEquals(0.9833, global.report().measurement().pruned(), 1e-4);
        // report.json's weights section says which shares were kept and what both scored.
        Map<String, Object> shares = (Map<String, Object>) global.report().step("weights").orElseThrow().fields()
                .get("globalShares");
        assertEquals("uniform", shares.get("kept"));
        assertEquals(0.9806, (Double) shares.get("blendMetric"), 1e-4);
        assertEquals(0.9833, (Double) shares.get("uniformMetric"), 1e-4);
        assertEquals(null, layerwise.report().step("weights").orElseThrow().fields().get("globalShares"));
    }

    @Test
    void reFittedGlobalKeepsTheBlendWhereItScoresBetterAndPlainGlobalChoosesNothing() throws Exception {
        List<String> progress = new ArrayList<>();
        ModelResult global;
        ModelResult layerwise;
        ModelResult plain;
        try (ModelPruningPipeline pipeline = new ModelPruningPipeline("1.2.3", 1, progress::add)) {
            global = pipeline.process(task("digits-mlp", "digits-mlp/validation.npz", Scope.GLOBAL, true));
            layerwise = pipeline.process(task("digits-mlp", "digits-mlp/validation.npz", Scope.LAYERWISE, true));
            plain = pipeline.process(task("digits-mlp", "digits-mlp/validation.npz", Scope.GLOBAL, false));
        }
        List<String> choices = progress.stream().filter(l -> l.contains("global scope:")).toList();
        assertEquals(1, choices.size(), progress.toString());
        assertEquals("models/m.onnx weights: global scope: accuracy 0.9333 on the calibration data with the blended"
                + " shares, 0.8583 with uniform shares; keeping the blend", choices.get(0));
        assertEquals(0.9333, global.report().measurement().pruned(), 1e-4);
        assertEquals(0.8583, layerwise.report().measurement().pruned(), 1e-4);
        assertEquals("blend", ((Map<?, ?>) global.report().step("weights").orElseThrow().fields().get("globalShares"))
                .get("kept"));
        // Without a re-fit there is no calibration data to choose on: the blend as always (0.4361).
        assertEquals(0.4361, plain.report().measurement().pruned(), 1e-4);
    }
}
