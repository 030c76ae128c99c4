package io.github.onnxprune.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.FunctionProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.SparseTensorProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TrainingInfoProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a parsed model before anything reads its weights or hands it to ONNX Runtime: every tensor anywhere
 * (main graph, If/Loop/Scan bodies at any depth, Constant attributes, sparse initializers, functions, training
 * graphs) keeps its data inside the file and has data matching its dims, and every graph is well formed: each
 * value is produced once, each node reads only values produced before it (so there is no cycle), and the
 * operators this plugin analyses have the inputs and outputs their definition requires.
 */
final class ModelValidator {

    /** Input and output counts of the default-domain operators the pruning code reads (from the ONNX schemas). */
    private static final Map<String, Arity> ARITIES = Map.ofEntries(
            Map.entry("Gemm", new Arity(2, 3, 1, 1)),
            Map.entry("MatMul", new Arity(2, 2, 1, 1)),
            Map.entry("Conv", new Arity(2, 3, 1, 1)),
            Map.entry("ConvTranspose", new Arity(2, 3, 1, 1)),
            Map.entry("BatchNormalization", new Arity(5, 5, 1, 3)),
            Map.entry("Add", new Arity(2, 2, 1, 1)),
            Map.entry("Sub", new Arity(2, 2, 1, 1)),
            Map.entry("Mul", new Arity(2, 2, 1, 1)),
            Map.entry("Div", new Arity(2, 2, 1, 1)),
            Map.entry("PRelu", new Arity(2, 2, 1, 1)),
            Map.entry("Reshape", new Arity(2, 2, 1, 1)),
            Map.entry("Flatten", new Arity(1, 1, 1, 1)),
            Map.entry("Concat", new Arity(1, Integer.MAX_VALUE, 1, 1)),
            Map.entry("Relu", new Arity(1, 1, 1, 1)),
            Map.entry("Sigmoid", new Arity(1, 1, 1, 1)),
            Map.entry("Tanh", new Arity(1, 1, 1, 1)),
            Map.entry("LeakyRelu", new Arity(1, 1, 1, 1)),
            Map.entry("Elu", new Arity(1, 1, 1, 1)),
            Map.entry("Gelu", new Arity(1, 1, 1, 1)),
            Map.entry("Erf", new Arity(1, 1, 1, 1)),
            Map.entry("Clip", new Arity(1, 3, 1, 1)),
            Map.entry("Dropout", new Arity(1, 3, 1, 2)),
            Map.entry("MaxPool", new Arity(1, 1, 1, 2)),
            Map.entry("AveragePool", new Arity(1, 1, 1, 1)),
            Map.entry("GlobalAveragePool", new Arity(1, 1, 1, 1)),
            Map.entry("GlobalMaxPool", new Arity(1, 1, 1, 1)),
            Map.entry("Constant", new Arity(0, 0, 1, 1)));

    /** Operators whose constant operands are weights (pruned, re-fitted): no value may be NaN or infinite. */
    private static final Set<String> WEIGHT_OPS = Set.of("Gemm", "MatMul", "Conv", "ConvTranspose",
            "BatchNormalization");

    /**
     * Element-wise operators whose constants the analysis folds into biases and scales. Infinity can be meant
     * there (an additive mask of -inf), NaN never.
     */
    private static final Set<String> ELEMENTWISE_OPS = Set.of("Add", "Sub", "Mul", "Div", "PRelu");

    /** Operators with a sliding window, whose window attributes ONNX Runtime divides by while loading. */
    private static final Set<String> WINDOW_OPS = Set.of("Conv", "ConvTranspose", "MaxPool", "AveragePool",
            "LpPool");

    private final Path file;

    private ModelValidator(Path file) {
        this.file = file;
    }

