package io.github.onnxprune.prune.distill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.Fixtures;
import io.github.onnxprune.eval.ModelSignature;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.eval.ValidationDataReader;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.onnx.OnnxModelReader;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.calibrate.ActivationCollector;
import io.github.onnxprune.prune.distill.BlockParameters.Part;
import io.github.onnxprune.prune.nodes.NodePruner;
import io.github.onnxprune.prune.nodes.NodePruningSettings;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The Java encoder block against ONNX Runtime, its backward pass against finite differences. */
class EncoderBlockTest {

    @Test
    void erfMatchesTabulatedValues() {
        assertEquals(0.5204998778130465, Erf.erf(0.5), 1e-15);
        assertEquals(0.8427007929497149, Erf.erf(1), 1e-15);
        assertEquals(-0.9953222650189527, Erf.erf(-2), 1e-15);
        assertEquals(0.9995930479825550, Erf.erf(2.5), 1e-15);
        assertEquals(0.9999779095030014, Erf.erf(3), 1e-15);
        assertEquals(0.9999999845827421, Erf.erf(4), 1e-15);
    }

    @Test
    void blocksAreFoundFromTheGraphNotByName() throws Exception {
        ModelProto model = OnnxModelReader.read(Fixtures.ROOT.resolve("digits-bert/model.onnx"));
        List<BlockTensors> blocks = BlockTensors.of(ModelGraph.of(model));

        assertEquals(2, blocks.size());
        BlockTensors first = blocks.get(0);
        assertEquals("/norm/Add_1_output_0", first.input());
        assertEquals("/layers.0/output_norm/Add_1_output_0", first.output());
        assertEquals("/layers.0/output_norm/Add_1_output_0", blocks.get(1).input());
        assertEquals(4, first.heads());
        assertEquals(8, first.headSize());
        assertEquals(Math.sqrt(8), first.scoreDivisor(), 1e-6);
        assertEquals(1e-12, first.outputEpsilon(), 1e-18);
        assertEquals("onnx::MatMul_344", first.names().get(Part.QUERY_WEIGHT));
        assertEquals("layers.0.attention.key.bias", first.names().get(Part.KEY_BIAS));
        assertEquals("onnx::MatMul_350", first.names().get(Part.VALUE_WEIGHT));
        assertEquals("onnx::MatMul_354", first.names().get(Part.OUTPUT_WEIGHT));
        assertEquals("layers.0.attention_norm.weight", first.names().get(Part.ATTENTION_NORM_GAIN));
        assertEquals("layers.0.intermediate.bias", first.names().get(Part.INTERMEDIATE_BIAS));
        assertEquals("onnx::MatMul_356", first.names().get(Part.FFN_OUTPUT_WEIGHT));
        assertEquals("layers.0.output_norm.bias", first.names().get(Part.OUTPUT_NORM_BIAS));
    }

    @Test
    void forwardReproducesOnnxRuntimeOnTheBertFixture() throws Exception {
        ModelProto model = OnnxModelReader.read(Fixtures.ROOT.resolve("digits-bert/model.onnx"));
        double largest = largestDifferenceFromOnnxRuntime(model, 4, 128);
        assertTrue(largest <= 1e-5, "largest difference " + largest);
    }

    @Test
    void forwardReproducesOnnxRuntimeWithHeadsAndUnitsRemoved() throws Exception {
        ModelProto model = OnnxModelReader.read(Fixtures.ROOT.resolve("digits-bert/model.onnx"));
        ModelProto pruned = NodePruner.prune(model, NodePruningSettings.of(0.5, Scope.LAYERWISE)).model();
        double largest = largestDifferenceFromOnnxRuntime(pruned, 2, 64);
        assertTrue(largest <= 1e-5, "largest difference " + largest);
    }

