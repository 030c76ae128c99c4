package io.github.onnxprune.prune.calibrate;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.Fixtures;
import io.github.onnxprune.eval.ModelSignature;
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

/** The digits-bert fixture, half its units removed, and how far its last block's stream moves (compensation tests). */
final class PrunedDigitsBert {

    private static final String LAST_STREAM = "/layers.1/Add_2_output_0";

    private PrunedDigitsBert() {
    }

    /** The fixture's model. */
    static ModelProto model() throws Exception {
        return OnnxModelReader.read(Fixtures.ROOT.resolve("digits-bert/model.onnx"));
    }

    /** The fixture's calibration samples. */
    static ValidationData calibration(ModelProto model) throws Exception {
        return ValidationDataReader.read(Fixtures.ROOT.resolve("digits-bert/calibration.npz"),
                ModelSignature.of(model), "labels");
    }

    /** Half of each layer's units removed, ranked by fluctuation on the collector's samples. */
    static NodePruningResult halved(ModelProto model, ActivationCollector collector) {
        try (FeatureVariances variances = new FeatureVariances(collector, model)) {
            return NodePruner.prune(model, new NodePruningSettings(0.5, Scope.LAYERWISE, List.of(), List.of(),
                    UnitImportance.FLUCTUATION), variances);
        }
    }

    /** The last block's output stream on the real tokens of the collector's samples. */
    static Tensor lastStream(ActivationCollector collector, ModelProto model) {
        return collector.maskedRows(collector.collect(model, List.of(LAST_STREAM)).get(LAST_STREAM));
    }

    /** Relative squared error of {@code b} against {@code a}. */
    static double relativeError(Tensor a, Tensor b) {
        float[] x = (float[]) a.data();
        float[] y = (float[]) b.data();
        double reference = 0;
        double error = 0;
        for (int i = 0; i < x.length; i++) {
            reference += x[i] * x[i];
            error += (x[i] - y[i]) * (x[i] - y[i]);
        }
        return error / reference;
    }
}
