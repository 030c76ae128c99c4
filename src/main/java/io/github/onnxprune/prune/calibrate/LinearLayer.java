package io.github.onnxprune.prune.calibrate;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.github.onnxprune.onnx.ConstantTensor;
import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.onnx.NodeAttributes;
import io.github.onnxprune.onnx.NodeInput;

/**
 * A Gemm, MatMul or 2-D Conv node seen as one linear map {@code y = x M + b} from input features to outputs:
 * M is the canonical {@code features x outputs} matrix (Gemm's alpha folded in; for Conv a feature is one
 * (input channel, kernel position) pair of an im2col patch, channel-major), b the effective bias.
 *
 * @param index the node's position in the graph
 * @param node the node
 * @param weight the weight constant's name
 * @param units input units (features for Gemm/MatMul, channels for Conv)
 * @param block features per input unit (1, or the kernel size for Conv)
 * @param outputs output units
 * @param conv the convolution's geometry, or null for Gemm/MatMul
 */
record LinearLayer(int index, NodeProto node, String weight, int units, int block, int outputs, ConvGeometry conv) {

    /** Strides, dilations, pads and kernel of a 2-D convolution with group 1. */
    record ConvGeometry(int kernelH, int kernelW, int strideH, int strideW, int dilationH, int dilationW,
            int padTop, int padLeft, int padBottom, int padRight) {
    }

    /** The layer at node {@code index}, or null when the node is not a linear layer with a constant weight. */
    static LinearLayer of(ModelGraph graph, int index) {
        NodeProto node = graph.nodes().get(index);
        if (!ModelGraph.isDefaultDomain(node.getDomain()) || node.getInputCount() < 2) {
            return null;
        }
        FloatTensor w = floatConstant(graph, node.getInput(1));
        if (w == null) {
            return null;
        }
        long[] dims = w.dims();
        switch (node.getOpType()) {
            case "MatMul" -> {
                return dims.length == 2 ? new LinearLayer(index, node, node.getInput(1), (int) dims[0], 1,
                        (int) dims[1], null) : null;
            }
            case "Gemm" -> {
                if (dims.length != 2 || intAttribute(node, "transA", 0) != 0) {
                    return null;
                }
                boolean transB = intAttribute(node, "transB", 0) != 0;
                return new LinearLayer(index, node, node.getInput(1), (int) dims[transB ? 1 : 0], 1,
                        (int) dims[transB ? 0 : 1], null);
            }
            case "Conv" -> {
                if (dims.length != 4 || intAttribute(node, "group", 1) != 1) {
                    return null;
                }
                String autoPad = stringAttribute(node, "auto_pad", "NOTSET");
                long[] pads = intsAttribute(node, "pads", new long[4]);
                long[] strides = intsAttribute(node, "strides", new long[] {1, 1});
                long[] dilations = intsAttribute(node, "dilations", new long[] {1, 1});
                ConvGeometry geometry = null;
                if ((autoPad.equals("NOTSET") || autoPad.equals("VALID")) && pads.length == 4 && strides.length == 2
                        && dilations.length == 2) {
                    geometry = new ConvGeometry((int) dims[2], (int) dims[3], (int) strides[0], (int) strides[1],
                            (int) dilations[0], (int) dilations[1], (int) pads[0], (int) pads[1], (int) pads[2],
                            (int) pads[3]);
                }
                return new LinearLayer(index, node, node.getInput(1), (int) dims[1], (int) (dims[2] * dims[3]),
                        (int) dims[0], geometry);
            }
            default -> {
                return null;
            }
        }
    }

    /** Name for reports: the node's name, or its weight's when it has none. */
    String name() {
        return node.getName().isEmpty() ? weight : node.getName();
    }

    String opType() {
        return node.getOpType();
    }

    /** The value the layer reads. */
    String input() {
        return node.getInput(0);
    }

    /** The weight's axis that holds input units (features for Gemm/MatMul, channels for Conv). */
    int inputAxis() {
        return switch (node.getOpType()) {
            case "Gemm" -> intAttribute(node, "transB", 0) != 0 ? 1 : 0;
            case "Conv" -> 1;
            default -> 0;
        };
    }

    /** The weight's axis that holds outputs. */
    int outputAxis() {
        return node.getOpType().equals("Conv") ? 0 : 1 - inputAxis();
    }

    int features() {
        return units * block;
    }

    double alpha() {
        return node.getOpType().equals("Gemm") ? floatAttribute(node, "alpha", 1f) : 1.0;
    }

