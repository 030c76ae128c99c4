package io.github.onnxprune.prune.nodes;

import static io.github.onnxprune.prune.nodes.Nodes.describe;
import static io.github.onnxprune.prune.nodes.Nodes.input;
import static io.github.onnxprune.prune.nodes.Nodes.intAttribute;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import io.github.onnxprune.onnx.ConstantTensor;
import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.onnx.NodeInput;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.IntPredicate;

/**
 * Follows every prunable unit dimension forward through the graph and records what must change with it.
 *
 * <p>Nodes are visited in graph order (ONNX requires topological order). Each Gemm, MatMul with a constant
 * matrix and ungrouped Conv starts a {@link Space} of output units. The ops listed in {@link #visit} carry
 * the dimension on (same units), join spaces (element-wise ops of two tracked values: residual Add, the GELU's
 * {@code x * (erf(x) + 1)}), concatenate them (Concat on the unit axis) or end it in the next layer's input
 * weights. Every other reader, a graph output, a subgraph reading the value, or a constant that cannot be
 * sliced for this reader alone blocks the spaces involved: nothing is guessed.
 *
 * <p>This class holds what the visits record and the bookkeeping they share; the visits themselves are in
 * {@link WeightedLayers} (layers with weights), {@link PassThroughOps} (ops that carry units on) and
 * {@link AttentionHeads} (values split into heads).
 */
final class CouplingAnalysis {

    private static final Set<String> UNARY = Set.of("Relu", "LeakyRelu", "Sigmoid", "Tanh", "Clip", "Gelu",
            "Erf", "Elu", "Selu", "Celu", "Softplus", "Softsign", "HardSigmoid", "HardSwish", "Mish", "Identity",
            "Dropout", "Neg", "Abs", "Exp", "Sqrt", "Reciprocal", "ThresholdedRelu");
    private static final Set<String> BINARY = Set.of("Add", "Sub", "Mul", "Div", "Pow", "PRelu", "Max", "Min");
    private static final Set<String> POOLS = Set.of("MaxPool", "AveragePool", "LpPool", "GlobalAveragePool",
            "GlobalMaxPool", "GlobalLpPool");

    final ModelGraph graph;
    final NodePruningSettings settings;
    final boolean l2;
    final Map<String, long[]> shapes = new HashMap<>();
    /** Values whose prunable axis is tracked, in the order found. */
    final Map<String, Layout> layouts = new LinkedHashMap<>();
    /** Spaces in creation order; the index is the id. */
    final List<Space> spaces = new ArrayList<>();
    /** Constant name to (axis to the layout whose kept units select along it); sorted for stable output. */
    final Map<String, Map<Integer, Layout>> constantEdits = new TreeMap<>();
    /** Shape constants (Reshape targets or their run-time pieces) with entries that follow a layout's units. */
    final Map<String, List<ShapeEdit>> shapeEdits = new TreeMap<>();
    /** Depthwise Conv nodes whose group attribute follows a layout. */
    final Map<Integer, Layout> groupEdits = new TreeMap<>();
    final List<LayerInfo> layers = new ArrayList<>();
    final Ranks ranks;
    final AttentionHeads attention;
    private final WeightedLayers weightedLayers;
    private final PassThroughOps passThrough;
    /** Every Gemm and MatMul reading tracked units through its weight, in graph order. */
    final List<Reader> readers = new ArrayList<>();

    /**
     * A layer reading units: {@code input} is the value it multiplies, {@code weight} its 2-D weight constant, read
     * along {@code axis}, {@code rowNorms} the squared norm of the weight row (output-wise) that reads each input
     * feature.
     */
    record Reader(Layout layout, String input, String weight, int axis, double[] rowNorms) {
    }

    /**
     * Entry {@code index} of a shape constant becomes the number of features the layout keeps divided by
     * {@code divisor} (1 for a feature count, the head size for a head count).
     */
    record ShapeEdit(int index, Layout layout, int divisor) {
    }

