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

/** Node compensation re-fitting every linear layer in order, not only the layers that read removed units. */
class EveryLayerCompensationTest {

    private static final String LAST_STREAM = "/layers.1/Add_2_output_0";

    @Test
    void everyLinearLayerIsRefittedAndTheLastStreamIsCloser() throws Exception {
        ModelProto model = OnnxModelReader.read(Fixtures.ROOT.resolve("digits-bert/model.onnx"));
        ValidationData calibration = ValidationDataReader.read(
                Fixtures.ROOT.resolve("digits-bert/calibration.npz"), ModelSignature.of(model), "labels");
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            ActivationCollector collector = new ActivationCollector(runtime, calibration, 256, 64);
            NodePruningResult pruned = NodePruner.prune(model, new NodePruningSettings(0.5, Scope.LAYERWISE,
                    List.of(), List.of(), UnitImportance.FLUCTUATION), value -> collector.featureVariance(model,
                            value));
            NodeCompensation.Options readers = NodeCompensation.Options.defaults();
            NodeCompensation.Result some = NodeCompensation.compensate(model, pruned, collector, readers);
            NodeCompensation.Result all = NodeCompensation.compensate(model, pruned, collector,
                    readers.withEvery(true));
            // Two blocks: the output projection and the second feed-forward layer read removed units; with
            // every layer, also Q, K, V and the first feed-forward layer of each, and the classifier.
            assertEquals(4, some.layers().size());
            assertEquals(13, all.layers().size());
            Tensor original = stream(collector, model);
            double readersError = error(original, stream(collector, some.model()));
            double everyError = error(original, stream(collector, all.model()));
            // Measured: 0.2371 re-fitting the readers of removed units, 0.2288 re-fitting every layer (on the
            // calibration rows themselves; on MiniLM's held-out sentences it lost, see docs/transformers.md).
            assertTrue(everyError < 0.99 * readersError, "readers " + readersError + ", every " + everyError);
        }
    }

    private static Tensor stream(ActivationCollector collector, ModelProto model) {
        return collector.maskedRows(collector.collect(model, List.of(LAST_STREAM)).get(LAST_STREAM));
    }

    /** Relative squared error of {@code b} against {@code a}. */
    private static double error(Tensor a, Tensor b) {
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
