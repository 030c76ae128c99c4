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
import java.util.List;
import org.junit.jupiter.api.Test;

class FluctuationSearchTest {

    /** Node pruning of the digits MLP ranked by fluctuation, searched within {@code budget} evaluations above 0. */
    private static ModelTask searching(double sparsity, int budget) {
        return new ModelTask(Fixtures.fixture("digits-mlp/model.onnx"), "models/m.onnx",
                new PruningSettings(PruneMethod.NODES, sparsity, 0, Scope.LAYERWISE, List.of(), TensorFilter.all(),
                        UnitImportance.FLUCTUATION, Quantization.NONE,
                        budget > 0 ? new SearchSettings(true, budget) : SearchSettings.OFF),
                new EvaluationSettings(Fixtures.fixture("digits-mlp/validation.npz"), null, Metric.ACCURACY, null, 64,
                        0, 1, true, CalibrationSettings.defaults()),
                new GateLimits(null, 0.005));
    }

    @Test
    void aSearchMeasuresEachRankedValueOnceForAllItsCandidatesAndChoosesWhatARankingOfItsOwnWould()
            throws Exception {
        SearchedThenAlone runs = SearchedThenAlone.run(FluctuationSearchTest::searching, 0.5, 6);
        assertTrue(runs.candidates() >= 3, "candidates " + runs.candidates());
        // The MLP's two hidden layers are the values fluctuation ranks: measured once, whatever the candidates.
        assertEquals(List.of("ranking: value 1 measured, /relu1/Relu_output_0", "ranking: value 2 measured,"
                + " /relu2/Relu_output_0"), measured(runs.searchLines()));
        assertEquals(2, measured(runs.aloneLines()).size());
        assertEquals(runs.graphs().get(1), runs.graphs().get(0));
    }

    /** The progress lines that say a value was measured, without their model prefix and elapsed time. */
    private static List<String> measured(List<String> lines) {
        return lines.stream().filter(line -> line.contains("ranking: value "))
                .map(line -> line.substring(line.indexOf("ranking: value "), line.indexOf(';'))).toList();
    }
}
