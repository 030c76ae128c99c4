package io.github.onnxprune.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.onnxprune.Fixtures;
import io.github.onnxprune.eval.Metric;
import io.github.onnxprune.gate.GateLimits;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.nodes.UnitImportance;
import io.github.onnxprune.search.SearchSettings;
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
        assertEquals(List.of("models/m.onnx weights: global scope: accuracy on the validation data (also the"
                + " calibration data): 0.9833 with uniform shares, 0.9806 with the blend, 0.9778 with one magnitude"
                + " threshold; keeping uniform shares"), choices);
        assertEquals(layerwise.report().measurement().pruned(), global.report().measurement().pruned());
        assertEquals(0.9833, global.report().measurement().pruned(), 1e-4);
        // report.json's weights section says which shares were kept and what both scored.
        Map<String, Object> shares = (Map<String, Object>) global.report().step("weights").orElseThrow().fields()
                .get("globalShares");
        assertEquals("uniform", shares.get("kept"));
        assertEquals(0.9806, (Double) shares.get("blendMetric"), 1e-4);
        assertEquals(0.9833, (Double) shares.get("uniformMetric"), 1e-4);
        assertEquals(0.9778, (Double) shares.get("thresholdMetric"), 1e-4);
        assertEquals(true, shares.get("onValidationData"));
        assertEquals(null, layerwise.report().step("weights").orElseThrow().fields().get("globalShares"));
    }

    @Test
    void globalKeepsTheThresholdOnlyWhereItScoresBestAndChoosesWithoutARefitToo() throws Exception {
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
        assertEquals(List.of("models/m.onnx weights: global scope: accuracy on the validation data (also the"
                + " calibration data): 0.8583 with uniform shares, 0.9333 with the blend, 0.9556 with one magnitude"
                + " threshold; keeping the threshold", "models/m.onnx weights: global scope: accuracy on the"
                + " validation data (also the calibration data): 0.2806 with uniform shares, 0.4361 with the blend,"
                + " 0.4056 with one magnitude threshold; keeping the blend"), choices);
        // Re-fitted, one raw threshold scores best on digits-mlp at 90% (the first global scope's 95.6%).
        assertEquals(0.9556, global.report().measurement().pruned(), 1e-4);
        assertEquals(0.8583, layerwise.report().measurement().pruned(), 1e-4);
        assertEquals("threshold", ((Map<?, ?>) global.report().step("weights").orElseThrow().fields()
                .get("globalShares")).get("kept"));
        // Without a re-fit the validation data is the calibration data it chooses on: the blend (0.4361).
        assertEquals(0.4361, plain.report().measurement().pruned(), 1e-4);
        assertEquals("blend", ((Map<?, ?>) plain.report().step("weights").orElseThrow().fields()
                .get("globalShares")).get("kept"));
    }

    @Test
    void aGlobalSearchCountsTheShareChoicesRunsApartFromItsBudgetOfEvaluations() throws Exception {
        ModelTask bound = task("digits-mlp", "digits-mlp/validation.npz", Scope.GLOBAL, true);
        PruningSettings p = bound.pruning();
        ModelTask searching = new ModelTask(bound.file(), bound.entryName(), new PruningSettings(p.method(), 0.95, 0,
                p.scope(), p.overrides(), p.filter(), p.importance(), p.quantization(), new SearchSettings(true, 6)),
                bound.evaluation(), new GateLimits(null, 0.05));
        List<String> progress = new ArrayList<>();
        ModelResult result;
        try (ModelPruningPipeline pipeline = new ModelPruningPipeline("1.2.3", 1, progress::add)) {
            result = pipeline.process(searching);
        }
        Map<?, ?> trace = (Map<?, ?>) result.report().step("search").orElseThrow().fields().get("search");
        int candidates = ((Number) trace.get("evaluations")).intValue();
        int profile = ((Number) trace.get("profileEvaluations")).intValue();
        // The budget of 6 counts the candidates' and the profile's evaluations on the validation data only.
        assertEquals(List.of(6, 0), List.of(candidates, profile), progress.toString());
        // Each candidate chose among three share vectors, one model run on the calibration samples each (one
        // line per candidate); the profile's runs prune one group alone and choose nothing.
        assertEquals(candidates, progress.stream().filter(l -> l.contains("weights: global scope:")).count());
        assertEquals(18, trace.get("shareChoiceRuns"));
        assertEquals(List.of("models/m.onnx search: the global scope chose its shares in each of the 6 candidates:"
                + " 18 model runs on the validation data (also the calibration data) (uniform shares, the blend and"
                + " one threshold, each pruned and, with reconstruction, re-fitted), not among the budget's"
                + " evaluations"), progress.stream().filter(l -> l.contains("chose its shares")).toList());
    }

    @Test
    void theShareChoiceIsAResultOnceAndProgressInEachOfASearchsCandidates() throws Exception {
        List<String> results = new ArrayList<>();
        List<String> progress = new ArrayList<>();
        ModelTask bound = task("digits-mlp", "digits-mlp/validation.npz", Scope.GLOBAL, true);
        PruningSettings p = bound.pruning();
        ModelTask searching = new ModelTask(bound.file(), bound.entryName(), new PruningSettings(p.method(), 0.95, 0,
                p.scope(), p.overrides(), p.filter(), p.importance(), p.quantization(), new SearchSettings(true, 4)),
                bound.evaluation(), new GateLimits(null, 0.05));
        try (ModelPruningPipeline pipeline = new ModelPruningPipeline("1.2.3", 1,
                new RunLog(results::add, progress::add, null), null)) {
            pipeline.process(bound);
            assertEquals(1, results.size(), results.toString());
            assertTrue(results.get(0).startsWith("models/m.onnx weights: global scope: accuracy on the validation"
                    + " data (also the calibration data): "), results.get(0));
            // The re-fit's lines, one per layer for each of the three share vectors, are progress.
            assertEquals(9, progress.size(), progress.toString());
            assertTrue(progress.stream().allMatch(line -> line.startsWith("models/m.onnx weights: layer ")),
                    progress.toString());
            results.clear();
            progress.clear();
            pipeline.process(searching);
        }
        assertEquals(1, results.size(), results.toString());
        assertTrue(results.get(0).startsWith("models/m.onnx search: the global scope chose its shares in each of the"
                + " 4 candidates: 12 model runs"), results.get(0));
        assertEquals(4, progress.stream().filter(line -> line.contains("weights: global scope:")).count());
        assertEquals(4, progress.stream().filter(line -> line.startsWith("models/m.onnx search: candidate ")).count());
    }
}
