package io.github.onnxprune.step.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.Fixtures;
import io.github.onnxprune.eval.ModelSignature;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.eval.ValidationDataReader;
import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.onnx.OnnxModelReader;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.SparsityOverride;
import io.github.onnxprune.prune.TensorChange;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.WeightPruningSettings;
import io.github.onnxprune.prune.calibrate.ActivationCollector;
import io.github.onnxprune.prune.calibrate.LayerReconstruction;
import io.github.onnxprune.step.StepInput;
import io.github.onnxprune.step.StepResult;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Embedding tables in weight pruning, on the BERT-shaped fixture (word 322x32, position 48x32, token types 2x32). */
class TablePruningTest {

    private static final ModelProto BERT = OnnxModelReader.read(Fixtures.fixture("digits-bert/model.onnx"));

    @Test
    void tableSparsityZeroesTheSameCountInEveryRowAndEachRowsSmallest() {
        StepResult<ZeroedWeights> result = step(new WeightPruningSettings(0.5, Scope.LAYERWISE, List.of(), 0.25),
                false).apply(new StepInput(BERT, BERT, null));
        Map<String, TensorChange> tensors = byName(result.edits());
        // floor(0.25 * 32) = 8 in each row of each table.
        assertEquals(322 * 8, tensors.get("word.weight").zeroed());
        assertEquals(48 * 8, tensors.get("position.weight").zeroed());
        assertEquals(2 * 8, tensors.get("token_type.weight").zeroed());
        assertEquals(List.of("Gather"), tensors.get("word.weight").opTypes());
        // The MatMuls keep the weight target: floor(0.5 * 32 * 128) in the intermediate layer.
        assertEquals(2048, tensors.get("onnx::MatMul_355").zeroed());
        double[] before = values(BERT, "word.weight");
        double[] after = values(result.model(), "word.weight");
        for (int row = 0; row < 322; row++) {
            int zeros = 0;
            double largestZeroed = 0;
            double smallestKept = Double.MAX_VALUE;
            for (int i = row * 32; i < row * 32 + 32; i++) {
                if (after[i] == 0) {
                    zeros++;
                    largestZeroed = Math.max(largestZeroed, Math.abs(before[i]));
                } else {
                    assertEquals(before[i], after[i]);
                    smallestKept = Math.min(smallestKept, Math.abs(before[i]));
                }
            }
            assertEquals(8, zeros, "row " + row);
            assertTrue(largestZeroed <= smallestKept, "row " + row);
        }
        assertEquals(List.of("word.weight (embedding table 322x32): 0.25 of each row zeroed, not re-fitted (a lookup"
                + " has no inputs to fit)", "position.weight (embedding table 48x32): 0.25 of each row zeroed, not"
                + " re-fitted (a lookup has no inputs to fit)", "token_type.weight (embedding table 2x32): 0.25 of"
                + " each row zeroed, not re-fitted (a lookup has no inputs to fit)"), result.section().log());
    }

    @Test
    void tablesStayDenseAndUnlistedByDefault() {
        StepResult<ZeroedWeights> result = step(new WeightPruningSettings(0.5, Scope.GLOBAL, List.of()), false)
                .apply(new StepInput(BERT, BERT, null));
        assertEquals(13, result.edits().tensors().size());
        assertTrue(result.edits().tensors().stream().noneMatch(t -> t.opTypes().contains("Gather")));
        ModelGraph graph = ModelGraph.of(result.model());
        assertSame(ModelGraph.of(BERT).constant("word.weight").orElseThrow().tensor(),
                graph.constant("word.weight").orElseThrow().tensor());
    }

    @Test
    void overridesMatchTheNodeNameOfTheLayerReadingAWeight() {
        // Exported transformers name MatMul weights opaquely; the layer's node name is what a user knows.
        StepResult<ZeroedWeights> result = step(new WeightPruningSettings(0.5, Scope.LAYERWISE,
                List.of(SparsityOverride.parse("/layers.0/intermediate/MatMul=0.1"),
                        SparsityOverride.parse("/word/Gather=0.75"))), false)
                .apply(new StepInput(BERT, BERT, null));
        Map<String, TensorChange> tensors = byName(result.edits());
        assertEquals(409, tensors.get("onnx::MatMul_355").zeroed()); // floor(0.1 * 4096)
        assertEquals(2048, tensors.get("onnx::MatMul_368").zeroed()); // layers.1 keeps 0.5
        assertEquals(322 * 24, tensors.get("word.weight").zeroed()); // named by its Gather, tableSparsity 0
        assertTrue(!tensors.containsKey("position.weight") && !tensors.containsKey("token_type.weight"));
    }

    @Test
    void aReFitLeavesPrunedTablesAsTheMagnitudeMaskLeftThem() {
        ValidationData data = ValidationDataReader.read(Fixtures.fixture("digits-bert/calibration.npz"),
                ModelSignature.of(BERT), "labels");
        StepResult<ZeroedWeights> plain = step(new WeightPruningSettings(0.5, Scope.LAYERWISE, List.of(), 0.5),
                false).apply(new StepInput(BERT, BERT, null));
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            StepResult<ZeroedWeights> refitted = step(new WeightPruningSettings(0.5, Scope.LAYERWISE, List.of(),
                    0.5), true).apply(new StepInput(BERT, BERT, new ActivationCollector(runtime, data, 128, 64)));
            for (String table : List.of("word.weight", "position.weight", "token_type.weight")) {
                assertEquals(ModelGraph.of(plain.model()).constant(table).orElseThrow().tensor(),
                        ModelGraph.of(refitted.model()).constant(table).orElseThrow().tensor(), table);
            }
            assertEquals(13, refitted.refitted().size());
            assertTrue(refitted.refitted().stream().map(LayerReconstruction::opType)
                    .noneMatch("Gather"::equals));
        }
    }

    private static WeightPruningStep step(WeightPruningSettings settings, boolean reconstruct) {
        return new WeightPruningStep(settings, TensorFilter.all(), reconstruct);
    }

    private static Map<String, TensorChange> byName(ZeroedWeights edits) {
        Map<String, TensorChange> byName = new LinkedHashMap<>();
        edits.tensors().forEach(t -> byName.put(t.name(), t));
        return byName;
    }

    private static double[] values(ModelProto model, String name) {
        return FloatTensor.of(ModelGraph.of(model).constant(name).orElseThrow().tensor()).values();
    }
}
