package io.github.onnxprune.quantize;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The nodes and initializers a quantization adds to a graph, under names no existing value or node uses. Names
 * derive from the layer's own names, so the same model always gives the same names (and bytes).
 */
final class GraphRewrite {

    private final Set<String> valueNames = new HashSet<>();
    private final Set<String> nodeNames = new HashSet<>();
    private final List<NodeProto> nodes = new ArrayList<>();
    private final List<TensorProto> initializers = new ArrayList<>();
    private final java.util.Map<String, String> shared = new java.util.HashMap<>();

    GraphRewrite(GraphProto graph) {
        graph.getInputList().forEach(v -> valueNames.add(v.getName()));
        graph.getOutputList().forEach(v -> valueNames.add(v.getName()));
        graph.getValueInfoList().forEach(v -> valueNames.add(v.getName()));
        graph.getInitializerList().forEach(t -> valueNames.add(t.getName()));
        for (NodeProto node : graph.getNodeList()) {
            valueNames.addAll(node.getInputList());
            valueNames.addAll(node.getOutputList());
            nodeNames.add(node.getName());
        }
    }

    /** A value name starting with {@code base} that nothing uses yet, now reserved. */
    String value(String base) {
        return reserve(valueNames, base);
    }

    private static String reserve(Set<String> taken, String base) {
        String name = base;
        for (int i = 1; taken.contains(name); i++) {
            name = base + "_" + i;
        }
        taken.add(name);
        return name;
    }

    /** Frees a node name whose node the rewrite replaces, so the replacement may take it. */
    void release(String nodeName) {
        nodeNames.remove(nodeName);
    }

    /**
     * The initializer stored under {@code key}: added under a fresh name derived from {@code base} the first
     * time, the same name every later time.
     */
    String sharedConstant(String key, String base, java.util.function.Function<String, TensorProto> tensor) {
        return shared.computeIfAbsent(key, k -> constant(base, tensor));
    }

    /** Adds an initializer under a fresh name derived from {@code base}; returns the name. */
    String constant(String base, java.util.function.Function<String, TensorProto> tensor) {
        String name = value(base);
        initializers.add(tensor.apply(name));
        return name;
    }

    /** Adds a node named after {@code base} (made unique) to the nodes emitted so far. */
    void node(String base, String opType, List<String> inputs, List<String> outputs, AttributeProto... attributes) {
        NodeProto.Builder node = NodeProto.newBuilder().setName(reserve(nodeNames, base)).setOpType(opType)
                .addAllInput(inputs).addAllOutput(outputs);
        for (AttributeProto attribute : attributes) {
            node.addAttribute(attribute);
        }
        nodes.add(node.build());
    }

    /** Adds a node as it is (a layer kept float, or any other node). */
    void copy(NodeProto node) {
        nodes.add(node);
    }

    List<NodeProto> nodes() {
        return nodes;
    }

    List<TensorProto> initializers() {
        return initializers;
    }
}
