package io.github.onnxprune.prune.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.ScoredOutput;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.nodes.NodePruner;
import io.github.onnxprune.prune.nodes.NodePruningResult;
import io.github.onnxprune.prune.nodes.NodePruningSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

class NodeCompensationTest {

    @AutoClose
    private static final OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1);

    static OnnxMl.TensorProto floats(String name, long[] dims, float... values) {
        OnnxMl.TensorProto.Builder tensor = OnnxMl.TensorProto.newBuilder().setName(name)
                .setDataType(OnnxMl.TensorProto.DataType.FLOAT.getNumber());
        for (long dim : dims) {
            tensor.addDims(dim);
        }
        for (float value : values) {
            tensor.addFloatData(value);
        }
        return tensor.build();
    }

    static OnnxMl.ValueInfoProto value(String name, long width) {
        return OnnxMl.ValueInfoProto.newBuilder().setName(name).setType(OnnxMl.TypeProto.newBuilder()
                .setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
                        .setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber())
                        .setShape(OnnxMl.TensorShapeProto.newBuilder()
                                .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("n"))
                                .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(width)))))
                .build();
    }

    /**
     * X[n, 3] -> Gemm(W1 [3, 4], b1) -> Relu -> Gemm(W2 [4, 2], b2, no bias when {@code secondBias} is
     * false) -> Y. Hidden unit 1 has no input weights and bias -1, so it is always 0; unit 3 has none and bias 2,
     * so it is always 2: both have importance 0 and go first, and only unit 3 matters to Y.
     */
    static ModelProto mlp(boolean secondBias) {
        float[] w1 = {
            1f, 0f, -0.5f, 0f,
            0.5f, 0f, 1f, 0f,
            -1f, 0f, 0.25f, 0f};
        OnnxMl.NodeProto.Builder second = OnnxMl.NodeProto.newBuilder().setOpType("Gemm").setName("fc2")
                .addInput("h").addInput("W2");
        if (secondBias) {
            second.addInput("b2");
        }
        OnnxMl.GraphProto.Builder graph = OnnxMl.GraphProto.newBuilder().setName("mlp")
                .addInput(value("X", 3))
                .addInitializer(floats("W1", new long[] {3, 4}, w1))
                .addInitializer(floats("b1", new long[] {4}, 0.1f, -1f, 0.2f, 2f))
                .addInitializer(floats("W2", new long[] {4, 2}, 1f, -1f, 3f, 4f, 0.5f, 2f, 1.5f, -0.75f))
                .addNode(OnnxMl.NodeProto.newBuilder().setOpType("Gemm").setName("fc1").addInput("X").addInput("W1")
                        .addInput("b1").addOutput("a"))
                .addNode(OnnxMl.NodeProto.newBuilder().setOpType("Relu").addInput("a").addOutput("h"))
                .addNode(second.addOutput("Y"))
                .addOutput(value("Y", 2));
        if (secondBias) {
            graph.addInitializer(floats("b2", new long[] {2}, 0.3f, -0.3f));
        }
        return ModelProto.newBuilder().setIrVersion(8)
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setVersion(13)).setGraph(graph).build();
    }

    static ValidationData randomInputs(int samples, int width, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = new float[samples * width];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (random.nextDouble() * 4 - 2);
        }
        return new ValidationData(Map.of("X", Tensor.ofFloats(new long[] {samples, width}, x)), null, null,
                Path.of("random"));
    }

    private static float[][] outputs(ModelProto model, ValidationData data) {
        return runtime.run(model.toByteArray(), data, ScoredOutput.first(), 16).rows();
    }

    @Test
    void removingConstantUnitsWithCompensationLeavesOutputsUnchanged() {
        for (boolean secondBias : new boolean[] {true, false}) {
            ModelProto original = mlp(secondBias);
            ValidationData data = randomInputs(50, 3, 7);
            NodePruningResult nodes = NodePruner.prune(original, NodePruningSettings.of(0.5, Scope.LAYERWISE));
            ModelProto pruned = nodes.model();
            float[][] before = outputs(original, data);
            float[][] plain = outputs(pruned, data);
            assertNotEquals(before[0][0], plain[0][0], 1e-3, "without compensation the constant 2 is lost");

            List<String> progress = new ArrayList<>();
            NodeCompensation.Result result = NodeCompensation.compensate(original, nodes,
                    new ActivationCollector(runtime, data, 512, 16), NodeCompensation.Options.defaults(),
                    progress::add);

            float[][] after = outputs(result.model(), data);
            assertEquals(1, progress.size());
            assertTrue(progress.get(0).startsWith("compensation: layer 1 of 1, " + result.layers().get(0).layer()
                    + ": least squares on 50 rows, output error "), progress.get(0));
            assertTrue(progress.get(0).contains(" s elapsed, about 0 s left"), progress.get(0));
            for (int i = 0; i < before.length; i++) {
                assertArrayEquals(before[i], after[i], 1e-5f, "sample " + i);
            }
            assertEquals(1, result.layers().size());
            assertEquals("least squares", result.layers().get(0).method());
            assertTrue(result.layers().get(0).errorAfter() < 1e-10);
            // A Gemm without C gets one, in the weight's type.
            assertEquals(3, result.model().getGraph().getNode(2).getInputCount());
        }
    }

    @Test
    void compensationIsDeterministic() {
        ModelProto original = mlp(true);
        ValidationData data = randomInputs(40, 3, 11);
        NodePruningResult pruned = NodePruner.prune(original, NodePruningSettings.of(0.75, Scope.LAYERWISE));
        byte[] first = NodeCompensation.compensate(original, pruned, new ActivationCollector(runtime, data, 512, 16),
                NodeCompensation.Options.defaults()).model().toByteArray();
        byte[] second = NodeCompensation.compensate(original, pruned, new ActivationCollector(runtime, data, 512, 8),
                NodeCompensation.Options.defaults()).model().toByteArray();
        assertArrayEquals(first, second);
    }

    @Test
    void anUnprunedModelIsReturnedAsIs() {
        ModelProto original = mlp(true);
        ValidationData data = randomInputs(10, 3, 1);
        NodePruningResult nothing = NodePruner.prune(original, NodePruningSettings.of(0.0, Scope.LAYERWISE));
        NodeCompensation.Result result = NodeCompensation.compensate(original, nothing,
                new ActivationCollector(runtime, data, 512, 16), NodeCompensation.Options.defaults());
        assertTrue(result.model() == original && result.layers().isEmpty());
    }
}
