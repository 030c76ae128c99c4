package io.github.onnxprune.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.onnxprune.Fixtures;
import io.github.onnxprune.eval.Metric;
import io.github.onnxprune.gate.GateLimits;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.nodes.UnitImportance;
import io.github.onnxprune.search.SearchSettings;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CompensatedImportanceTest {

    private static ModelTask task(PruneMethod method, double nodeSparsity, String data,
            CalibrationSettings calibration) {
        return new ModelTask(Fixtures.fixture("digits-mlp/model.onnx"), "models/m.onnx",
                new PruningSettings(method, 0.5, nodeSparsity, Scope.LAYERWISE, List.of(), TensorFilter.all(),
                        UnitImportance.COMPENSATED),
                new EvaluationSettings(data == null ? null : Fixtures.fixture(data), null, Metric.ACCURACY, null, 64,
                        0, 1, data != null, calibration),
                new GateLimits(null, 1.0));
    }

    @Test
    void withoutAnyDataItFailsBeforeAnyWorkSayingWhatToSet() {
        IllegalArgumentException nodes = assertThrows(IllegalArgumentException.class,
                () -> task(PruneMethod.NODES, 0, null, CalibrationSettings.defaults()));
        assertEquals("<importance>compensated</importance> (property onnx-prune.importance) ranks units by the"
                + " output error their removal leaves once the layer reading them is re-fitted, measured on"
                + " calibration data, but this model has neither <calibrationData> nor <validationData>. Set"
                + " <calibrationData> to samples like the ones the model will see (or <validationData>, which it"
                + " then also calibrates on), or use <importance>l2</importance>, which needs no data",
                nodes.getMessage());
        assertThrows(IllegalArgumentException.class, () -> task(PruneMethod.WEIGHTS, 0.25, null,
                CalibrationSettings.defaults()));
        // Weight pruning alone removes no unit: the importance plays no part, and nothing needs data.
        assertEquals(UnitImportance.COMPENSATED, task(PruneMethod.WEIGHTS, 0, null, CalibrationSettings.defaults())
                .pruning().importance());
        // A calibration set alone is enough.
        assertEquals(UnitImportance.COMPENSATED, task(PruneMethod.NODES, 0, null, new CalibrationSettings(true,
                Fixtures.fixture("digits-mlp/npy"), 100)).pruning().importance());
    }

    @Test
    void itRanksEachHiddenLayerByItsReadersRefitAndLogsEachGroup() throws Exception {
        List<String> progress = new ArrayList<>();
        ModelResult plain;
        ModelResult fitted;
        try (ModelPruningPipeline pipeline = new ModelPruningPipeline("1.2.3", 1, progress::add)) {
            plain = pipeline.process(task(PruneMethod.NODES, 0, "digits-mlp/validation.npz",
                    CalibrationSettings.off()));
            fitted = pipeline.process(task(PruneMethod.NODES, 0, "digits-mlp/validation.npz",
                    CalibrationSettings.defaults()));
        }
        // Measured on the 360 validation images it calibrates on: fluctuation keeps 174 and 348, l1 283 and 349.
        assertEquals(246 / 360.0, plain.report().measurement().pruned(), 1e-12);
        assertEquals(348 / 360.0, fitted.report().measurement().pruned(), 1e-12);
        List<String> lines = progress.stream().filter(l -> l.contains("compensated cost")).toList();
        assertEquals(4, lines.size(), lines.toString());
        assertTrue(lines.get(0).startsWith("models/m.onnx nodes: ranking by compensated cost: group 1 of 2,"
                + " /relu1/Relu_output_0 (64 features, 32 of 64 units removed at most); "), lines.get(0));
        assertTrue(lines.get(1).startsWith("models/m.onnx nodes: ranking by compensated cost: group 2 of 2,"
                + " /relu2/Relu_output_0 (32 features, 16 of 32 units removed at most); "), lines.get(1));
        assertTrue(lines.get(1).endsWith(" s elapsed, about 0 s left"), lines.get(1));
    }

    /** The layerwise node task at {@code sparsity}, searched within {@code budget} evaluations when above 0. */
    private static ModelTask searching(double sparsity, int budget) {
        ModelTask plain = task(PruneMethod.NODES, 0, "digits-mlp/validation.npz", CalibrationSettings.defaults());
        PruningSettings p = plain.pruning();
        return new ModelTask(plain.file(), plain.entryName(), new PruningSettings(p.method(), sparsity,
                p.nodeSparsity(), p.scope(), p.overrides(), p.filter(), p.importance(), p.quantization(),
                budget > 0 ? new SearchSettings(true, budget) : SearchSettings.OFF), plain.evaluation(),
                new GateLimits(null, 0.005));
    }

    @Test
    void aSearchRanksEachGroupOnceForAllItsCandidatesAndChoosesWhatARankingOfItsOwnWould() throws Exception {
        SearchedThenAlone runs = SearchedThenAlone.run(CompensatedImportanceTest::searching, 0.5, 6);
        int candidates = runs.candidates();
        assertTrue(candidates >= 3, "candidates " + candidates);
        List<String> searchLines = runs.searchLines();
        // The first candidate, the bound, removes the most: its orders give every later candidate's costs.
        assertEquals(2, searchLines.stream().filter(l -> l.contains("compensated cost: group")).count(),
                searchLines.toString());
        assertEquals(candidates - 1, searchLines.stream().filter(l -> l.endsWith("compensated cost: the removal"
                + " orders of 2 of 2 groups kept from an earlier run on this model (only the number of units removed"
                + " changed)")).count(), searchLines.toString());
        // The same units go as when the chosen fraction is ranked on its own, and the same weights are fitted.
        assertEquals(runs.graphs().get(1), runs.graphs().get(0));
    }
}
