package io.github.onnxprune.prune.nodes;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import io.github.onnxprune.onnx.ConstantTensor;
import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.onnx.NodeInput;
import io.github.onnxprune.prune.NamePattern;
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
 */
final class CouplingAnalysis {

    private static final Set<String> UNARY = Set.of("Relu", "LeakyRelu", "Sigmoid", "Tanh", "Clip", "Gelu",
            "Erf", "Elu", "Selu", "Celu", "Softplus", "Softsign", "HardSigmoid", "HardSwish", "Mish", "Identity",
            "Dropout", "Neg", "Abs", "Exp", "Sqrt", "Reciprocal", "ThresholdedRelu");
    private static final Set<String> BINARY = Set.of("Add", "Sub", "Mul", "Div", "Pow", "PRelu", "Max", "Min");
    private static final Set<String> POOLS = Set.of("MaxPool", "AveragePool", "LpPool", "GlobalAveragePool",
            "GlobalMaxPool", "GlobalLpPool");

    final ModelGraph graph;
    private final NodePruningSettings settings;
    private final boolean l2;
    private final Map<String, long[]> shapes = new HashMap<>();
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
    private final Ranks ranks;
    private final AttentionHeads attention;
    /** Every Gemm and MatMul reading tracked units through its weight, in graph order. */
    final List<Reader> readers = new ArrayList<>();