    /** The canonical {@code features x outputs} matrix, row-major. */
    double[] canonical(FloatTensor w) {
        double[] values = w.values();
        int f = features();
        double[] m = new double[f * outputs];
        switch (node.getOpType()) {
            case "MatMul" -> System.arraycopy(values, 0, m, 0, m.length);
            case "Gemm" -> {
                double alpha = alpha();
                boolean transB = intAttribute(node, "transB", 0) != 0;
                for (int i = 0; i < f; i++) {
                    for (int o = 0; o < outputs; o++) {
                        m[i * outputs + o] = alpha * (transB ? values[o * f + i] : values[i * outputs + o]);
                    }
                }
            }
            default -> {
                // Conv [O, C, kh, kw]: feature c * block + s of output o.
                for (int o = 0; o < outputs; o++) {
                    for (int i = 0; i < f; i++) {
                        m[i * outputs + o] = values[o * f + i];
                    }
                }
            }
        }
        return m;
    }

    /** The weight tensor holding canonical matrix {@code m}, in the weight's own layout, type and storage. */
    TensorProto write(FloatTensor w, double[] m) {
        int f = features();
        double[] values = new double[m.length];
        switch (node.getOpType()) {
            case "MatMul" -> System.arraycopy(m, 0, values, 0, m.length);
            case "Gemm" -> {
                double alpha = alpha();
                boolean transB = intAttribute(node, "transB", 0) != 0;
                for (int i = 0; i < f; i++) {
                    for (int o = 0; o < outputs; o++) {
                        values[transB ? o * f + i : i * outputs + o] = m[i * outputs + o] / alpha;
                    }
                }
            }
            default -> {
                for (int o = 0; o < outputs; o++) {
                    for (int i = 0; i < f; i++) {
                        values[o * f + i] = m[i * outputs + o];
                    }
                }
            }
        }
        return w.withValues(values);
    }

    static FloatTensor floatConstant(ModelGraph graph, String name) {
        if (name.isEmpty()) {
            return null;
        }
        return graph.constant(name).map(ConstantTensor::tensor).filter(FloatTensor::isSupported).map(tensor -> {
            try {
                return FloatTensor.of(tensor);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }).orElse(null);
    }

    /** Whether a constant may be rewritten for this node alone. */
    static boolean editable(ModelGraph graph, String name) {
        return graph.constant(name).isPresent() && graph.consumers(name).size() == 1
                && !graph.replaceableAtRunTime(name);
    }

    /** The MatMul's bias: an Add that alone reads its output, with a constant of one value per output. */
    static NodeInput matMulBiasAdd(ModelGraph graph, NodeProto matMul, int outputs) {
        var readers = graph.consumers(matMul.getOutput(0));
        if (readers.size() != 1 || graph.graphOutputs().contains(matMul.getOutput(0))) {
            return null;
        }
        NodeInput reader = readers.get(0);
        NodeProto add = reader.node();
        if (!add.getOpType().equals("Add") || add.getInputCount() != 2 || reader.inputIndex() < 0
                || !ModelGraph.isDefaultDomain(add.getDomain())) {
            return null;
        }
        String other = add.getInput(1 - reader.inputIndex());
        FloatTensor bias = floatConstant(graph, other);
        if (bias == null || bias.size() != outputs || !editable(graph, other)) {
            return null;
        }
        long[] dims = bias.dims();
        if (dims.length == 0 || dims[dims.length - 1] != outputs) {
            return null;
        }
        return new NodeInput(graph.producer(add.getOutput(0)).orElseThrow(), add, 1 - reader.inputIndex());
    }

    static long intAttribute(NodeProto node, String name, long fallback) {
        return NodeAttributes.intValue(node, name, fallback);
    }

    static double floatAttribute(NodeProto node, String name, float fallback) {
        return NodeAttributes.floatValue(node, name, fallback);
    }

    private static String stringAttribute(NodeProto node, String name, String fallback) {
        for (AttributeProto attribute : node.getAttributeList()) {
            if (attribute.getName().equals(name)) {
                return attribute.getS().toStringUtf8();
            }
        }
        return fallback;
    }

    private static long[] intsAttribute(NodeProto node, String name, long[] fallback) {
        for (AttributeProto attribute : node.getAttributeList()) {
            if (attribute.getName().equals(name)) {
                return attribute.getIntsList().stream().mapToLong(Long::longValue).toArray();
            }
        }
        return fallback;
    }
}