    private CouplingAnalysis(ModelGraph graph, NodePruningSettings settings) {
        this.graph = graph;
        this.settings = settings;
        this.l2 = settings.importance() != UnitImportance.L1;
        for (ValueInfoProto info : graph.model().getGraph().getValueInfoList()) {
            addShape(info);
        }
        for (ValueInfoProto info : graph.model().getGraph().getInputList()) {
            addShape(info);
        }
        for (ValueInfoProto info : graph.model().getGraph().getOutputList()) {
            addShape(info);
        }
        this.ranks = Ranks.infer(graph, shapes);
        this.attention = new AttentionHeads(this, ranks);
        this.weightedLayers = new WeightedLayers(this);
        this.passThrough = new PassThroughOps(this);
    }

    static CouplingAnalysis run(ModelGraph graph, NodePruningSettings settings) {
        CouplingAnalysis analysis = new CouplingAnalysis(graph, settings);
        List<NodeProto> nodes = graph.nodes();
        for (int n = 0; n < nodes.size(); n++) {
            analysis.visit(n, nodes.get(n));
        }
        return analysis;
    }

    private void addShape(ValueInfoProto info) {
        if (!info.getType().hasTensorType() || !info.getType().getTensorType().hasShape()) {
            return;
        }
        TensorShapeProto shape = info.getType().getTensorType().getShape();
        long[] dims = new long[shape.getDimCount()];
        for (int i = 0; i < dims.length; i++) {
            TensorShapeProto.Dimension dim = shape.getDim(i);
            dims[i] = dim.hasDimValue() && dim.getDimValue() > 0 ? dim.getDimValue() : -1;
        }
        shapes.put(info.getName(), dims);
    }

    /** The annotated shape of a value (dims -1 where unknown), before pruning. */
    Optional<long[]> shape(String value) {
        return Optional.ofNullable(shapes.get(value));
    }

    private void visit(int n, NodeProto node) {
        String op = node.getOpType();
        if (attention.readsHeads(node)) {
            attention.visit(node);
            return;
        }
        if (!ModelGraph.isDefaultDomain(node.getDomain())) {
            blockInputs(node, "read by " + describe(node) + " of domain '" + node.getDomain()
                    + "', which node pruning cannot follow");
            return;
        }
        if (op.equals("Gemm")) {
            weightedLayers.gemm(n, node);
        } else if (op.equals("MatMul")) {
            weightedLayers.matMul(n, node);
        } else if (op.equals("Conv")) {
            weightedLayers.conv(n, node);
        } else if (op.equals("BatchNormalization")) {
            passThrough.batchNorm(node);
        } else if (UNARY.contains(op)) {
            passThrough.unary(node);
        } else if (BINARY.contains(op)) {
            passThrough.binary(node);
        } else if (op.equals("Concat")) {
            passThrough.concat(node);
        } else if (POOLS.contains(op)) {
            passThrough.pool(node);
        } else if (op.equals("Flatten")) {
            passThrough.flatten(node);
        } else if (op.equals("Reshape")) {
            passThrough.reshape(node);
        } else if (op.equals("Shape")) {
            passThrough.shape(node);
        } else {
            blockInputs(node, "read by " + describe(node) + ", an op node pruning cannot follow");
        }
    }

    /**
     * Shape reads only the sizes of axes other than the units' (Gather of a constant index), as exports do to
     * compute batch and sequence length; anything else could depend on the unit count. Null when safe.
     */
    String shapeReadProblem(NodeProto node, int rank, IntPredicate unitAxis) {
        String problem = "its shape is read by " + describe(node) + " and used in a way node pruning cannot follow";
        if (rank < 0 || node.getAttributeCount() > 0) {
            return problem;
        }
        for (NodeInput reader : graph.consumers(node.getOutput(0))) {
            NodeProto gather = reader.node();
            if (!gather.getOpType().equals("Gather") || reader.inputIndex() != 0 || intAttribute(gather, "axis", 0) != 0
                    || gather.getInputCount() != 2) {
                return problem;
            }
            long[] index = graph.constant(gather.getInput(1)).filter(c -> TensorOps.elements(c.tensor()) == 1)
                    .map(c -> TensorOps.int64Values(c.tensor().toBuilder().clearDims().addDims(1).build()))
                    .orElse(null);
            if (index == null) {
                return problem;
            }
            long axis = index[0] < 0 ? index[0] + rank : index[0];
            if (unitAxis.test((int) axis)) {
                return "the size of its unit axis is read by " + describe(node) + " and " + describe(gather);
            }
        }
        return null;
    }

