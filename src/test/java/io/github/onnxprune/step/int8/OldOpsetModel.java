package io.github.onnxprune.step.int8;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Generates the opset-9 model of the old-opset integration test: x[batch, 8] -> MatMul -> Relu -> Slice (with
 * opset 9's attributes, which became inputs at opset 10) -> MatMul -> y[batch, 4]. The Slice makes raising the
 * opset to 11 unsafe, so quantization must leave it float. Run {@code main} with the output path to regenerate
 * src/it/quantize-old-opset/src/main/resources/models/old.onnx; {@code OldOpsetModelTest} checks the committed
 * file is exactly what this writes.
 */
public final class OldOpsetModel {

    private OldOpsetModel() {
    }

    /** Writes the model to {@code args[0]}. */
    public static void main(String[] args) throws IOException {
        Files.write(Path.of(args[0]), model().toByteArray());
    }

    /** The model, the same bytes on every call. */
    public static ModelProto model() {
        Random random = new Random(9);
        GraphProto.Builder graph = GraphProto.newBuilder().setName("old-opset")
                .addInput(info("x", 8)).addOutput(info("y", 4))
                .addInitializer(weight("w1", random, 8, 16)).addInitializer(weight("w2", random, 16, 4))
                .addNode(node("mm1", "MatMul", "h", "x", "w1"))
                .addNode(node("relu", "Relu", "a", "h"))
                .addNode(node("slice", "Slice", "s", "a").addAttribute(ints("starts", 0))
                        .addAttribute(ints("ends", 16)).addAttribute(ints("axes", 1)))
                .addNode(node("mm2", "MatMul", "y", "s", "w2"));
        return ModelProto.newBuilder().setIrVersion(4).setProducerName("onnx-prune-tests")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(9)).setGraph(graph).build();
    }

    private static NodeProto.Builder node(String name, String op, String output, String... inputs) {
        NodeProto.Builder node = NodeProto.newBuilder().setName(name).setOpType(op).addOutput(output);
        for (String input : inputs) {
            node.addInput(input);
        }
        return node;
    }

    private static AttributeProto ints(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS).addInts(value)
                .build();
    }

    private static TensorProto weight(String name, Random random, int rows, int columns) {
        TensorProto.Builder tensor = TensorProto.newBuilder().setName(name)
                .setDataType(TensorProto.DataType.FLOAT_VALUE).addDims(rows).addDims(columns);
        for (int i = 0; i < rows * columns; i++) {
            tensor.addFloatData(random.nextFloat() * 2 - 1);
        }
        return tensor.build();
    }

    private static ValueInfoProto info(String name, long features) {
        TensorShapeProto shape = TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("batch"))
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(features)).build();
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(shape)))
                .build();
    }
}
