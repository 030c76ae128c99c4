package io.github.onnxprune.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.Fixtures;
import io.github.onnxprune.eval.Metric;
import io.github.onnxprune.gate.GateLimits;
import io.github.onnxprune.onnx.ModelBytes;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.nodes.UnitImportance;
import io.github.onnxprune.report.StepSection;
import io.github.onnxprune.search.SearchSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
        List<String> progress = new ArrayList<>();
        Map<String, Object> fields;
        ModelResult searched;
        ModelResult alone;
        try (ModelPruningPipeline pipeline = new ModelPruningPipeline("1.2.3", 1, progress::add)) {
            searched = pipeline.process(searching(0.5, 6));
            StepSection search = searched.report().steps().get(searched.report().steps().size() - 1);
            assertEquals("search", search.step());
            @SuppressWarnings("unchecked")
            Map<String, Object> found = (Map<String, Object>) search.fields().get("search");
            fields = found;
            progress.add("-- alone");
            alone = pipeline.process(searching(((Number) fields.get("sparsity")).doubleValue(), 0));
        }
        int candidates = ((Number) fields.get("evaluations")).intValue();
        assertTrue(candidates >= 3, "candidates " + candidates);
        int split = progress.indexOf("-- alone");
        // The MLP's two hidden layers are the values fluctuation ranks: measured once, whatever the candidates.
        assertEquals(List.of("ranking: value 1 measured, /relu1/Relu_output_0", "ranking: value 2 measured,"
                + " /relu2/Relu_output_0"), measured(progress.subList(0, split)));
        assertEquals(2, measured(progress.subList(split, progress.size())).size());
        assertEquals(ModelProto.parseFrom(ModelBytes.toArray(alone.prunedBytes())).getGraph(),
                ModelProto.parseFrom(ModelBytes.toArray(searched.prunedBytes())).getGraph());
    }

    /** The progress lines that say a value was measured, without their model prefix and elapsed time. */
    private static List<String> measured(List<String> lines) {
        return lines.stream().filter(line -> line.contains("ranking: value "))
                .map(line -> line.substring(line.indexOf("ranking: value "), line.indexOf(';'))).toList();
    }
}