    /** Throws {@link InvalidModelException} naming the file, the place and the fix for the first problem found. */
    static void validate(Path file, ModelProto model) {
        ModelValidator validator = new ModelValidator(file);
        validator.graph(model.getGraph(), Set.of(), "the main graph");
        validator.finiteWeights(model.getGraph());
        for (FunctionProto function : model.getFunctionsList()) {
            String where = "function '" + function.getName() + "'";
            for (NodeProto node : function.getNodeList()) {
                validator.attributes(node, where, null);
            }
            for (AttributeProto attribute : function.getAttributeProtoList()) {
                validator.attribute(attribute, "default of attribute '" + attribute.getName() + "' of " + where,
                        null);
            }
        }
        for (TrainingInfoProto training : model.getTrainingInfoList()) {
            // Training graphs never run here, but ONNX Runtime's loader may still read their tensors.
            validator.tensorsOnly(training.getInitialization(), "the training initialization graph");
            validator.tensorsOnly(training.getAlgorithm(), "the training algorithm graph");
        }
    }

    /**
     * Checks a graph's tensors and structure; {@code outer} holds the names visible from enclosing graphs
     * (a subgraph may read them).
     */
    private void graph(GraphProto graph, Set<String> outer, String where) {
        Set<String> own = new HashSet<>();
        Set<String> inputs = new HashSet<>();
        for (ValueInfoProto input : graph.getInputList()) {
            if (!inputs.add(input.getName())) {
                throw structure(where, "declares input '" + input.getName() + "' twice");
            }
        }
        own.addAll(inputs);
        Set<String> initializers = new HashSet<>();
        for (TensorProto tensor : graph.getInitializerList()) {
            TensorCheck.check(file, tensor, "initializer '" + tensor.getName() + "' of " + where);
            if (!initializers.add(tensor.getName())) {
                throw structure(where, "has two initializers named '" + tensor.getName() + "'");
            }
        }
        for (SparseTensorProto sparse : graph.getSparseInitializerList()) {
            TensorCheck.checkSparse(file, sparse, "initializer", where);
            if (!initializers.add(sparse.getValues().getName())) {
                throw structure(where, "has two initializers named '" + sparse.getValues().getName() + "'");
            }
        }
        own.addAll(initializers);
        Set<String> visible = new HashSet<>(outer);
        visible.addAll(own);
        for (int n = 0; n < graph.getNodeCount(); n++) {
            NodeProto node = graph.getNode(n);
            String nodeName = describe(node, n) + " of " + where;
            arity(node, nodeName);
            if (WINDOW_OPS.contains(node.getOpType()) && ModelGraph.isDefaultDomain(node.getDomain())) {
                windowAttributes(node, nodeName);
            }
            for (String input : node.getInputList()) {
                if (!input.isEmpty() && !visible.contains(input)) {
                    throw structure(where, "has " + describe(node, n) + " reading '" + input + "', which no"
                            + " initializer, graph input or earlier node produces (a missing value, or nodes that"
                            + " are out of order or form a cycle)");
                }
            }
            attributes(node, nodeName, visible);
            for (String output : node.getOutputList()) {
                if (output.isEmpty()) {
                    continue;
                }
                // A subgraph may shadow an outer name; within one graph every value is assigned once.
                if (!own.add(output)) {
                    throw structure(where, "has " + describe(node, n) + " producing '" + output + "', which is"
                            + " already defined in this graph; every value must be produced once");
                }
                visible.add(output);
            }
        }
        for (ValueInfoProto output : graph.getOutputList()) {
            if (!visible.contains(output.getName())) {
                throw structure(where, "declares output '" + output.getName() + "', which nothing produces");
            }
        }
    }

