package io.github.onnxprune.prune.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.prune.nodes.NodePruningResult;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.api.Test;

/**
 * Node compensation's fits run their products by strips on the common pool; the compensated model must not
 * depend on how many threads share them.
 */
class NodeCompensationThreadsTest {

    @Test
    void oneThreadAndEveryCoreCompensateToTheSameModelByteForByte() throws Exception {
        ModelProto model = PrunedDigitsBert.model();
        ValidationData calibration = PrunedDigitsBert.calibration(model);
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            ActivationCollector collector = new ActivationCollector(runtime, calibration, 96, 16);
            NodePruningResult pruned = PrunedDigitsBert.halved(model, collector);

            NodeCompensation.Result shared = NodeCompensation.compensate(model, pruned, collector,
                    NodeCompensation.Options.defaults());
            ForkJoinPool one = new ForkJoinPool(1);
            NodeCompensation.Result alone;
            try {
                alone = one.submit(() -> NodeCompensation.compensate(model, pruned, collector,
                        NodeCompensation.Options.defaults())).get();
            } finally {
                one.shutdown();
            }

            assertFalse(pruned.model().equals(shared.model()), "the layers were compensated");
            assertEquals(4, shared.layers().size());
            assertArrayEquals(shared.model().toByteArray(), alone.model().toByteArray());
            assertEquals(shared.layers(), alone.layers());
        }
    }
}
