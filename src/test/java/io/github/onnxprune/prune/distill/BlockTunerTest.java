package io.github.onnxprune.prune.distill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.Fixtures;
import io.github.onnxprune.eval.ModelSignature;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.eval.ValidationDataReader;
import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.onnx.OnnxModelReader;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.WeightPruningSettings;
import io.github.onnxprune.prune.calibrate.ActivationCollector;
import io.github.onnxprune.prune.distill.BlockParameters.Part;
import io.github.onnxprune.step.StepInput;
import io.github.onnxprune.step.weights.WeightPruningStep;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Block-wise tuning of the BERT fixture pruned to half its weights, written back into the ONNX model. */
class BlockTunerTest {

    @Test
    void tunedBlocksAreWrittenBackWithTheSameZerosAndTheLastBlockGetsCloser() throws Exception {
        ModelProto dense = OnnxModelReader.read(Fixtures.ROOT.resolve("digits-bert/model.onnx"));
        ModelProto pruned = new WeightPruningStep(new WeightPruningSettings(0.5, Scope.LAYERWISE, List.of()),
                TensorFilter.all(), false).apply(new StepInput(dense, dense, null)).model();
        ValidationData calibration = ValidationDataReader.read(
                Fixtures.ROOT.resolve("digits-bert/calibration.npz"), ModelSignature.of(dense), "labels");
        List<String> log = new ArrayList<>();
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            BlockTuner.Result result = BlockTuner.tune(runtime, dense, pruned, calibration, 128,
                    new BlockTuner.Options(4, 1e-3, 16, 16, 1, 0), log::add);

            assertEquals(2, result.blocks().size());
            assertEquals(2, log.stream().filter(line -> line.startsWith("block ")).count());
            assertEquals(8, log.stream().filter(line -> line.startsWith("  epoch ")).count());
            for (BlockTuner.BlockReport block : result.blocks()) {
                assertTrue(block.trainAfter() < block.trainBefore(), block.toString());
                assertTrue(block.epochKept() > 0, block.toString());
            }
            ModelGraph before = ModelGraph.of(pruned);
            ModelGraph after = ModelGraph.of(result.model());
            for (BlockTensors block : BlockTensors.of(before)) {
                for (Part part : Part.values()) {
                    String name = block.names().get(part);
                    double[] was = FloatTensor.of(before.constant(name).orElseThrow().tensor()).values();
                    double[] is = FloatTensor.of(after.constant(name).orElseThrow().tensor()).values();
                    int changed = 0;
                    for (int i = 0; i < was.length; i++) {
                        if (part.matrix()) {
                            assertEquals(was[i] == 0, is[i] == 0, name + " " + i + ": a zero stays, no new one");
                        }
                        changed += was[i] != is[i] ? 1 : 0;
                    }
                    // Softmax over keys does not see K's bias (it adds q.b to every score of a row): no gradient.
                    if (part != Part.KEY_BIAS) {
                        assertTrue(changed > 0, name + " was tuned");
                    }
                }
            }
            // ONNX Runtime's output of the last block on the calibration tokens, against the dense model's.
            ActivationCollector collector = new ActivationCollector(runtime, calibration, 128, 64);
            String output = BlockTensors.of(before).get(1).output();
            double[] target = BlockTuner.rows(collector, collector.collect(dense, List.of(output)).get(output));
            double plain = error(collector, pruned, output, target);
            double tuned = error(collector, result.model(), output, target);
            assertTrue(tuned < 0.8 * plain, "plain " + plain + ", tuned " + tuned);
        }
    }

    private static double error(ActivationCollector collector, ModelProto model, String value, double[] target) {
        Tensor tensor = collector.collect(model, List.of(value)).get(value);
        double[] rows = BlockTuner.rows(collector, tensor);
        double error = 0;
        double norm = 0;
        for (int i = 0; i < rows.length; i++) {
            error += (rows[i] - target[i]) * (rows[i] - target[i]);
            norm += target[i] * target[i];
        }
        return error / norm;
    }
}
