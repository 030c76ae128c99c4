package io.github.onnxprune.prune.calibrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.Fixtures;
import io.github.onnxprune.eval.ModelSignature;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.eval.ValidationDataReader;
import io.github.onnxprune.onnx.OnnxModelReader;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.nodes.NodePruner;
import io.github.onnxprune.prune.nodes.NodePruningResult;
import io.github.onnxprune.prune.nodes.NodePruningSettings;
import io.github.onnxprune.prune.nodes.UnitImportance;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Heads and feed-forward units of the BERT-style fixture removed by calibration fluctuation, then the output
 * projections and second feed-forward layers re-fitted on the calibration tokens (padding excluded).
 */
class AttentionCompensationTest {

    @Test
    void compensationRefitsTheLayersReadingRemovedHeadsAndUnits() throws Exception {
        ModelProto model = OnnxModelReader.read(Fixtures.ROOT.resolve("digits-bert/model.onnx"));
        ModelSignature signature = ModelSignature.of(model);
        ValidationData validation = ValidationDataReader.read(Fixtures.ROOT.resolve("digits-bert/validation.npz"),
                signature, "labels");
        ValidationData calibration = ValidationDataReader.read(
                Fixtures.ROOT.resolve("digits-bert/calibration.npz"), signature, "labels");
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            ActivationCollector collector = new ActivationCollector(runtime, calibration, 256, 64);
            NodePruningSettings settings = new NodePruningSettings(0.5, Scope.LAYERWISE, List.of(), List.of(),
                    UnitImportance.FLUCTUATION);
            NodePruningResult pruned;
            try (FeatureVariances variances = new FeatureVariances(collector, model)) {
                pruned = NodePruner.prune(model, settings, variances);
            }
            NodeCompensation.Result fitted = NodeCompensation.compensate(model, pruned, collector,
                    NodeCompensation.Options.defaults());

            assertEquals(List.of("/layers.0/attention_output/MatMul", "/layers.0/output/MatMul",
                    "/layers.1/attention_output/MatMul", "/layers.1/output/MatMul"),
                    fitted.layers().stream().map(LayerReconstruction::layer).toList());
            for (LayerReconstruction layer : fitted.layers()) {
                assertEquals("least squares", layer.method(), layer.toString());
                assertTrue(layer.errorAfter() < layer.errorBefore(), layer.toString());
            }
            // Rows are the real tokens only: 256 calibration images, one row per unpadded token (every 5th is held
            // back to judge a first fit; the fit that wins is made on all).
            long[] mask = (long[]) calibration.inputs().get("attention_mask").data();
            long tokens = java.util.Arrays.stream(mask).sum();
            assertEquals(Math.min(tokens, 8192), fitted.layers().get(0).rows());

            double original = accuracy(runtime, model, validation);
            double plain = accuracy(runtime, pruned.model(), validation);
            double compensated = accuracy(runtime, fitted.model(), validation);
            // Measured: 85.8% -> 63.9% without compensation, 70.3% with (half of 4 heads and of 128 units).
            assertTrue(compensated > plain + 0.03,
                    "original " + original + ", plain " + plain + ", compensated " + compensated);
        }
    }

    static double accuracy(OnnxRuntimeEvaluator runtime, ModelProto model, ValidationData data) {
        Tensor logits = runtime.runOutputs(model.toByteArray(), data, List.of("logits"), 64).get("logits");
        float[] values = (float[]) logits.data();
        long[] labels = data.labels();
        int correct = 0;
        for (int i = 0; i < labels.length; i++) {
            int best = 0;
            for (int c = 1; c < 10; c++) {
                best = values[i * 10 + c] > values[i * 10 + best] ? c : best;
            }
            correct += best == labels[i] ? 1 : 0;
        }
        return (double) correct / labels.length;
    }
}
