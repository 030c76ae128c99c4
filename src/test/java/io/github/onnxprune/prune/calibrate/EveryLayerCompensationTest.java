package io.github.onnxprune.prune.calibrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.prune.nodes.NodePruningResult;
import org.junit.jupiter.api.Test;

/** Node compensation re-fitting every linear layer in order, not only the layers that read removed units. */
class EveryLayerCompensationTest {

    @Test
    void everyLinearLayerIsRefittedAndTheLastStreamIsCloser() throws Exception {
        ModelProto model = PrunedDigitsBert.model();
        ValidationData calibration = PrunedDigitsBert.calibration(model);
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            ActivationCollector collector = new ActivationCollector(runtime, calibration, 256, 64);
            NodePruningResult pruned = PrunedDigitsBert.halved(model, collector);
            NodeCompensation.Options readers = NodeCompensation.Options.defaults();
            NodeCompensation.Result some = NodeCompensation.compensate(model, pruned, collector, readers);
            NodeCompensation.Result all = NodeCompensation.compensate(model, pruned, collector,
                    readers.withEvery(true));
            // Two blocks: the output projection and the second feed-forward layer read removed units; with
            // every layer, also Q, K, V and the first feed-forward layer of each, and the classifier.
            assertEquals(4, some.layers().size());
            assertEquals(13, all.layers().size());
            Tensor original = PrunedDigitsBert.lastStream(collector, model);
            double readersError = PrunedDigitsBert.relativeError(original,
                    PrunedDigitsBert.lastStream(collector, some.model()));
            double everyError = PrunedDigitsBert.relativeError(original,
                    PrunedDigitsBert.lastStream(collector, all.model()));
            // Measured: 0.2371 re-fitting the readers of removed units, 0.2288 re-fitting every layer (on the
            // calibration rows themselves; on MiniLM's held-out sentences it lost, see docs/transformers.md).
            assertTrue(everyError < 0.99 * readersError, "readers " + readersError + ", every " + everyError);
        }
    }
}
