package io.github.onnxprune.prune.nodes;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import io.github.onnxprune.onnx.ConstantTensor;
import io.github.onnxprune.onnx.ModelGraph;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The rank of every value whose rank follows from the graph inputs, constants and annotations, and the length of
 * the 1-D integer vectors that shape arithmetic builds (Shape, Unsqueeze of a scalar, Concat): exports of
 * transformers carry no shape annotations for intermediate values, yet head splitting must know where the head
 * axis is.
 */
final class Ranks {

    private static final Set<String> SAME_AS_MAX_INPUT = Set.of("Add", "Sub", "Mul", "Div", "Pow", "Max", "Min",
            "Where", "Equal", "Less", "Greater", "And", "Or", "Not", "Cast", "Relu", "LeakyRelu", "Sigmoid", "Tanh",
            "Clip", "Gelu", "Erf", "Elu", "Selu", "Celu", "Softplus", "Softsign", "HardSigmoid", "HardSwish",
            "Mish", "Identity", "Dropout", "Neg", "Abs", "Exp", "Log", "Sqrt", "Reciprocal", "Softmax",
            "LogSoftmax", "LayerNormalization", "Transpose", "Slice", "BatchNormalization", "PRelu",
            "ThresholdedRelu", "Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Range");
    private static final Set<String> REDUCTIONS = Set.of("ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin",
            "ReduceProd", "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSumExp");

    private final Map<String, Integer> ranks = new HashMap<>();
    private final Map<String, Integer> lengths = new HashMap<>();

    private Ranks() {
    }

    static Ranks infer(ModelGraph graph, Map<String, long[]> annotated) {
        Ranks result = new Ranks();
        annotated.forEach((name, dims) -> result.ranks.put(name, dims.length));
        for (NodeProto node : graph.nodes()) {
            for (String input : node.getInputList()) {
                graph.constant(input).ifPresent(c -> result.constant(c));
            }
            if (ModelGraph.isDefaultDomain(node.getDomain())) {
                result.visit(graph, node);
            }
        }
        return result;
    }

    /** The value's rank, or -1 when unknown. */
    int rank(String value) {
        return ranks.getOrDefault(value, -1);
    }

    /** The number of elements of a 1-D shape vector, or -1 when unknown. */
    int length(String value) {
        return lengths.getOrDefault(value, -1);
    }

    private void constant(ConstantTensor constant) {
        List<Long> dims = constant.tensor().getDimsList();
        ranks.put(constant.name(), dims.size());
        if (dims.size() == 1) {
            lengths.put(constant.name(), dims.get(0).intValue());
        }
    }

    private void visit(ModelGraph graph, NodeProto node) {
        if (node.getOutputCount() == 0 || node.getOutput(0).isEmpty()) {
            return;
        }
        String out = node.getOutput(0);
        String op = node.getOpType();
        int rank = -1;
        int length = -1;
        int first = node.getInputCount() > 0 ? rank(node.getInput(0)) : -1;
        if (op.equals("Constant")) {
            graph.constant(out).ifPresent(this::constant);
            return;
        } else if (op.equals("Shape")) {
            rank = 1;
            if (attribute(node, "start") == null && attribute(node, "end") == null) {
                length = first;
            }
        } else if (op.equals("Gather") && node.getInputCount() == 2) {
            int indices = rank(node.getInput(1));
            rank = first < 0 || indices < 0 ? -1 : first - 1 + indices;
        } else if (op.equals("Unsqueeze")) {
            int axes = axesCount(graph, node);
            rank = first < 0 || axes < 0 ? -1 : first + axes;
            length = first == 0 && axes == 1 ? 1 : -1;
        } else if (op.equals("Squeeze")) {
            int axes = axesCount(graph, node);
            rank = first < 0 || axes < 0 ? -1 : first - axes;
        } else if (op.equals("Concat")) {
            rank = first;
            length = 0;
            for (String input : node.getInputList()) {
                length = length < 0 || length(input) < 0 ? -1 : length + length(input);
            }
        } else if (op.equals("Reshape") && node.getInputCount() == 2) {
            rank = length(node.getInput(1));
        } else if (op.equals("Expand") && node.getInputCount() == 2) {
            int shape = length(node.getInput(1));
            rank = first < 0 || shape < 0 ? -1 : Math.max(first, shape);
        } else if (op.equals("MatMul") && node.getInputCount() == 2) {
            int second = rank(node.getInput(1));
            rank = first >= 2 && second >= 2 ? Math.max(first, second) : -1;
        } else if (op.equals("Gemm") || op.equals("Flatten")) {
            rank = 2;
        } else if (REDUCTIONS.contains(op)) {
            AttributeProto keep = attribute(node, "keepdims");
            int axes = axesCount(graph, node);
            rank = keep == null || keep.getI() != 0 ? first : first < 0 || axes < 0 ? -1 : first - axes;
        } else if (SAME_AS_MAX_INPUT.contains(op)) {
            for (String input : node.getInputList()) {
                if (input.isEmpty()) {
                    continue;
                }
                int r = rank(input);
                rank = r < 0 ? -1 : Math.max(rank, r);
                if (r < 0) {
                    break;
                }
            }
            if (op.equals("Cast") || op.equals("Identity")) {
                length = length(node.getInput(0));
            }
        }
        if (rank >= 0 && !ranks.containsKey(out)) {
            ranks.put(out, rank);
        }
        if (length >= 0) {
            lengths.put(out, length);
        }
    }

    /** Axes of Unsqueeze, Squeeze or a reduction: the attribute (older opsets) or the constant second input. */
    private static int axesCount(ModelGraph graph, NodeProto node) {
        AttributeProto axes = attribute(node, "axes");
        if (axes != null) {
            return axes.getIntsCount();
        }
        if (node.getInputCount() > 1 && !node.getInput(1).isEmpty()) {
            return graph.constant(node.getInput(1)).map(c -> (int) TensorOps.elements(c.tensor())).orElse(-1);
        }
        return -1;
    }

    static AttributeProto attribute(NodeProto node, String name) {
        for (AttributeProto attribute : node.getAttributeList()) {
            if (attribute.getName().equals(name)) {
                return attribute;
            }
        }
        return null;
    }
}