    /**
     * A layer reading units: {@code input} is the value it multiplies, {@code rowNorms} the squared norm of the
     * weight row (output-wise) that reads each input feature.
     */
    record Reader(Layout layout, String input, double[] rowNorms) {
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
            gemm(n, node);
        } else if (op.equals("MatMul")) {
            matMul(n, node);
        } else if (op.equals("Conv")) {
            conv(n, node);
        } else if (op.equals("BatchNormalization")) {
            batchNorm(node);
        } else if (UNARY.contains(op)) {
            unary(node);
        } else if (BINARY.contains(op)) {
            binary(node);
        } else if (op.equals("Concat")) {
            concat(node);
        } else if (POOLS.contains(op)) {
            pool(node);
        } else if (op.equals("Flatten")) {
            flatten(node);
        } else if (op.equals("Reshape")) {
            reshape(node);
        } else if (op.equals("Shape")) {
            shape(node);
        } else {
            blockInputs(node, "read by " + describe(node) + ", an op node pruning cannot follow");
        }
    }

    // ---- producers and consumers with weights ----

    private void gemm(int n, NodeProto node) {
        String b = input(node, 1);
        String c = input(node, 2);
        Layout la = layouts.get(input(node, 0));
        blockTracked(node, 1, "used as the weight of " + describe(node));
        blockTracked(node, 2, "used as the bias of " + describe(node));
        FloatTensor w = floatConstant(b);
        if (w == null || w.dims().length != 2) {
            skipLayer(n, node, b, "weight '" + b + "' is not a constant floating-point matrix");
            if (la != null) {
                la.block("read by " + describe(node) + " whose weight is not a constant");
            }
            return;
        }
        boolean transB = intAttribute(node, "transB", 0) != 0;
        int kAxis = transB ? 1 : 0;
        int nAxis = transB ? 0 : 1;
        LayerInfo layer = layer(n, node, b, nAxis, 1);
        if (la != null) {
            if (intAttribute(node, "transA", 0) != 0) {
                la.block("read transposed (transA=1) by " + describe(node));
            } else {
                consume(la, node, b, w, kAxis);
            }
        }
        Space space = produce(layer, (int) w.dims()[nAxis]);
        Layout own = Layout.of(space, 2, -1);
        edit(b, nAxis, own);
        addNorms(space, w, nAxis);
        if (!c.isEmpty()) {
            layer.bias = c;
            biasEdit(own, node, c);
        }
        setLayout(node.getOutput(0), own);
    }

    private void matMul(int n, NodeProto node) {
        String a = input(node, 0);
        String b = input(node, 1);
        Layout la = layouts.get(a);
        FloatTensor w = floatConstant(b);
        if (w == null || w.dims().length != 2) {
            blockTracked(node, 1, "used as the right operand of " + describe(node) + ", a product of two values");
            skipLayer(n, node, b, "weight '" + b + "' is not a constant floating-point matrix");
            if (la != null) {
                la.block("read by " + describe(node) + " whose other operand is not a constant matrix");
            }
            return;
        }
        long[] inputShape = shapes.get(a);
        long positions = -1;
        if (inputShape != null && inputShape.length >= 2) {
            positions = 1;
            for (int i = 1; i < inputShape.length - 1; i++) {
                positions = inputShape[i] < 0 || positions < 0 ? -1 : positions * inputShape[i];
            }
        } else if (la != null && la.rank == 2) {
            positions = 1;
        }
        LayerInfo layer = layer(n, node, b, 1, positions);
        if (la != null) {
            if (la.axis != -1) {
                la.block("read by " + describe(node) + " along an axis other than its units");
            } else {
                consume(la, node, b, w, 0);
            }
        }
        String output = node.getOutput(0);
        int rank = shapes.containsKey(output) ? shapes.get(output).length
                : inputShape != null ? inputShape.length : la != null && la.rank >= 0 ? la.rank : ranks.rank(output);
        Space space = produce(layer, (int) w.dims()[1]);
        Layout own = Layout.of(space, rank, -1);
        edit(b, 1, own);
        addNorms(space, w, 1);
        layer.bias = matMulBias(output, (int) w.dims()[1]);
        setLayout(output, own);
    }

    private void conv(int n, NodeProto node) {
        String x = input(node, 0);
        String wName = input(node, 1);
        String bias = input(node, 2);
        Layout lx = layouts.get(x);
        blockTracked(node, 1, "used as the weight of " + describe(node));
        blockTracked(node, 2, "used as the bias of " + describe(node));
        FloatTensor w = floatConstant(wName);
        if (w == null || w.dims().length < 3) {
            skipLayer(n, node, wName, "weight '" + wName + "' is not a constant floating-point tensor");
            if (lx != null) {
                lx.block("read by " + describe(node) + " whose weight is not a constant");
            }
            return;
        }
        long[] dims = w.dims();
        int rank = dims.length;
        long group = intAttribute(node, "group", 1);
        long[] outShape = shapes.get(node.getOutput(0));
        long positions = -1;
        if (outShape != null && outShape.length == rank) {
            positions = 1;
            for (int i = 2; i < rank; i++) {
                positions = outShape[i] < 0 || positions < 0 ? -1 : positions * outShape[i];
            }
        }
        LayerInfo layer = layer(n, node, wName, 0, positions);
        if (!bias.isEmpty()) {
            layer.bias = bias;
        }
        if (group == 1) {
            if (lx != null) {
                if (lx.rank != rank || !lx.isAxisOne() || lx.repeat != 1) {
                    lx.block("read by " + describe(node) + " along an axis other than its channels");
                } else {
                    consume(lx, node, wName, w, 1);
                }
            }
            Space space = produce(layer, (int) dims[0]);
            Layout own = Layout.of(space, rank, -(rank - 1));
            edit(wName, 0, own);
            addNorms(space, w, 0);
            if (!bias.isEmpty()) {
                biasEdit(own, node, bias);
            }
            setLayout(node.getOutput(0), own);
            return;
        }
        if (dims[1] == 1 && dims[0] == group) {
            // Depthwise: output channel c reads input channel c only, so the channels are the input's own.
            if (lx == null) {
                layer.skipReason = "depthwise convolution: its channels are its input's, and '" + x
                        + "' has no prunable channels";
                return;
            }
            if (lx.rank != rank || !lx.isAxisOne() || lx.repeat != 1 || lx.channels() != group) {
                lx.block("read by depthwise " + describe(node) + " along an axis other than its channels");
                return;
            }
            edit(wName, 0, lx);
            if (!bias.isEmpty()) {
                biasEdit(lx, node, bias);
            }
            groupEdits.put(n, lx);
            setLayout(node.getOutput(0), lx);
            return;
        }
        layer.skipReason = "grouped convolution (group=" + group + ", " + dims[1]
                + " input channels per group) is not supported";
        if (lx != null) {
            lx.block("read by " + describe(node) + ", a grouped convolution (group=" + group + ")");
        }
    }

    /** The constant of an Add that reads the MatMul's output alone: its bias, for parameter counts. */
    private String matMulBias(String output, int units) {
        List<NodeInput> readers = graph.consumers(output);
        if (readers.size() != 1 || !readers.get(0).node().getOpType().equals("Add")
                || readers.get(0).node().getInputCount() != 2) {
            return null;
        }
        NodeProto add = readers.get(0).node();
        String other = add.getInput(1 - readers.get(0).inputIndex());
        return graph.constant(other).filter(c -> TensorOps.elements(c.tensor()) == units)
                .map(ConstantTensor::name).orElse(null);
    }

    private LayerInfo layer(int n, NodeProto node, String weight, int unitAxis, long positions) {
        String name = node.getName().isEmpty() ? weight : node.getName();
        LayerInfo layer = new LayerInfo(n, name, node.getOpType(), weight, unitAxis, positions);
        layers.add(layer);
        return layer;
    }

    private void skipLayer(int n, NodeProto node, String weight, String reason) {
        LayerInfo layer = new LayerInfo(n, node.getName().isEmpty() ? weight : node.getName(), node.getOpType(),
                weight, -1, -1);
        layer.skipReason = reason;
        layers.add(layer);
    }

    private Space produce(LayerInfo layer, int units) {
        Space space = new Space(spaces.size(), units, layer);
        spaces.add(space);
        layer.space = space;
        for (NamePattern pattern : settings.excludes()) {
            if (pattern.matches(layer.name) || pattern.matches(layer.weight)) {
                space.block("excluded by the pattern '" + pattern.glob() + "'");
            }
        }
        return space;
    }

    /** The next layer reads the units through its weight along {@code axis}. */
    private void consume(Layout layout, NodeProto node, String weight, FloatTensor w, int axis) {
        long features = w.dims()[axis];
        if (!layout.fits(features)) {
            layout.block("read by " + describe(node) + " whose " + features + " input features do not match its "
                    + layout.channels() + " units");
            return;
        }
        if (!edit(weight, axis, layout)) {
            return;
        }
        if (!node.getOpType().equals("Conv")) {
            readers.add(new Reader(layout, input(node, 0), TensorOps.axisNorms(w, axis, true)));
        }
        double[] norms = TensorOps.axisNorms(w, axis, l2);
        int repeat = layout.repeat;
        for (Layout.Segment segment : layout.segments) {
            Space space = segment.space();
            space.readers++;
            for (int u = 0; u < space.size; u++) {
                for (int j = 0; j < repeat; j++) {
                    space.out[u] += norms[(segment.offset() + u) * repeat + j];
                }
            }
        }
    }

    private void addNorms(Space space, FloatTensor w, int axis) {
        double[] norms = TensorOps.axisNorms(w, axis, l2);
        for (int u = 0; u < space.size; u++) {
            space.in[u] += norms[u];
        }
    }

    /**
     * Gemm C or Conv B: sliced along its last axis when that holds one value per unit, kept when it broadcasts
     * one value to every unit.
     */
    private void biasEdit(Layout own, NodeProto node, String bias) {
        Optional<ConstantTensor> constant = graph.constant(bias);
        if (constant.isEmpty()) {
            own.block("its bias '" + bias + "' in " + describe(node) + " is not a constant");
            return;
        }
        List<Long> dims = constant.get().tensor().getDimsList();
        if (dims.isEmpty() || dims.get(dims.size() - 1) == 1 && own.channels() != 1) {
            return;
        }
        if (dims.get(dims.size() - 1) != own.channels()) {
            own.block("its bias '" + bias + "' in " + describe(node) + " has shape " + dims
                    + ", not one value per unit");
            return;
        }
        edit(bias, dims.size() - 1, own);
    }

    // ---- ops the units pass through ----

    private void batchNorm(NodeProto node) {
        Layout lx = layouts.get(input(node, 0));
        for (int i = 1; i < node.getInputCount(); i++) {
            blockTracked(node, i, "used as a parameter of " + describe(node));
        }
        if (lx == null) {
            return;
        }
        if (!lx.isAxisOne()) {
            lx.block("normalised by " + describe(node) + " along an axis that is not known to be its channels");
            return;
        }
        if (!onlyFirstOutputUsed(node, lx)) {
            return;
        }
        if (node.getInputCount() != 5) {
            lx.block("normalised by " + describe(node) + " which does not have the 5 inputs of inference mode");
            return;
        }
        FloatTensor[] params = new FloatTensor[5];
        for (int i = 1; i < 5; i++) {
            params[i] = floatConstant(node.getInput(i));
            if (params[i] == null || params[i].dims().length != 1 || !lx.fits(params[i].dims()[0])) {
                lx.block("normalised by " + describe(node) + " whose parameter '" + node.getInput(i)
                        + "' is not a constant with one value per channel");
                return;
            }
        }
        for (int i = 1; i < 5; i++) {
            if (!edit(node.getInput(i), 0, lx)) {
                return;
            }
        }
        if (lx.repeat == 1) {
            double epsilon = floatAttribute(node, "epsilon", 1e-5f);
            double[] gamma = params[1].values();
            double[] variance = params[4].values();
            for (Layout.Segment segment : lx.segments) {
                Space space = segment.space();
                for (int u = 0; u < space.size; u++) {
                    int c = segment.offset() + u;
                    space.scale[u] *= Math.abs(gamma[c]) / Math.sqrt(variance[c] + epsilon);
                }
            }
        }
        setLayout(node.getOutput(0), lx);
    }

    private void unary(NodeProto node) {
        Layout lx = layouts.get(input(node, 0));
        for (int i = 1; i < node.getInputCount(); i++) {
            blockTracked(node, i, "used as a parameter of " + describe(node));
        }
        if (lx == null) {
            return;
        }
        if (node.getOpType().equals("Clip")) {
            for (int i = 1; i < node.getInputCount(); i++) {
                String bound = node.getInput(i);
                if (!bound.isEmpty() && graph.constant(bound).map(c -> TensorOps.elements(c.tensor()) != 1)
                        .orElse(true)) {
                    lx.block("clipped by " + describe(node) + " with bound '" + bound + "' that is not a constant scalar");
                    return;
                }
            }
        }
        if (!onlyFirstOutputUsed(node, lx)) {
            return;
        }
        setLayout(node.getOutput(0), lx);
    }

    private void binary(NodeProto node) {
        if (node.getInputCount() != 2) {
            blockInputs(node, "read by " + describe(node) + " with " + node.getInputCount() + " inputs");
            return;
        }
        Layout la = layouts.get(node.getInput(0));
        Layout lb = layouts.get(node.getInput(1));
        if (la == null && lb == null) {
            return;
        }
        if (node.getOpType().equals("PRelu") && lb != null) {
            blockInputs(node, "used as the slope of " + describe(node));
            return;
        }
        if (la != null && lb != null) {
            if (la == lb) {
                setLayout(node.getOutput(0), la);
                return;
            }
            if (!sameStructure(la, lb)) {
                blockInputs(node, "combined by " + describe(node) + " with a value whose units are laid out"
                        + " differently");
                return;
            }
            for (int s = 0; s < la.segments.size(); s++) {
                Space.union(la.segments.get(s).space(), lb.segments.get(s).space());
            }
            setLayout(node.getOutput(0), la);
            return;
        }
        Layout layout = la != null ? la : lb;
        String other = la != null ? node.getInput(1) : node.getInput(0);
        Optional<ConstantTensor> constant = graph.constant(other);
        if (constant.isEmpty()) {
            layout.block("combined by " + describe(node) + " with '" + other
                    + "', which is neither a constant nor a value whose units are tracked (a graph input or"
                    + " the output of an op node pruning cannot follow)");
            return;
        }
        List<Long> dims = constant.get().tensor().getDimsList();
        if (layout.rank >= 0 && dims.size() > layout.rank) {
            layout.block("combined by " + describe(node) + " with constant '" + other + "' of higher rank");
            return;
        }
        int pos = dims.size() + layout.axis;
        if (pos >= 0 && dims.get(pos) != 1) {
            if (!layout.fits(dims.get(pos)) || !FloatTensor.isSupported(constant.get().tensor())) {
                layout.block("combined by " + describe(node) + " with constant '" + other + "' of shape " + dims
                        + " that does not match its units");
                return;
            }
            if (!edit(other, pos, layout)) {
                return;
            }
        }
        setLayout(node.getOutput(0), layout);
    }

    private static boolean sameStructure(Layout a, Layout b) {
        if (a.axis != b.axis || a.segments.size() != b.segments.size() || a.repeat == 0 || a.repeat != b.repeat
                || a.rank >= 0 && b.rank >= 0 && a.rank != b.rank) {
            return false;
        }
        for (int s = 0; s < a.segments.size(); s++) {
            Layout.Segment x = a.segments.get(s);
            Layout.Segment y = b.segments.get(s);
            if (x.offset() != y.offset() || x.space().size != y.space().size) {
                return false;
            }
        }
        return true;
    }

    private void concat(NodeProto node) {
        List<Layout> inputs = new ArrayList<>();
        boolean anyTracked = false;
        String untracked = null;
        for (String input : node.getInputList()) {
            Layout layout = layouts.get(input);
            inputs.add(layout);
            anyTracked |= layout != null;
            if (layout == null && untracked == null) {
                untracked = input;
            }
        }
        if (!anyTracked) {
            return;
        }
        if (untracked != null) {
            blockInputs(node, "concatenated by " + describe(node) + " with '" + untracked
                    + "', whose channels are not tracked");
            return;
        }
        Layout first = inputs.get(0);
        long axis = intAttribute(node, "axis", 0);
        int rank = first.rank >= 0 ? first.rank
                : shapes.containsKey(node.getOutput(0)) ? shapes.get(node.getOutput(0)).length : -1;
        long fromEnd = axis < 0 ? axis : rank >= 0 ? axis - rank : 0;
        List<Layout.Segment> segments = new ArrayList<>();
        int offset = 0;
        for (Layout layout : inputs) {
            if (fromEnd != layout.axis || layout.repeat != 1 || layout.rank != first.rank) {
                blockInputs(node, "concatenated by " + describe(node) + " along axis " + axis
                        + ", which is not known to be their unit axis");
                return;
            }
            for (Layout.Segment segment : layout.segments) {
                segments.add(new Layout.Segment(segment.space(), offset + segment.offset()));
            }
            offset += layout.channels();
        }
        setLayout(node.getOutput(0), new Layout(segments, first.rank, first.axis, 1));
    }

    private void pool(NodeProto node) {
        Layout lx = layouts.get(input(node, 0));
        if (lx == null) {
            return;
        }
        if (!lx.isAxisOne() || lx.rank < 3 || lx.repeat != 1) {
            lx.block("pooled by " + describe(node) + " over a value whose channel axis is not known");
            return;
        }
        if (!onlyFirstOutputUsed(node, lx)) {
            return;
        }
        setLayout(node.getOutput(0), lx);
    }

    private void flatten(NodeProto node) {
        Layout lx = layouts.get(input(node, 0));
        if (lx == null) {
            return;
        }
        long axis = intAttribute(node, "axis", 1);
        if (axis < 0 && lx.rank > 0) {
            axis += lx.rank;
        }
        if (axis != 1 || !lx.isAxisOne() || lx.repeat != 1) {
            lx.block("flattened by " + describe(node) + " at an axis other than right after its channels");
            return;
        }
        setLayout(node.getOutput(0), flattened(lx, input(node, 0)));
    }

    /** Channel c becomes features c*S .. c*S+S-1, S the spatial size when annotated (else settled later). */
    private Layout flattened(Layout lx, String input) {
        int repeat = 0;
        long[] shape = shapes.get(input);
        if (lx.rank == 2) {
            repeat = 1;
        } else if (shape != null && shape.length == lx.rank) {
            long spatial = 1;
            for (int i = 2; i < shape.length; i++) {
                spatial = shape[i] < 0 || spatial < 0 ? -1 : spatial * shape[i];
            }
            repeat = spatial > 0 && spatial < Integer.MAX_VALUE ? (int) spatial : 0;
        }
        return new Layout(lx.segments, 2, -1, repeat);
    }

    private void reshape(NodeProto node) {
        Layout lx = layouts.get(input(node, 0));
        blockTracked(node, 1, "used as the shape of " + describe(node));
        if (lx == null) {
            return;
        }
        String shapeName = input(node, 1);
        boolean allowZero = intAttribute(node, "allowzero", 0) != 0;
        Optional<List<ShapeVector.Entry>> entries = ShapeVector.of(graph, ranks, shapeName);
        if (entries.isPresent() && !allowZero && attention.split(node, lx, entries.get())) {
            return;
        }
        long[] target = graph.constant(shapeName).map(c -> TensorOps.int64Values(c.tensor())).orElse(null);
        if (target == null || target.length != 2 || !lx.isAxisOne() || lx.repeat != 1
                || target[1] == 0 || target[1] < -1 || target[0] < -1 || target[0] == -1 && target[1] == -1
                || allowZero && target[0] == 0) {
            lx.block("reshaped by " + describe(node) + " in a way node pruning cannot follow (only a constant"
                    + " [batch, features] shape that flattens the channels, or a split of the last axis into"
                    + " [heads, head size], is supported)");
            return;
        }
        Layout flat = flattened(lx, input(node, 0));
        if (target[1] > 0) {
            if (!flat.fits(target[1])) {
                lx.block("reshaped by " + describe(node) + " to " + target[1] + " features, not a multiple of its "
                        + lx.channels() + " channels");
                return;
            }
            String problem = editShape(entries.orElseThrow().get(1), flat, 1);
            if (problem != null) {
                lx.block(problem);
                return;
            }
        }
        setLayout(node.getOutput(0), flat);
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

    private void shape(NodeProto node) {
        Layout lx = layouts.get(input(node, 0));
        if (lx == null) {
            return;
        }
        int rank = lx.rank;
        String problem = shapeReadProblem(node, rank, axis -> axis == rank + lx.axis);
        if (problem != null) {
            lx.block(problem);
        }
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

    private void setLayout(String value, Layout layout) {
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
    private boolean edit(String name, int axis, Layout layout) {
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

    private boolean onlyFirstOutputUsed(NodeProto node, Layout layout) {
        for (int i = 1; i < node.getOutputCount(); i++) {
            String output = node.getOutput(i);
            if (!output.isEmpty() && (!graph.consumers(output).isEmpty() || graph.graphOutputs().contains(output))) {
                layout.block("read by " + describe(node) + " whose extra output '" + output + "' is used");
                return false;
            }
        }
        return true;
    }

    private void blockInputs(NodeProto node, String reason) {
        for (String input : node.getInputList()) {
            Layout layout = layouts.get(input);
            if (layout != null) {
                layout.block(reason);
            }
        }
    }

    private void blockTracked(NodeProto node, int index, String reason) {
        Layout layout = layouts.get(input(node, index));
        if (layout != null) {
            layout.block(reason);
        }
    }

    private FloatTensor floatConstant(String name) {
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

    static String input(NodeProto node, int index) {
        return index < node.getInputCount() ? node.getInput(index) : "";
    }

    static String describe(NodeProto node) {
        return node.getOpType() + (node.getName().isEmpty() ? "" : " '" + node.getName() + "'");
    }

    private static long intAttribute(NodeProto node, String name, long fallback) {
        for (AttributeProto attribute : node.getAttributeList()) {
            if (attribute.getName().equals(name)) {
                return attribute.getI();
            }
        }
        return fallback;
    }

    private static float floatAttribute(NodeProto node, String name, float fallback) {
        for (AttributeProto attribute : node.getAttributeList()) {
            if (attribute.getName().equals(name)) {
                return attribute.getF();
            }
        }
        return fallback;
    }

    static boolean isFloat(TensorProto tensor) {
        int type = tensor.getDataType();
        return type == TensorProto.DataType.FLOAT_VALUE || type == TensorProto.DataType.FLOAT16_VALUE
                || type == TensorProto.DataType.BFLOAT16_VALUE || type == TensorProto.DataType.DOUBLE_VALUE;
    }
}
