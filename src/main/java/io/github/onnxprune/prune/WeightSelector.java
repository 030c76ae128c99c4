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
 * Finds the weight operands of Gemm, MatMul, Conv and ConvTranspose nodes that may be pruned: never biases,
 * normalisation parameters, lookup tables or any other constant.
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
        Map<String, List<NodeProto>> weightReaders = new LinkedHashMap<>();
        List<NodeProto> nodes = graph.nodes();
        for (NodeProto node : nodes) {
            if (!ModelGraph.isDefaultDomain(node.getDomain()) || !filter.opTypes().contains(node.getOpType())) {
                continue;
            }
            for (int input : weightInputs(graph, node)) {
                weightReaders.computeIfAbsent(node.getInput(input), k -> new ArrayList<>()).add(node);
            }
        }
        List<PrunableTensor> chosen = new ArrayList<>();
        List<SkippedTensor> skipped = new ArrayList<>();
        for (Map.Entry<String, List<NodeProto>> entry : weightReaders.entrySet()) {
            String name = entry.getKey();
            ConstantTensor constant = graph.constant(name).orElseThrow();
            String reason = reasonToSkip(graph, constant, filter);
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

    private static String reasonToSkip(ModelGraph graph, ConstantTensor constant, TensorFilter filter) {
        String name = constant.name();
        if (!FloatTensor.isSupported(constant.tensor())) {
            return "not a floating-point tensor stored in the model file";
        }
        for (NodeInput use : graph.consumers(name)) {
            if (!isWeightUse(graph, use)) {
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

    private static boolean isWeightUse(ModelGraph graph, NodeInput use) {
        NodeProto node = use.node();
        if (!ModelGraph.isDefaultDomain(node.getDomain())) {
            return false;
        }
        return switch (node.getOpType()) {
            case "Gemm", "Conv", "ConvTranspose" -> use.inputIndex() == 1;
            case "MatMul" -> use.inputIndex() == 0 || use.inputIndex() == 1;
            default -> false;
        };
    }
}
