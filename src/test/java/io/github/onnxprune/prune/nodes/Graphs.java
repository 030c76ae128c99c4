package io.github.onnxprune.prune.nodes;

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

/** Builds small ONNX graphs for the tests, one node at a time. */
final class Graphs {

    private final GraphProto.Builder graph = GraphProto.newBuilder().setName("test");
    private int nodes;

    /** A graph input of float type; -1 dims are the symbolic batch. */
    Graphs input(String name, long... dims) {
        graph.addInput(info(name, dims));
        return this;
    }

    Graphs output(String name, long... dims) {
        graph.addOutput(info(name, dims));
        return this;
    }

    Graphs valueInfo(String name, long... dims) {
        graph.addValueInfo(info(name, dims));
        return this;
    }

    Graphs initializer(String name, float[] values, long... dims) {
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

    Graphs int64(String name, long... values) {
        TensorProto.Builder tensor = TensorProto.newBuilder().setName(name)
                .setDataType(TensorProto.DataType.INT64_VALUE).addDims(values.length);
        for (long value : values) {
            tensor.addInt64Data(value);
        }
        graph.addInitializer(tensor);
        return this;
    }

    /** Adds a node; attributes as name, value pairs (Long, Float, long[]). */
    Graphs node(String op, String[] inputs, String output, Object... attributes) {
        NodeProto.Builder node = NodeProto.newBuilder().setOpType(op).setName(op.toLowerCase() + (nodes++))
                .addOutput(output);
        for (String input : inputs) {
            node.addInput(input);
        }
        for (int i = 0; i < attributes.length; i += 2) {
            AttributeProto.Builder attribute = AttributeProto.newBuilder().setName((String) attributes[i]);
            Object value = attributes[i + 1];
            if (value instanceof Long l) {
                attribute.setType(AttributeProto.AttributeType.INT).setI(l);
            } else if (value instanceof Float f) {
                attribute.setType(AttributeProto.AttributeType.FLOAT).setF(f);
            } else {
                attribute.setType(AttributeProto.AttributeType.INTS);
                for (long v : (long[]) value) {
                    attribute.addInts(v);
                }
            }
            node.addAttribute(attribute);
        }
        graph.addNode(node);
        return this;
    }

    /** The name the next node will get, for tests that address nodes by name. */
    String nextNodeName(String op) {
        return op.toLowerCase() + nodes;
    }

    ModelProto model() {
        return ModelProto.newBuilder().setIrVersion(8).setProducerName("node-pruner-test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
                .setGraph(graph).build();
    }

    static String[] in(String... names) {
        return names;
    }

    static ValueInfoProto info(String name, long... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (long dim : dims) {
            shape.addDim(dim < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam("batch")
                    : TensorShapeProto.Dimension.newBuilder().setDimValue(dim));
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

    static float[] fill(int count, float value) {
        float[] values = new float[count];
        java.util.Arrays.fill(values, value);
        return values;
    }
}