    /** Every block's Java output on ONNX Runtime's input, against ONNX Runtime's output: the largest difference. */
    private static double largestDifferenceFromOnnxRuntime(ModelProto model, int heads, int hidden)
            throws Exception {
        ValidationData calibration = ValidationDataReader.read(Fixtures.ROOT.resolve("digits-bert/calibration.npz"),
                ModelSignature.of(model), "labels");
        ModelGraph graph = ModelGraph.of(model);
        List<BlockTensors> blocks = BlockTensors.of(graph);
        double largest = 0;
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            ActivationCollector collector = new ActivationCollector(runtime, calibration, 64, 64);
            int[] lengths = BlockTuner.lengths(ActivationCollector.firstSamples(calibration, 64));
            for (BlockTensors block : blocks) {
                var values = collector.collect(model, List.of(block.input(), block.output()));
                double[] input = BlockTuner.rows(collector, values.get(block.input()));
                double[] expected = BlockTuner.rows(collector, values.get(block.output()));
                BlockParameters p = block.read(graph);
                assertEquals(heads, p.heads);
                assertEquals(hidden, p.hidden);
                double[] output = EncoderBlock.forward(p, input, lengths).output;
                assertEquals(expected.length, output.length);
                for (int i = 0; i < output.length; i++) {
                    largest = Math.max(largest, Math.abs(output[i] - expected[i]));
                }
            }
        }
        return largest;
    }

    @Test
    void backwardMatchesCentralDifferencesForEveryParameterKind() {
        Random random = new Random(7);
        BlockParameters p = tinyBlock(random);
        double[] input = gaussian(random, 5 * p.width, 1);
        int[] lengths = {3, 2};
        double[] weights = gaussian(random, 5 * p.width, 1);
        double[][] gradient = EncoderBlock.backward(p, EncoderBlock.forward(p, input, lengths), weights);
        double step = 1e-6;
        int checked = 0;
        for (Part part : Part.values()) {
            double[] values = p.get(part);
            boolean[] mask = p.masks[part.ordinal()];
            for (int i = 0; i < values.length; i++) {
                if (mask != null && !mask[i]) {
                    assertEquals(0.0, gradient[part.ordinal()][i], part + " " + i + " is masked");
                    continue;
                }
                double keep = values[i];
                values[i] = keep + step;
                double up = dot(EncoderBlock.forward(p, input, lengths).output, weights);
                values[i] = keep - step;
                double down = dot(EncoderBlock.forward(p, input, lengths).output, weights);
                values[i] = keep;
                double numeric = (up - down) / (2 * step);
                double analytic = gradient[part.ordinal()][i];
                assertEquals(numeric, analytic, 1e-7 + 1e-6 * Math.abs(numeric), part + " " + i);
                checked++;
            }
        }
        assertTrue(checked > 300, "checked " + checked);
    }

    @Test
    void tuningLowersTheErrorAndMaskedWeightsStayExactlyZero() {
        Random random = new Random(11);
        BlockParameters dense = tinyBlock(random);
        BlockParameters pruned = dense.copy();
        for (Part part : Part.values()) {
            if (part.matrix()) {
                double[] values = pruned.get(part).clone();
                for (int i = 0; i < values.length; i += 2) {
                    values[i] = 0;
                }
                pruned.set(part, values);
            }
        }
        int[] lengths = new int[24];
        java.util.Arrays.fill(lengths, 4);
        double[] input = gaussian(random, 96 * dense.width, 1);
        double[] target = EncoderBlock.forward(dense, input, lengths).output;
        BlockTuner.Tuned tuned = BlockTuner.tuneBlock(pruned, input, target, lengths,
                new BlockTuner.Options(30, 0.01, 4, 4, 1, 0), line -> { });

        assertTrue(tuned.trainAfter() < 0.5 * tuned.trainBefore(), tuned.toString());
        assertTrue(tuned.heldOutAfter() < tuned.heldOutBefore(), tuned.toString());
        for (Part part : Part.values()) {
            if (part.matrix()) {
                double[] values = tuned.parameters().get(part);
                double[] before = pruned.get(part);
                int moved = 0;
                int free = 0;
                for (int i = 0; i < values.length; i++) {
                    if (i % 2 == 0) {
                        assertEquals(0.0, values[i], part + " " + i);
                        assertEquals(0L, Double.doubleToRawLongBits(values[i]), part + " " + i + " is +0.0");
                    } else if (before[i] != 0) {
                        free++;
                        moved += values[i] != before[i] ? 1 : 0;
                    } else {
                        assertEquals(0.0, values[i], part + " " + i + " was zero before pruning");
                    }
                }
                assertTrue(free >= values.length / 2 - 2, part + " " + free);
                assertEquals(free, moved, part + ": every free weight moved");
            }
        }
    }

    private static BlockParameters tinyBlock(Random random) {
        BlockParameters p = new BlockParameters(8, 2, 3, 5, Math.sqrt(3), 1e-5, 1e-12);
        for (Part part : Part.values()) {
            double[] values = gaussian(random, p.size(part), part.matrix() ? 0.5 : 0.2);
            if (part == Part.ATTENTION_NORM_GAIN || part == Part.OUTPUT_NORM_GAIN) {
                for (int i = 0; i < values.length; i++) {
                    values[i] += 1;
                }
            }
            if (part.matrix()) {
                values[3] = 0;
                values[values.length - 1] = 0;
            }
            p.set(part, values);
        }
        return p;
    }

    private static double[] gaussian(Random random, int count, double scale) {
        double[] values = new double[count];
        for (int i = 0; i < count; i++) {
            values[i] = scale * random.nextGaussian();
        }
        return values;
    }

    private static double dot(double[] a, double[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }
}
