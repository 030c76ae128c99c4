package io.github.onnxprune.prune.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.Pooling;
import io.github.onnxprune.eval.ScoredOutput;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.prune.MagnitudePruner;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.WeightPruningSettings;
import io.github.onnxprune.prune.WeightSelector;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

class LayerNormRefitTest {

    @AutoClose
    private static final OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1);

    private static OnnxMl.NodeProto node(String op, String name, List<String> inputs, String output) {
        return OnnxMl.NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(inputs).addOutput(output)
                .build();
    }

    private static OnnxMl.ValueInfoProto tokens(String name, OnnxMl.TensorProto.DataType type) {
        return OnnxMl.ValueInfoProto.newBuilder().setName(name).setType(OnnxMl.TypeProto.newBuilder()
                .setTensorType(OnnxMl.TypeProto.Tensor.newBuilder().setElemType(type.getNumber()))).build();
    }

    /** N = LayerNorm(X W1) with scale S and shift B, Y = N W2; X [n, 5, 8], W1 [8, 8], W2 [8, 4]; N an output. */
    private static ModelProto normed(SplittableRandom random) {
        float[] w1 = new float[64];
        float[] w2 = new float[32];
        for (int i = 0; i < w1.length; i++) {
            w1[i] = (float) random.nextGaussian();
        }
        for (int i = 0; i < w2.length; i++) {
            w2[i] = (float) random.nextGaussian();
        }
        OnnxMl.GraphProto graph = OnnxMl.GraphProto.newBuilder().setName("normed")
                .addInput(tokens("X", OnnxMl.TensorProto.DataType.FLOAT))
                .addInput(tokens("attention_mask", OnnxMl.TensorProto.DataType.INT64))
                .addInitializer(NodeCompensationTest.floats("W1", new long[] {8, 8}, w1))
                .addInitializer(NodeCompensationTest.floats("S", new long[] {8}, 1, 0.5f, 2, 1, 1.5f, 0.8f, 1, 1.2f))
                .addInitializer(NodeCompensationTest.floats("B", new long[] {8}, 0, 0.1f, -0.2f, 0.3f, 0, 0, 0.5f,
                        -0.1f))
                .addInitializer(NodeCompensationTest.floats("W2", new long[] {8, 4}, w2))
                .addNode(node("MatMul", "fc1", List.of("X", "W1"), "H"))
                .addNode(node("LayerNormalization", "norm", List.of("H", "S", "B"), "N"))
                .addNode(node("MatMul", "fc2", List.of("N", "W2"), "Y"))
                .addOutput(tokens("Y", OnnxMl.TensorProto.DataType.FLOAT))
                .addOutput(tokens("N", OnnxMl.TensorProto.DataType.FLOAT)).build();
        return ModelProto.newBuilder().setIrVersion(8)
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setVersion(17)).setGraph(graph).build();
    }

    @Test
    void findsLayerNormalizationAndTheExportedDecompositionButNotAPlainScaleAndShift() {
        OnnxMl.GraphProto graph = OnnxMl.GraphProto.newBuilder().setName("decomposed")
                .addInput(tokens("X", OnnxMl.TensorProto.DataType.FLOAT))
                .addInitializer(NodeCompensationTest.floats("gamma", new long[] {8}, new float[8]))
                .addInitializer(NodeCompensationTest.floats("beta", new long[] {8}, new float[8]))
                .addInitializer(NodeCompensationTest.floats("two", new long[] {}, 2))
                .addNode(node("ReduceMean", "ln/ReduceMean", List.of("X"), "mean"))
                .addNode(node("Sub", "ln/Sub", List.of("X", "mean"), "centred"))
                .addNode(node("Pow", "ln/Pow", List.of("centred", "two"), "squares"))
                .addNode(node("ReduceMean", "ln/ReduceMean_1", List.of("squares"), "variance"))
                .addNode(node("Sqrt", "ln/Sqrt", List.of("variance"), "deviation"))
                .addNode(node("Div", "ln/Div", List.of("centred", "deviation"), "normalised"))
                .addNode(node("Mul", "ln/Mul", List.of("normalised", "gamma"), "scaled"))
                .addNode(node("Add", "ln/Add_1", List.of("beta", "scaled"), "out"))
                // A scale and shift of something that is not normalised: not a LayerNorm.
                .addNode(node("Mul", "other/Mul", List.of("out", "gamma"), "other"))
                .addNode(node("Add", "other/Add", List.of("other", "beta"), "result"))
                .addOutput(tokens("result", OnnxMl.TensorProto.DataType.FLOAT)).build();

        List<LayerNormRefit.Norm> decomposed = LayerNormRefit.of(ModelGraph.of(ModelProto.newBuilder()
                .setGraph(graph).build()));
        List<LayerNormRefit.Norm> fused = LayerNormRefit.of(ModelGraph.of(normed(new SplittableRandom(1))));

        assertEquals(List.of(new LayerNormRefit.Norm("ln/Add_1", 7, "out", "gamma", "beta")), decomposed);
        assertEquals(List.of(new LayerNormRefit.Norm("norm", 1, "N", "S", "B")), fused);
    }

    @Test
    void aRefittedLayerNormMatchesTheDenseOutputsChannelMeansOverRealTokensAndLowersItsError() {
        SplittableRandom random = new SplittableRandom(7);
        ModelProto dense = normed(random);
        ModelGraph graph = ModelGraph.of(dense);
        ModelProto pruned = MagnitudePruner.prune(graph, WeightSelector.select(graph, TensorFilter.all()).tensors(),
                new WeightPruningSettings(0.5, Scope.LAYERWISE, List.of())).model();
        int samples = 50;
        float[] x = new float[samples * 5 * 8];
        long[] mask = new long[samples * 5];
        int real = 0;
        for (int s = 0; s < samples; s++) {
            for (int t = 0; t < 5; t++) {
                mask[s * 5 + t] = t < 1 + s % 5 ? 1 : 0;
                real += (int) mask[s * 5 + t];
                for (int j = 0; j < 8; j++) {
                    // Padding far from the real tokens: a fit that saw it would follow it.
                    x[(s * 5 + t) * 8 + j] = mask[s * 5 + t] == 1 ? (float) (random.nextGaussian() + 0.2 * j) : 30;
                }
            }
        }
        ValidationData data = new ValidationData(Map.of("X", Tensor.ofFloats(new long[] {samples, 5, 8}, x),
                "attention_mask", Tensor.ofLongs(new long[] {samples, 5}, mask)), null, null, Path.of("tokens"));
        List<String> lines = new java.util.ArrayList<>();

        WeightReconstruction.Result result = WeightReconstruction.reconstruct(dense, pruned, List.of("W1", "W2"),
                new ActivationCollector(runtime, data, samples, 8), WeightReconstruction.Options.defaults()
                        .withLayerNorms(true), lines::add);
        WeightReconstruction.Result without = WeightReconstruction.reconstruct(dense, pruned, List.of("W1", "W2"),
                new ActivationCollector(runtime, data, samples, 8), WeightReconstruction.Options.defaults());

        // Between the two layers, in graph order, on the real tokens only.
        assertEquals(List.of("fc1", "norm", "fc2"), result.layers().stream().map(LayerReconstruction::layer)
                .toList());
        LayerReconstruction norm = result.layers().get(1);
        assertEquals("scale and shift", norm.method());
        assertEquals(real, norm.rows());
        assertTrue(norm.errorAfter() < norm.errorBefore(), norm.toString());
        assertTrue(lines.get(1).startsWith("LayerNorm norm: scale and shift on " + real + " rows"), lines.get(1));
        assertEquals(List.of("fc1", "fc2"), without.layers().stream().map(LayerReconstruction::layer).toList());
        assertArrayEquals(FloatTensor.of(ModelGraph.of(dense).constant("S").orElseThrow().tensor()).values(),
                FloatTensor.of(ModelGraph.of(without.model()).constant("S").orElseThrow().tensor()).values());
        // Least squares with a shift per channel: the fitted output's mean over the real tokens is the dense one's.
        ScoredOutput n = new ScoredOutput("N", Pooling.FLATTEN, null);
        float[][] before = runtime.run(dense.toByteArray(), data, n, 64).rows();
        float[][] after = runtime.run(result.model().toByteArray(), data, n, 64).rows();
        float[][] plain = runtime.run(without.model().toByteArray(), data, n, 64).rows();
        double fittedGap = 0;
        double plainGap = 0;
        for (int c = 0; c < 8; c++) {
            double fitted = 0;
            double unfitted = 0;
            double size = 0;
            for (int s = 0; s < samples; s++) {
                for (int t = 0; t < 5 && mask[s * 5 + t] == 1; t++) {
                    fitted += after[s][t * 8 + c] - before[s][t * 8 + c];
                    unfitted += plain[s][t * 8 + c] - before[s][t * 8 + c];
                    size += Math.abs(before[s][t * 8 + c]);
                }
            }
            assertTrue(Math.abs(fitted) < 1e-4 * size, "channel " + c + ": " + fitted + " of " + size);
            fittedGap += Math.abs(fitted);
            plainGap += Math.abs(unfitted);
        }
        assertTrue(plainGap > 100 * fittedGap, plainGap + " against " + fittedGap);
    }
}
