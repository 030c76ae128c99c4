package io.github.onnxprune.step.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.Fixtures;
import io.github.onnxprune.eval.ModelSignature;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.eval.ValidationDataReader;
import io.github.onnxprune.onnx.OnnxModelReader;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.WeightPruningSettings;
import io.github.onnxprune.prune.calibrate.ActivationCollector;
import io.github.onnxprune.prune.calibrate.LayerReconstruction;
import io.github.onnxprune.prune.calibrate.WeightReconstruction;
import io.github.onnxprune.step.StepInput;
import java.util.List;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/** The most rows a re-fitted layer is fitted on ({@code <calibrationRows>}), on the BERT-shaped fixture's tokens. */
class CalibrationRowsTest {

    private static final ModelProto BERT = OnnxModelReader.read(Fixtures.fixture("digits-bert/model.onnx"));

    @AutoClose
    private static final OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1);

    @Test
    void eachLayerIsFittedOnAtMostTheGivenRowsAndTheFitChangesWithThem() {
        ValidationData calibration = ValidationDataReader.read(Fixtures.fixture("digits-bert/calibration.npz"),
                ModelSignature.of(BERT), "labels");
        ActivationCollector collector = new ActivationCollector(runtime, calibration, 96, 16);
        WeightPruningSettings half = new WeightPruningSettings(0.5, Scope.LAYERWISE, List.of());

        List<LayerReconstruction> all = new WeightPruningStep(half, TensorFilter.all(), true)
                .apply(new StepInput(BERT, BERT, collector)).refitted();
        List<LayerReconstruction> capped = new WeightPruningStep(half, TensorFilter.all(), true,
                WeightReconstruction.Options.defaults().withMaxRows(300))
                .apply(new StepInput(BERT, BERT, collector)).refitted();

        assertEquals(all.size(), capped.size());
        // The token layers see every real token of the 96 samples (more than 300); the classifier one row per sample.
        assertTrue(all.stream().filter(l -> l.rows() > 300).count() >= 12, all.toString());
        for (int i = 0; i < all.size(); i++) {
            assertEquals(Math.min(all.get(i).rows(), 300), capped.get(i).rows(), all.get(i).layer());
        }
        assertNotEquals(all.get(0).errorAfter(), capped.get(0).errorAfter());
    }
}