    /**
     * Rejects NaN (and, in weights, infinity) in the constants the pruning reads: with them every activation
     * downstream is NaN, so nothing can be measured or re-fitted.
     */
    private void finiteWeights(GraphProto graph) {
        Map<String, TensorProto> constants = new HashMap<>();
        graph.getInitializerList().forEach(tensor -> constants.put(tensor.getName(), tensor));
        for (int n = 0; n < graph.getNodeCount(); n++) {
            NodeProto node = graph.getNode(n);
            if (ModelGraph.isConstantNode(node)) {
                node.getAttributeList().stream().filter(a -> a.getName().equals("value") && a.hasT()).findFirst()
                        .ifPresent(a -> constants.put(node.getOutput(0), a.getT()));
            }
            boolean weights = WEIGHT_OPS.contains(node.getOpType());
            if (!ModelGraph.isDefaultDomain(node.getDomain())
                    || !(weights || ELEMENTWISE_OPS.contains(node.getOpType()))) {
                continue;
            }
            for (String input : node.getInputList()) {
                TensorProto tensor = constants.get(input);
                if (tensor == null || !FloatTensor.isSupported(tensor)) {
                    continue;
                }
                int bad = FloatTensor.of(tensor).firstNonFinite(weights);
                if (bad >= 0) {
                    throw new InvalidModelException(file, "constant '" + input + "' read by " + describe(node, n)
                            + " holds " + FloatTensor.of(tensor).values()[bad] + " at flattened index " + bad
                            + ", so every value computed from it is meaningless and nothing can be measured."
                            + " The model is broken (a diverged training run or a corrupt file); export it again.");
                }
            }
        }
    }

    /** Checks the tensors of a graph that is never run here, wherever they sit. */
    private void tensorsOnly(GraphProto graph, String where) {
        for (TensorProto tensor : graph.getInitializerList()) {
            TensorCheck.check(file, tensor, "initializer '" + tensor.getName() + "' of " + where);
        }
        for (SparseTensorProto sparse : graph.getSparseInitializerList()) {
            TensorCheck.checkSparse(file, sparse, "initializer", where);
        }
        for (int n = 0; n < graph.getNodeCount(); n++) {
            attributes(graph.getNode(n), describe(graph.getNode(n), n) + " of " + where, null);
        }
    }

    /** Checks tensors and subgraphs held in a node's attributes; {@code visible} null checks tensors only. */
    private void attributes(NodeProto node, String nodeName, Set<String> visible) {
        for (AttributeProto attribute : node.getAttributeList()) {
            attribute(attribute, "attribute '" + attribute.getName() + "' of " + nodeName, visible);
        }
    }

    private void attribute(AttributeProto attribute, String where, Set<String> visible) {
        if (attribute.hasT()) {
            TensorCheck.check(file, attribute.getT(), "the tensor in " + where);
        }
        for (TensorProto tensor : attribute.getTensorsList()) {
            TensorCheck.check(file, tensor, "a tensor in " + where);
        }
        if (attribute.hasSparseTensor()) {
            TensorCheck.checkSparse(file, attribute.getSparseTensor(), "tensor", where);
        }
        for (SparseTensorProto sparse : attribute.getSparseTensorsList()) {
            TensorCheck.checkSparse(file, sparse, "tensor", where);
        }
        if (attribute.hasG()) {
            subgraph(attribute.getG(), visible, "the graph in " + where);
        }
        for (GraphProto graph : attribute.getGraphsList()) {
            subgraph(graph, visible, "a graph in " + where);
        }
    }

    private void subgraph(GraphProto graph, Set<String> visible, String where) {
        if (visible == null) {
            tensorsOnly(graph, where);
        } else {
            graph(graph, visible, where);
        }
    }

