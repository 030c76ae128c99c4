package io.github.onnxprune;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * Builds small ONNX graphs for the tests, one node at a time. In every shape, {@link #BATCH} ({@code -1}) is the
 * symbolic batch dimension and {@link #TOKENS} ({@code -2}) the symbolic sequence length.
 */
public final class TestGraphs {

    /** The symbolic batch dimension, named {@code batch}. */
    public static final long BATCH = -1;

    /** The symbolic sequence dimension, named {@code tokens}. */
    public static final long TOKENS = -2;

    private final GraphProto.Builder graph = GraphProto.newBuilder().setName("test");
    private int nodes;

    /** A float32 graph input. */
    public TestGraphs input(String name, long... dims) {
        graph.addInput(info(name, TensorProto.DataType.FLOAT, dims));
        return this;
    }

    /** An int64 graph input, such as token ids. */
    public TestGraphs int64Input(String name, long... dims) {
        graph.addInput(info(name, TensorProto.DataType.INT64, dims));
        return this;
    }

    /** A float32 graph output. */
    public TestGraphs output(String name, long... dims) {
        graph.addOutput(info(name, TensorProto.DataType.FLOAT, dims));
        return this;
    }

    /** The float32 shape of an intermediate value. */
    public TestGraphs valueInfo(String name, long... dims) {
        graph.addValueInfo(info(name, TensorProto.DataType.FLOAT, dims));
        return this;
    }

    /** A float32 initializer, stored in {@code float_data}. */
    public TestGraphs initializer(String name, float[] values, long... dims) {
        TensorProto.Builder tensor = tensor(name, TensorProto.DataType.FLOAT, dims);
        for (float value : values) {
            tensor.addFloatData(value);
        }
        graph.addInitializer(tensor);
        return this;
    }

    /** An int64 initializer, stored in {@code int64_data}. */
    public TestGraphs int64(String name, long[] values, long... dims) {
        TensorProto.Builder tensor = tensor(name, TensorProto.DataType.INT64, dims);
        for (long value : values) {
            tensor.addInt64Data(value);
        }
        graph.addInitializer(tensor);
        return this;
    }

    private static TensorProto.Builder tensor(String name, TensorProto.DataType type, long[] dims) {
        TensorProto.Builder tensor = TensorProto.newBuilder().setName(name).setDataType(type.getNumber());
        for (long dim : dims) {
            tensor.addDims(dim);
        }
        return tensor;
    }

    /** Adds a node named after its op and position ({@link #nextNodeName}); attributes as in the named form. */
    public TestGraphs node(String op, String[] inputs, String output, Object... attributes) {
        return node(nextNodeName(op), op, inputs, output, attributes);
    }

    /** Adds a node named {@code name}; attributes as name, value pairs (Long, Float or long[]). */
    public TestGraphs node(String name, String op, String[] inputs, String output, Object... attributes) {
        nodes++;
        NodeProto.Builder node = NodeProto.newBuilder().setOpType(op).setName(name).addOutput(output);
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

    /** The name the next unnamed node will get, for tests that address nodes by name. */
    public String nextNodeName(String op) {
        return op.toLowerCase(Locale.ROOT) + nodes;
    }

    /** The model at IR version 8, opset 13. */
    public ModelProto model() {
        return model(8, 13);
    }

    /** The model at this IR version and default-domain opset. */
    public ModelProto model(int irVersion, int opset) {
        return ModelProto.newBuilder().setIrVersion(irVersion).setProducerName("onnx-prune-tests")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
                .setGraph(graph).build();
    }

    /** A node's input names, for readable calls. */
    public static String[] in(String... names) {
        return names;
    }

    /** A value of this element type and shape ({@link #BATCH} and {@link #TOKENS} are symbolic). */
    public static ValueInfoProto info(String name, TensorProto.DataType type, long... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (long dim : dims) {
            TensorShapeProto.Dimension.Builder dimension = TensorShapeProto.Dimension.newBuilder();
            shape.addDim(dim == BATCH ? dimension.setDimParam("batch")
                    : dim == TOKENS ? dimension.setDimParam("tokens") : dimension.setDimValue(dim));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(type.getNumber()).setShape(shape)))
                .build();
    }

    /** Uniform values in [-1, 1) from a fixed seed. */
    public static float[] random(long seed, int count) {
        Random random = new Random(seed);
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = random.nextFloat() * 2 - 1;
        }
        return values;
    }

    /** {@code count} copies of one value. */
    public static float[] fill(int count, float value) {
        float[] values = new float[count];
        Arrays.fill(values, value);
        return values;
    }

    /** The rows of a matrix, one after the other. */
    public static float[] flatten(float[][] rows) {
        float[] values = new float[Arrays.stream(rows).mapToInt(row -> row.length).sum()];
        int at = 0;
        for (float[] row : rows) {
            System.arraycopy(row, 0, values, at, row.length);
            at += row.length;
        }
        return values;
    }
}
