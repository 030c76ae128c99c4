package io.github.onnxprune.quantize;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.Random;

/** Small hand-built models for the quantizer's tests: float32 graphs with a dynamic batch dimension. */
final class TinyModels {

    private final GraphProto.Builder graph = GraphProto.newBuilder().setName("tiny");

    /** A graph input of shape [batch, dims...]. */
    TinyModels input(String name, long... dims) {
        graph.addInput(info(name, dims));
        return this;
    }

    /** A graph input of int64 indices of shape [batch, dims...]. */
    TinyModels indices(String name, long... dims) {
        ValueInfoProto.Builder info = info(name, dims).toBuilder();
        info.getTypeBuilder().getTensorTypeBuilder().setElemType(TensorProto.DataType.INT64_VALUE);
        graph.addInput(info);
        return this;
    }

    TinyModels output(String name, long... dims) {
        graph.addOutput(info(name, dims));
        return this;
    }

    TinyModels weight(String name, float[] values, long... dims) {
        TensorProto.Builder tensor = TensorProto.newBuilder().setName(name)
                .setDataType(TensorProto.DataType.FLOAT_VALUE);
        for (long dim : dims) {
            tensor.addDims(dim);
        }
        for (float value : values) {
            tensor.addFloatData(value);
        }
        graph.addInitializer(tensor);
        return this;
    }

    TinyModels longs(String name, long[] values, long... dims) {
        TensorProto.Builder tensor = TensorProto.newBuilder().setName(name)
                .setDataType(TensorProto.DataType.INT64_VALUE);
        for (long dim : dims) {
            tensor.addDims(dim);
        }
        for (long value : values) {
            tensor.addInt64Data(value);
        }
        graph.addInitializer(tensor);
        return this;
    }

    /** Adds a node named {@code name}; attributes as name, value pairs (Long or Float). */
    TinyModels node(String name, String op, String[] inputs, String output, Object... attributes) {
        NodeProto.Builder node = NodeProto.newBuilder().setName(name).setOpType(op).addOutput(output);
        for (String input : inputs) {
            node.addInput(input);
        }
        for (int i = 0; i < attributes.length; i += 2) {
            AttributeProto.Builder attribute = AttributeProto.newBuilder().setName((String) attributes[i]);
            if (attributes[i + 1] instanceof Long value) {
                attribute.setType(AttributeProto.AttributeType.INT).setI(value);
            } else {
                attribute.setType(AttributeProto.AttributeType.FLOAT).setF((Float) attributes[i + 1]);
            }
            node.addAttribute(attribute);
        }
        graph.addNode(node);
        return this;
    }

    ModelProto model(int irVersion, int opset) {
        return ModelProto.newBuilder().setIrVersion(irVersion).setProducerName("quantizer-test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
                .setGraph(graph).build();
    }

    static String[] in(String... names) {
        return names;
    }

    private static ValueInfoProto info(String name, long... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("batch"));
        for (long dim : dims) {
            shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(dim));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(shape)))
                .build();
    }

    /** Uniform values in [-1, 1) from a fixed seed. */
    static float[] random(long seed, int count) {
        Random random = new Random(seed);
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = random.nextFloat() * 2 - 1;
        }
        return values;
    }
}