    private void arity(NodeProto node, String nodeName) {
        if (node.getOpType().isEmpty()) {
            throw new InvalidModelException(file, nodeName + " has no op_type. The file is corrupt; export the"
                    + " model again.");
        }
        if (node.getOutputCount() == 0) {
            throw new InvalidModelException(file, nodeName + " has no outputs, which no ONNX operator allows."
                    + " The file is corrupt or was edited by hand; export the model again.");
        }
        Arity arity = ModelGraph.isDefaultDomain(node.getDomain()) ? ARITIES.get(node.getOpType()) : null;
        if (arity == null) {
            return;
        }
        int inputs = node.getInputCount();
        int outputs = node.getOutputCount();
        boolean requiredPresent = true;
        for (int i = 0; i < Math.min(arity.minInputs, inputs); i++) {
            requiredPresent &= !node.getInput(i).isEmpty();
        }
        if (inputs < arity.minInputs || inputs > arity.maxInputs || outputs > arity.maxOutputs
                || node.getOutput(0).isEmpty() || !requiredPresent) {
            throw new InvalidModelException(file, nodeName + " has " + inputs + " inputs " + node.getInputList()
                    + " and " + outputs + " outputs " + node.getOutputList() + ", but " + node.getOpType()
                    + " takes " + arity.describeInputs() + " and " + arity.describeOutputs() + ". The file is corrupt"
                    + " or was edited by hand; export the model again.");
        }
    }

    /**
     * Window sizes, strides and dilations of at least 1, pads and output padding of at least 0, a group of at
     * least 1, and one entry per spatial axis: a stride of 0 crashes ONNX Runtime (a division by zero in native
     * code, which takes the whole build down), so it must be refused here.
     */
    private void windowAttributes(NodeProto node, String nodeName) {
        int axes = -1;
        for (AttributeProto attribute : node.getAttributeList()) {
            String name = attribute.getName();
            long minimum = switch (name) {
                case "kernel_shape", "strides", "dilations", "group" -> 1;
                case "pads", "output_padding", "output_shape" -> 0;
                default -> Long.MIN_VALUE;
            };
            if (minimum == Long.MIN_VALUE) {
                continue;
            }
            List<Long> values = name.equals("group") ? List.of(attribute.getI()) : attribute.getIntsList();
            for (long value : values) {
                if (value < minimum || value > Integer.MAX_VALUE) {
                    throw window(nodeName, "attribute '" + name + "' holds " + value + ", but each entry must be "
                            + (minimum == 1 ? "at least 1" : "0 or more"));
                }
            }
            int expected = switch (name) {
                case "kernel_shape", "strides", "dilations", "output_padding", "output_shape" -> values.size();
                case "pads" -> values.size() / 2;
                default -> -1;
            };
            if (name.equals("pads") && values.size() % 2 != 0) {
                throw window(nodeName, "attribute 'pads' has " + values.size() + " entries, but needs a begin and an"
                        + " end per spatial axis");
            }
            if (expected >= 0) {
                if (axes >= 0 && expected != axes) {
                    throw window(nodeName, "attribute '" + name + "' covers " + expected + " spatial axes where"
                            + " another window attribute covers " + axes);
                }
                axes = expected;
            }
        }
    }

    private InvalidModelException window(String nodeName, String problem) {
        return new InvalidModelException(file, nodeName + ": " + problem + ". The file is corrupt or was edited"
                + " by hand; export the model again.");
    }

    private static String describe(NodeProto node, int index) {
        return "node " + (node.getName().isEmpty() ? "#" + index : "'" + node.getName() + "'") + " ("
                + node.getOpType() + ")";
    }

    private InvalidModelException structure(String where, String problem) {
        return new InvalidModelException(file, where + " " + problem + ". The file is corrupt or was"
                + " edited by hand; export the model again (onnx.checker.check_model finds such problems).");
    }

    /** How many inputs and outputs an operator takes; the first output is required. */
    private record Arity(int minInputs, int maxInputs, int minOutputs, int maxOutputs) {

        String describeInputs() {
            if (minInputs == maxInputs) {
                return minInputs + " input" + (minInputs == 1 ? "" : "s");
            }
            return maxInputs == Integer.MAX_VALUE ? "at least " + minInputs + " input"
                    : minInputs + " to " + maxInputs + " inputs";
        }

        String describeOutputs() {
            return minOutputs == maxOutputs ? minOutputs + " output" : minOutputs + " to " + maxOutputs + " outputs";
        }
    }
}