    /**
     * Records that entry {@code entry} of a shape constant follows {@code layout}; returns why it cannot (the
     * constant is read elsewhere too or may be replaced at run time), or null.
     */
    String editShape(ShapeVector.Entry entry, Layout layout, int divisor) {
        String name = entry.constant();
        if (graph.consumers(name).size() != 1 || graph.graphInputs().contains(name)) {
            return "its shape constant '" + name + "' is read by other nodes too or may be replaced at run time";
        }
        NodeProto reader = graph.consumers(name).get(0).node();
        if (reader.getOpType().equals("Concat") && graph.consumers(reader.getOutput(0)).size() != 1) {
            return "its shape, computed by " + describe(reader) + ", is read by other nodes too";
        }
        shapeEdits.computeIfAbsent(name, k -> new ArrayList<>()).add(new ShapeEdit(entry.index(), layout, divisor));
        return null;
    }

    /** Records the layout of a value computed by a helper (the merged heads). */
    void track(String value, Layout layout) {
        setLayout(value, layout);
    }

    // ---- bookkeeping ----

    void setLayout(String value, Layout layout) {
        if (graph.graphOutputs().contains(value)) {
            layout.block("its units reach the graph output '" + value + "', whose shape must stay");
        }
        for (NodeInput reader : graph.consumers(value)) {
            if (reader.inputIndex() < 0) {
                layout.block("its units are read inside a subgraph of " + describe(reader.node()));
            }
        }
        layouts.put(value, layout);
    }

    /**
     * Records that a constant is sliced along an axis by the kept units of a layout. Slicing is only safe when
     * this node is the constant's only reader and nothing can replace it at run time.
     */
    boolean edit(String name, int axis, Layout layout) {
        Optional<ConstantTensor> constant = graph.constant(name);
        String problem = null;
        if (constant.isEmpty()) {
            problem = "'" + name + "' is not a constant";
        } else if (!FloatTensor.isSupported(constant.get().tensor())) {
            problem = "constant '" + name + "' is not an inline floating-point tensor";
        } else if (graph.consumers(name).size() != 1) {
            problem = "constant '" + name + "' is read by " + graph.consumers(name).size()
                    + " nodes, so it cannot be sliced for one of them";
        } else if (graph.graphInputs().contains(name)) {
            problem = "constant '" + name + "' is also a graph input, which may replace it at run time";
        }
        Map<Integer, Layout> axes = constantEdits.computeIfAbsent(name, k -> new TreeMap<>());
        if (problem == null && axes.containsKey(axis) && axes.get(axis) != layout) {
            problem = "constant '" + name + "' would be sliced twice along axis " + axis;
            axes.get(axis).block(problem);
        }
        if (problem != null) {
            layout.block(problem);
            if (axes.isEmpty()) {
                constantEdits.remove(name);
            }
            return false;
        }
        axes.put(axis, layout);
        return true;
    }

    boolean onlyFirstOutputUsed(NodeProto node, Layout layout) {
        for (int i = 1; i < node.getOutputCount(); i++) {
            String output = node.getOutput(i);
            if (!output.isEmpty() && (!graph.consumers(output).isEmpty() || graph.graphOutputs().contains(output))) {
                layout.block("read by " + describe(node) + " whose extra output '" + output + "' is used");
                return false;
            }
        }
        return true;
    }

    void blockInputs(NodeProto node, String reason) {
        for (String input : node.getInputList()) {
            Layout layout = layouts.get(input);
            if (layout != null) {
                layout.block(reason);
            }
        }
    }

    void blockTracked(NodeProto node, int index, String reason) {
        Layout layout = layouts.get(input(node, index));
        if (layout != null) {
            layout.block(reason);
        }
    }

    FloatTensor floatConstant(String name) {
        if (name.isEmpty()) {
            return null;
        }
        return graph.constant(name).map(ConstantTensor::tensor).filter(FloatTensor::isSupported)
                .map(tensor -> {
                    try {
                        return FloatTensor.of(tensor);
                    } catch (IllegalArgumentException e) {
                        return null;
                    }
                }).orElse(null);
    }
}
