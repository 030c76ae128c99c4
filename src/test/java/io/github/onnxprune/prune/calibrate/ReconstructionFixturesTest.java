package io.github.onnxprune.prune.calibrate;

import io.github.onnxprune.Fixtures;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.nodes.NodePruner;
import io.github.onnxprune.prune.nodes.NodePruningSettings;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Reconstruction at 50% on the real fixtures, calibrated on the first half of the validation samples and
 * evaluated on the held-out second half. Bounds are the measured gains (README table) less some slack.
 */
class ReconstructionFixturesTest {

    private static OnnxRuntimeEvaluator runtime;

    @BeforeAll
    static void load() {
        runtime = new OnnxRuntimeEvaluator(1);
    }

    @AfterAll
    static void close() {
        runtime.close();
    }

    /** Least gain in held-out accuracy (percentage points) at 50% of units; measured 21, 0, 44, 54, 19. */
    private static final Map<String, Double> NODE_GAIN = Map.of("digits-mlp", 0.15, "wine-mlp", -0.06,
            "digits-cnn-bn", 0.35, "digits-cnn-folded", 0.45, "digits-ffn", 0.12);
    /** Least gain at 50% of weights; measured 4.5, 5.6, 12.7, 20.6, 11.1. */
    private static final Map<String, Double> WEIGHT_GAIN = Map.of("digits-mlp", 0.02, "wine-mlp", -0.06,
            "digits-cnn-bn", 0.08, "digits-cnn-folded", 0.14, "digits-ffn", 0.07);

    @Test
    void reconstructionAtHalfKeepsMoreHeldOutAccuracyOnEveryFixture() throws Exception {
        for (String name : Fixtures.names()) {
            Fixtures.Loaded fixture = Fixtures.load(name);
            ValidationData all = fixture.data();
            int half = all.sampleCount() / 2;
            ValidationData calibration = Fixtures.slice(all, 0, half);
            ValidationData heldOut = Fixtures.slice(all, half, all.sampleCount());

            ModelProto nodes = NodePruner.prune(fixture.model(), NodePruningSettings.of(0.5, Scope.LAYERWISE)).model();
            NodeCompensation.Result compensated = NodeCompensation.compensate(fixture.model(), nodes,
                    new ActivationCollector(runtime, calibration, 512, 64), NodeCompensation.Options.defaults());
            double plain = Fixtures.accuracy(runtime, nodes, heldOut);
            double fitted = Fixtures.accuracy(runtime, compensated.model(), heldOut);
            assertTrue(fitted >= plain + NODE_GAIN.get(name), name + " nodes: " + plain + " -> " + fitted);

            ModelProto weights = ReconstructionBenchmark.weights(fixture.model(), 0.5);
            WeightReconstruction.Result refit = WeightReconstruction.reconstruct(fixture.model(), weights,
                    ReconstructionBenchmark.tensors(fixture.model()),
                    new ActivationCollector(runtime, calibration, 512, 64), WeightReconstruction.Options.defaults());
            double plainWeights = Fixtures.accuracy(runtime, weights, heldOut);
            double fittedWeights = Fixtures.accuracy(runtime, refit.model(), heldOut);
            assertTrue(fittedWeights >= plainWeights + WEIGHT_GAIN.get(name),
                    name + " weights: " + plainWeights + " -> " + fittedWeights);
            for (LayerReconstruction layer : refit.layers()) {
                assertTrue(layer.method().equals("skipped") || layer.errorAfter() <= layer.errorBefore(),
                        name + " " + layer);
            }

            // Same input, same bytes.
            assertArrayEquals(compensated.model().toByteArray(), NodeCompensation.compensate(fixture.model(), nodes,
                    new ActivationCollector(runtime, calibration, 512, 32), NodeCompensation.Options.defaults())
                    .model().toByteArray(), name);
        }
    }
}
