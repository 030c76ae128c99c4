package io.github.onnxprune.prune.calibrate;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A model cut down to the values a calibration run asks for, and what those values are computed from. */
final class ModelCut {

    private ModelCut() {
    }

    /**
     * A copy of {@code model} whose graph outputs exactly {@code values}, keeping only the nodes and initializers
     * they depend on: a layer's input near the start of a transformer then costs a fraction of a full pass, and
     * the copy serialized for ONNX Runtime holds only the weights it reads. Graph inputs all stay, as the samples
     * feed every one. A graph with subgraphs (If, Loop, Scan) keeps every node, as their bodies may read any
     * outer value.
     *
     * <p>An output needs a type: the value's annotation is used when the model has one, otherwise a float tensor
     * of unknown shape, which ONNX Runtime accepts and resolves from the producing node (it rejects a
     * mismatching element type, so half-precision models need annotations or the element type of their weights,
     * see {@code elemType}).
     */
    static ModelProto withOutputs(ModelProto model, List<String> values) {
        GraphProto graph = model.getGraph();
        Map<String, ValueInfoProto> annotated = new LinkedHashMap<>();
        graph.getValueInfoList().forEach(v -> annotated.put(v.getName(), v));
        graph.getOutputList().forEach(v -> annotated.put(v.getName(), v));
        int elemType = floatType(model);
        ModelProto.Builder builder = model.toBuilder();
        GraphProto.Builder graphBuilder = builder.getGraphBuilder();
        graphBuilder.clearOutput();
        for (String value : values) {
            ValueInfoProto info = annotated.get(value);
            if (info == null || !info.getType().hasTensorType()) {
                info = ValueInfoProto.newBuilder().setName(value).setType(TypeProto.newBuilder()
                        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(elemType))).build();
            }
            graphBuilder.addOutput(info);
        }
        if (hasSubgraphs(graph)) {
            return builder.build();
        }
        Set<String> needed = new HashSet<>(values);
        List<NodeProto> nodes = graph.getNodeList();
        boolean[] keep = producers(nodes, needed);
        graphBuilder.clearNode();
        for (int i = 0; i < nodes.size(); i++) {
            if (keep[i]) {
                graphBuilder.addNode(nodes.get(i));
            }
        }
        Set<String> declaredInputs = new HashSet<>();
        graph.getInputList().forEach(v -> declaredInputs.add(v.getName()));
        graphBuilder.clearInitializer();
        for (TensorProto initializer : graph.getInitializerList()) {
            // An initializer listed as a graph input (IR < 4) stays, or the input would have to be fed.
            if (needed.contains(initializer.getName()) || declaredInputs.contains(initializer.getName())) {
                graphBuilder.addInitializer(initializer);
            }
        }
        return builder.build();
    }

    /**
     * Every value (graph input, initializer or node output) that {@code value} is computed from, itself
     * included; null when the graph has subgraphs, whose bodies may read any outer value.
     */
    static Set<String> dependencies(GraphProto graph, String value) {
        if (hasSubgraphs(graph)) {
            return null;
        }
        Set<String> needed = new HashSet<>(List.of(value));
        producers(graph.getNodeList(), needed);
        return needed;
    }

    /**
     * Marks the nodes that {@code needed} depends on and adds their inputs to it. ONNX requires nodes in
     * topological order, so one backward pass finds them all.
     */
    private static boolean[] producers(List<NodeProto> nodes, Set<String> needed) {
        boolean[] keep = new boolean[nodes.size()];
        for (int i = nodes.size() - 1; i >= 0; i--) {
            NodeProto node = nodes.get(i);
            if (node.getOutputList().stream().anyMatch(needed::contains)) {
                keep[i] = true;
                needed.addAll(node.getInputList());
            }
        }
        return keep;
    }

    private static boolean hasSubgraphs(GraphProto graph) {
        return graph.getNodeList().stream().flatMap(n -> n.getAttributeList().stream())
                .anyMatch(a -> a.hasG() || a.getGraphsCount() > 0);
    }

    /** The floating-point type the model computes in: that of its first floating-point initializer. */
    static int floatType(ModelProto model) {
        for (TensorProto tensor : model.getGraph().getInitializerList()) {
            int type = tensor.getDataType();
            if (type == TensorProto.DataType.FLOAT_VALUE || type == TensorProto.DataType.FLOAT16_VALUE
                    || type == TensorProto.DataType.BFLOAT16_VALUE || type == TensorProto.DataType.DOUBLE_VALUE) {
                return type;
            }
        }
        return TensorProto.DataType.FLOAT_VALUE;
    }
}
