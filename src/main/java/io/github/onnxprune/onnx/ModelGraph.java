package io.github.onnxprune.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** An index of a model's main graph: who produces and who reads each value, and which values are constants. */
public final class ModelGraph {

    private final ModelProto model;
    private final Map<String, ConstantTensor> constants = new HashMap<>();
    private final Map<String, Integer> producers = new HashMap<>();
    private final Map<String, List<NodeInput>> consumers = new HashMap<>();
    private final Set<String> graphInputs = new LinkedHashSet<>();
    private final Set<String> graphOutputs = new LinkedHashSet<>();

    private ModelGraph(ModelProto model) {
        this.model = model;
        GraphProto graph = model.getGraph();
        for (int i = 0; i < graph.getInitializerCount(); i++) {
            TensorProto tensor = graph.getInitializer(i);
            constants.put(tensor.getName(), new ConstantTensor(tensor.getName(), tensor,
                    ConstantTensor.Source.INITIALIZER, i));
        }
        for (int n = 0; n < graph.getNodeCount(); n++) {
            NodeProto node = graph.getNode(n);
            for (int i = 0; i < node.getInputCount(); i++) {
                String input = node.getInput(i);
                if (!input.isEmpty()) {
                    consumers.computeIfAbsent(input, k -> new ArrayList<>()).add(new NodeInput(n, node, i));
                }
            }
            for (String output : node.getOutputList()) {
                if (!output.isEmpty()) {
                    producers.put(output, n);
                }
            }
            if (isConstantNode(node)) {
                constants.put(node.getOutput(0), new ConstantTensor(node.getOutput(0),
                        tensorAttribute(node), ConstantTensor.Source.CONSTANT_NODE, n));
            }
            // Subgraphs (If, Loop, Scan) may read outer values; count them as readers of the whole node.
            for (AttributeProto attribute : node.getAttributeList()) {
                List<GraphProto> subgraphs = new ArrayList<>(attribute.getGraphsList());
                if (attribute.hasG()) {
                    subgraphs.add(attribute.getG());
                }
                for (GraphProto subgraph : subgraphs) {
                    for (String name : namesReadBy(subgraph)) {
                        consumers.computeIfAbsent(name, k -> new ArrayList<>()).add(new NodeInput(n, node, -1));
                    }
                }
            }
        }
        for (ValueInfoProto input : graph.getInputList()) {
            graphInputs.add(input.getName());
        }
        for (ValueInfoProto output : graph.getOutputList()) {
            graphOutputs.add(output.getName());
        }
    }

    /** Indexes the main graph of {@code model}. */
    public static ModelGraph of(ModelProto model) {
        return new ModelGraph(model);
    }

    /** The model indexed. */
    public ModelProto model() {
        return model;
    }

    /** The main graph's nodes in order. */
    public List<NodeProto> nodes() {
        return model.getGraph().getNodeList();
    }

    /** The constant (initializer or Constant node output) of that name, if the value is constant. */
    public Optional<ConstantTensor> constant(String name) {
        return Optional.ofNullable(constants.get(name));
    }

    /** Every place a node reads the value; inputIndex is -1 for reads from inside a subgraph. */
    public List<NodeInput> consumers(String name) {
        return Collections.unmodifiableList(consumers.getOrDefault(name, List.of()));
    }

    /** The index of the node producing the value, if a node does. */
    public Optional<Integer> producer(String name) {
        return Optional.ofNullable(producers.get(name));
    }

    /** Names of the graph's declared inputs (which may include initializers in old models). */
    public Set<String> graphInputs() {
        return Collections.unmodifiableSet(graphInputs);
    }

    /**
     * Whether callers may feed their own value for this constant. Before IR version 4 every initializer had to be
     * listed as a graph input, so there the listing says nothing; from version 4 on it is a deliberate choice.
     */
    public boolean replaceableAtRunTime(String name) {
        return graphInputs.contains(name) && model.getIrVersion() >= 4;
    }

    /**
     * Elements of every floating-point and int8 constant of the main graph (initializers and Constant nodes):
     * what the report calls the model's parameters.
     */
    public long parameterCount() {
        long count = 0;
        for (ConstantTensor constant : constants.values()) {
            int type = constant.tensor().getDataType();
            // Int8 weights are parameters too: a quantized model has as many as its float twin.
            if (type == TensorProto.DataType.FLOAT_VALUE || type == TensorProto.DataType.FLOAT16_VALUE
                    || type == TensorProto.DataType.BFLOAT16_VALUE || type == TensorProto.DataType.DOUBLE_VALUE
                    || type == TensorProto.DataType.INT8_VALUE) {
                long size = 1;
                for (long dim : constant.tensor().getDimsList()) {
                    size *= dim;
                }
                count += size;
            }
        }
        return count;
    }

    /** Names of the graph's outputs. */
    public Set<String> graphOutputs() {
        return Collections.unmodifiableSet(graphOutputs);
    }

    /**
     * A copy of the model in which the named constants hold the given tensors; everything else, unknown fields
     * included, is unchanged. Names not found are an error.
     */
    public ModelProto withConstants(Map<String, TensorProto> replacements) {
        if (replacements.isEmpty()) {
            return model;
        }
        ModelProto.Builder builder = model.toBuilder();
        GraphProto.Builder graph = builder.getGraphBuilder();
        for (Map.Entry<String, TensorProto> entry : replacements.entrySet()) {
            ConstantTensor constant = constants.get(entry.getKey());
            if (constant == null) {
                throw new IllegalArgumentException("no constant named '" + entry.getKey() + "'");
            }
            if (constant.source() == ConstantTensor.Source.INITIALIZER) {
                graph.setInitializer(constant.index(), entry.getValue());
            } else {
                NodeProto.Builder node = graph.getNodeBuilder(constant.index());
                for (AttributeProto.Builder attribute : node.getAttributeBuilderList()) {
                    if (attribute.getName().equals("value")) {
                        attribute.setT(entry.getValue());
                    }
                }
            }
        }
        return builder.build();
    }

    static boolean isConstantNode(NodeProto node) {
        return node.getOpType().equals("Constant") && isDefaultDomain(node.getDomain())
                && node.getOutputCount() == 1 && tensorAttribute(node) != null;
    }

    /** Whether the op domain is the default ONNX one. */
    public static boolean isDefaultDomain(String domain) {
        return domain.isEmpty() || domain.equals("ai.onnx");
    }

    private static TensorProto tensorAttribute(NodeProto node) {
        for (AttributeProto attribute : node.getAttributeList()) {
            if (attribute.getName().equals("value") && attribute.hasT()) {
                return attribute.getT();
            }
        }
        return null;
    }

    private static Set<String> namesReadBy(GraphProto graph) {
        Set<String> names = new LinkedHashSet<>();
        for (NodeProto node : graph.getNodeList()) {
            names.addAll(node.getInputList());
            for (AttributeProto attribute : node.getAttributeList()) {
                if (attribute.hasG()) {
                    names.addAll(namesReadBy(attribute.getG()));
                }
                for (GraphProto nested : attribute.getGraphsList()) {
                    names.addAll(namesReadBy(nested));
                }
            }
        }
        return names;
    }
}
