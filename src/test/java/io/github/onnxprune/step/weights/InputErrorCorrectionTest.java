package io.github.onnxprune.step.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.Fixtures;
import io.github.onnxprune.eval.ModelSignature;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.eval.ValidationDataReader;
import io.github.onnxprune.onnx.OnnxModelReader;
import io.github.onnxprune.pipeline.CalibrationSettings;
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

/**
 * {@code <inputErrorCorrection>} and {@code <residualErrorCorrection>} on the BERT-shaped fixture: which layers
 * they change, and their range.
 */
class InputErrorCorrectionTest {

    private static final ModelProto BERT = OnnxModelReader.read(Fixtures.fixture("digits-bert/model.onnx"));

    @AutoClose
    private static final OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1);

    /** The layers re-fitted with {@code options} after half of each of BERT's weights was pruned. */
    private static List<LayerReconstruction> refitted(WeightReconstruction.Options options) {
        ValidationData calibration = ValidationDataReader.read(Fixtures.fixture("digits-bert/calibration.npz"),
                ModelSignature.of(BERT), "labels");
        ActivationCollector collector = new ActivationCollector(runtime, calibration, 96, 16);
        WeightPruningSettings half = new WeightPruningSettings(0.5, Scope.LAYERWISE, List.of());
        return new WeightPruningStep(half, TensorFilter.all(), true, options)
                .apply(new StepInput(BERT, BERT, collector)).refitted();
    }

    @Test
    void tokenLayersAfterTheFirstFitPartOfTheirInputsErrorAndTheSettingReachesTheRefit() {
        CalibrationSettings settings = new CalibrationSettings(true, null, 96, 8192, 0.2);

        List<LayerReconstruction> plain = refitted(WeightReconstruction.Options.defaults());
        List<LayerReconstruction> corrected = refitted(settings.refitOptions());

        assertEquals(0.2, settings.refitOptions().correction());
        assertEquals(0.0, new CalibrationSettings(true, null, 96, 8192).refitOptions().correction());
        assertEquals(plain.size(), corrected.size());
        long marked = corrected.stream().filter(l -> l.method().endsWith(", 0.20 of the input's error corrected"))
                .count();
        // Every layer reading token sequences; not the classifier, which fits the dense output on one row per sample.
        assertEquals(plain.stream().filter(l -> l.rows() > 96).count(), marked, corrected.toString());
        assertTrue(marked >= 12, corrected.toString());
        // The first layers read the unpruned embeddings: nothing to correct, the same fit.
        assertEquals(plain.get(0).errorAfter(), corrected.get(0).errorAfter(), 1e-9);
        assertNotEquals(plain.get(plain.size() - 2).errorAfter(), corrected.get(corrected.size() - 2).errorAfter());
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> new CalibrationSettings(true, null, 96, 8192, 1.5));
        assertEquals("inputErrorCorrection is 1.5 but must be from 0 to 1", error.getMessage());
    }

    @Test
    void onlyTheLayersWritingIntoTheResidualStreamCorrectItsErrorAndTheSettingReachesTheRefit() {
        CalibrationSettings settings = new CalibrationSettings(true, null, 96, 8192, 0, 0.5);

        List<LayerReconstruction> plain = refitted(WeightReconstruction.Options.defaults());
        List<LayerReconstruction> corrected = refitted(settings.refitOptions());

        assertEquals(0.5, settings.refitOptions().residual());
        assertEquals(0.0, settings.refitOptions().correction());
        assertEquals(plain.size(), corrected.size());
        List<String> marked = corrected.stream()
                .filter(l -> l.method().endsWith(", 0.50 of the residual stream's error corrected"))
                .map(LayerReconstruction::layer).toList();
        // Per block, the attention output and the feed-forward output projections: each adds into the stream.
        assertTrue(marked.size() >= 2 && marked.size() % 2 == 0, corrected.toString());
        assertTrue(marked.stream().allMatch(name -> name.contains("output")), marked.toString());
        for (int i = 0; i < plain.size(); i++) {
            if (!marked.contains(corrected.get(i).layer())) {
                // Until the first marked layer nothing differs; after it, what the others read has changed.
                assertEquals(plain.get(i).method(), corrected.get(i).method());
            }
        }
        // The first block's attention output adds into the unpruned embeddings' stream: no error to correct, the
        // same fit. Its feed-forward output adds into a stream the pruned attention has changed.
        int first = corrected.stream().map(LayerReconstruction::layer).toList().indexOf(marked.get(0));
        int second = corrected.stream().map(LayerReconstruction::layer).toList().indexOf(marked.get(1));
        assertEquals(plain.get(first).errorAfter(), corrected.get(first).errorAfter(), 1e-9);
        assertNotEquals(plain.get(second).errorAfter(), corrected.get(second).errorAfter());
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> new CalibrationSettings(true, null, 96, 8192, 0, -0.1));
        assertEquals("residualErrorCorrection is -0.1 but must be from 0 to 1", error.getMessage());
    }
}
