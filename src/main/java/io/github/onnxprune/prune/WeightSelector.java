package io.github.onnxprune.prune;

import ai.onnx.proto.OnnxMl.NodeProto;
import io.github.onnxprune.onnx.ConstantTensor;
import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.onnx.NodeInput;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds the weight operands of Gemm, MatMul, Conv and ConvTranspose nodes that may be pruned, and, when asked,
 * the embedding tables Gather nodes read: never biases, normalisation parameters or any other constant.
 */
public final class WeightSelector {

    private WeightSelector() {
    }

    /** What was chosen and what was seen but left alone. */
    public record Selection(List<PrunableTensor> tensors, List<SkippedTensor> skipped) {

        public Selection {
            tensors = List.copyOf(tensors);
            skipped = List.copyOf(skipped);
        }
    }

    /** Chooses, in graph order, the weights {@code filter} allows. */
    public static Selection select(ModelGraph graph, TensorFilter filter) {
        return select(graph, filter, false);
    }

    /**
     * Chooses, in graph order, the weights {@code filter} allows and, when {@code tables} is set, the embedding
     * tables Gather nodes look rows up in (2-D, along axis 0) that it allows.
     */
    public static Selection select(ModelGraph graph, TensorFilter filter, boolean tables) {
        Map<String, List<NodeProto>> weightReaders = new LinkedHashMap<>();
        List<NodeProto> nodes = graph.nodes();
        for (NodeProto node : nodes) {
            boolean lookup = tables && isTableLookup(graph, node);
            if (!ModelGraph.isDefaultDomain(node.getDomain())
                    || !(lookup || filter.opTypes().contains(node.getOpType()))) {
                continue;
            }
            for (int input : lookup ? List.of(0) : weightInputs(graph, node)) {
                weightReaders.computeIfAbsent(node.getInput(input), k -> new ArrayList<>()).add(node);
            }
        }
        List<PrunableTensor> chosen = new ArrayList<>();
        List<SkippedTensor> skipped = new ArrayList<>();
        for (Map.Entry<String, List<NodeProto>> entry : weightReaders.entrySet()) {
            String name = entry.getKey();
            ConstantTensor constant = graph.constant(name).orElseThrow();
            String reason = reasonToSkip(graph, constant, filter, tables);
            if (reason != null) {
                skipped.add(new SkippedTensor(name, reason));
                continue;
            }
            List<String> opTypes = new ArrayList<>();
            List<String> nodeNames = new ArrayList<>();
            for (NodeProto reader : entry.getValue()) {
                if (!opTypes.contains(reader.getOpType())) {
                    opTypes.add(reader.getOpType());
                }
                nodeNames.add(reader.getName());
            }
            chosen.add(new PrunableTensor(constant, opTypes, nodeNames));
        }
        return new Selection(chosen, skipped);
    }

    /** Which inputs of the node are weights stored as constants. */
    private static List<Integer> weightInputs(ModelGraph graph, NodeProto node) {
        List<Integer> inputs = new ArrayList<>();
        switch (node.getOpType()) {
            case "Gemm", "Conv", "ConvTranspose" -> {
                if (node.getInputCount() > 1 && graph.constant(node.getInput(1)).isPresent()) {
                    inputs.add(1);
                }
            }
            case "MatMul" -> {
                for (int i = 0; i < Math.min(2, node.getInputCount()); i++) {
                    var constant = graph.constant(node.getInput(i));
                    if (constant.isPresent() && constant.get().tensor().getDimsCount() == 2) {
                        inputs.add(i);
                    }
                }
            }
            default -> {
            }
        }
        return inputs;
    }

    private static String reasonToSkip(ModelGraph graph, ConstantTensor constant, TensorFilter filter,
            boolean tables) {
        String name = constant.name();
        if (!FloatTensor.isSupported(constant.tensor())) {
            return "not a floating-point tensor stored in the model file";
        }
        for (NodeInput use : graph.consumers(name)) {
            if (!isWeightUse(graph, use, tables)) {
                return "also read by " + use.node().getOpType() + " node '" + use.node().getName()
                        + "', which needs it unchanged";
            }
        }
        if (graph.replaceableAtRunTime(name)) {
            return "also a graph input, so callers may replace it at run time";
        }
        if (!filter.includes().isEmpty() && !NamePattern.anyMatches(filter.includes(), name)) {
            return "not matched by tensorIncludes";
        }
        if (NamePattern.anyMatches(filter.excludes(), name)) {
            return "matched by tensorExcludes";
        }
        long size = FloatTensor.of(constant.tensor()).size();
        if (size < filter.minSize()) {
            return size + " elements, fewer than minTensorSize " + filter.minSize();
        }
        return null;
    }

    /** A Gather of rows (axis 0) from a constant 2-D table: an embedding lookup. */
    private static boolean isTableLookup(ModelGraph graph, NodeProto node) {
        if (!node.getOpType().equals("Gather") || node.getInputCount() != 2
                || !ModelGraph.isDefaultDomain(node.getDomain())) {
            return false;
        }
        for (var attribute : node.getAttributeList()) {
            if (attribute.getName().equals("axis") && attribute.getI() != 0) {
                return false;
            }
        }
        return graph.constant(node.getInput(0)).filter(c -> c.tensor().getDimsCount() == 2).isPresent();
    }

    private static boolean isWeightUse(ModelGraph graph, NodeInput use, boolean tables) {
        NodeProto node = use.node();
        if (!ModelGraph.isDefaultDomain(node.getDomain())) {
            return false;
        }
        if (tables && use.inputIndex() == 0 && isTableLookup(graph, node)) {
            return true;
        }
        return switch (node.getOpType()) {
            case "Gemm", "Conv", "ConvTranspose" -> use.inputIndex() == 1;
            case "MatMul" -> use.inputIndex() == 0 || use.inputIndex() == 1;
            default -> false;
        };
    }
}
