package io.github.onnxprune.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.onnxprune.Fixtures;
import io.github.onnxprune.eval.Metric;
import io.github.onnxprune.eval.Pooling;
import io.github.onnxprune.eval.ScoredOutput;
import io.github.onnxprune.gate.GateLimits;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.nodes.UnitImportance;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MeasuredScopeTest {

    private static final Path MODEL = Fixtures.fixture("digits-bert/model.onnx");

    private static PruningSettings pruning(Scope scope, PruneMethod method, double nodeSparsity) {
        return new PruningSettings(method, 0.5, nodeSparsity, scope, List.of(), TensorFilter.all(),
                UnitImportance.L1);
    }

    private static EvaluationSettings pooledCosine(CalibrationSettings calibration) {
        return new EvaluationSettings(Fixtures.fixture("digits-bert/validation.npz"), "labels", Metric.COSINE,
                new ScoredOutput("last_hidden_state", Pooling.MEAN, null), 64, 0, 1, true, calibration);
    }

    private static ModelTask task(Scope scope) {
        return new ModelTask(MODEL, "models/m.onnx", pruning(scope, PruneMethod.WEIGHTS, 0), pooledCosine(
                new CalibrationSettings(true, Fixtures.fixture("digits-bert/calibration.npz"), 512)),
                new GateLimits(null, 0.5));
    }

    @Test
    @SuppressWarnings("unchecked")
    void eachLayersShareComesFromItsMeasuredCostOnTheCalibrationDataUnderTheUniformTotal() throws Exception {
        List<String> progress = new ArrayList<>();
        ModelResult measured;
        ModelResult layerwise;
        try (ModelPruningPipeline pipeline = new ModelPruningPipeline("1.2.3", 1, progress::add)) {
            measured = pipeline.process(task(Scope.MEASURED));
            layerwise = pipeline.process(task(Scope.LAYERWISE));
        }
        Map<String, Object> weights = measured.report().step("weights").orElseThrow().fields();
        // The same 12448 zeros as uniform 50%, placed by each layer's cost.
        assertEquals(12448L, ((Number) weights.get("zeroWeights")).longValue());
        assertEquals(24896L, ((Number) weights.get("prunedWeights")).longValue());
        Map<String, Object> shares = (Map<String, Object>) weights.get("measuredShares");
        List<Map<String, Object>> tensors = (List<Map<String, Object>>) shares.get("tensors");
        // Block 0: Q, K, V, attention output, feed-forward in and out; block 1 the same; the classifier.
        assertEquals(List.of(362L, 256L, 256L, 283L, 1336L, 2368L, 684L, 256L, 256L, 354L, 2766L, 3031L, 240L),
                tensors.stream().map(t -> ((Number) t.get("zeros")).longValue()).toList());
        List<Map<String, Object>> pruned = (List<Map<String, Object>>) weights.get("tensors");
        for (int t = 0; t < tensors.size(); t++) {
            assertEquals(tensors.get(t).get("name"), pruned.get(t).get("name"));
            assertEquals(((Number) tensors.get(t).get("zeros")).longValue(),
                    ((Number) pruned.get(t).get("zerosAfter")).longValue());
        }
        assertEquals(List.of(0.5, 0.6), shares.get("levels"));
        assertEquals(64, ((Number) shares.get("samples")).intValue());
        assertEquals(26, ((Number) shares.get("evaluations")).intValue());
        // Pooled cosine on the validation sentences, which the allocation never saw.
        assertEquals(0.9957, measured.report().measurement().pruned(), 1e-4);
        assertEquals(0.9845, layerwise.report().measurement().pruned(), 1e-4);
        List<String> lines = progress.stream().filter(l -> l.contains("measured scope")).toList();
        assertEquals(14, lines.size(), lines.toString());
        assertTrue(lines.get(0).startsWith("models/m.onnx weights: measured scope: layer 1 of 13, onnx::MatMul_344:"
                + " loss 0.00035 at 0.50, 0.00059 at 0.60; "), lines.get(0));
        assertTrue(lines.get(13).startsWith("models/m.onnx weights: measured scope: 13 layers re-fitted alone at"
                + " 0.50 and 0.60, scored on 64 calibration samples (26 evaluations; "), lines.get(13));
        assertTrue(lines.get(13).endsWith("summed loss modelled at 0.002641 against 0.008941 uniform, 0.25 to 0.75"
                + " per tensor"), lines.get(13));
    }

    @Test
    void withoutCalibrationDataTheMeasuredScopeFailsBeforeAnyWorkSayingWhatToSet() {
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> new ModelTask(MODEL,
                "models/m.onnx", pruning(Scope.MEASURED, PruneMethod.WEIGHTS, 0),
                pooledCosine(CalibrationSettings.defaults()), new GateLimits(null, 0.5)));
        assertEquals("<scope>measured</scope> measures what each layer costs by re-fitting it"
                + " alone on calibration data, but no <calibrationData> is set (the validation data is not used for"
                + " it, so the gate keeps measuring on samples the allocation did not see). Set <calibrationData> to"
                + " samples like the ones the model will see, with <reconstruct>true</reconstruct>, or use"
                + " <scope>global</scope>, which needs no data", missing.getMessage());
        IllegalArgumentException off = assertThrows(IllegalArgumentException.class, () -> new ModelTask(MODEL,
                "models/m.onnx", pruning(Scope.MEASURED, PruneMethod.WEIGHTS, 0), pooledCosine(
                        new CalibrationSettings(false, Fixtures.fixture("digits-bert/calibration.npz"), 512)),
                new GateLimits(null, 0.5)));
        assertTrue(off.getMessage().contains("but <reconstruct> is false. Set <calibrationData>"), off.getMessage());
        IllegalArgumentException nodes = assertThrows(IllegalArgumentException.class, () -> new ModelTask(MODEL,
                "models/m.onnx", pruning(Scope.MEASURED, PruneMethod.NODES, 0), pooledCosine(
                        CalibrationSettings.defaults()), new GateLimits(null, 0.5)));
        assertEquals("<scope>measured</scope> shares out weight pruning's zeros, but this model"
                + " removes units (<method>nodes</method>). Use <scope>global</scope> for units, or"
                + " <method>weights</method> without <nodeSparsity>", nodes.getMessage());
    }
}
