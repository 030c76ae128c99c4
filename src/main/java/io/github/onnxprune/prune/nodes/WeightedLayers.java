package io.github.onnxprune.prune.nodes;

import static io.github.onnxprune.prune.nodes.Nodes.describe;
import static io.github.onnxprune.prune.nodes.Nodes.input;
import static io.github.onnxprune.prune.nodes.Nodes.intAttribute;

import ai.onnx.proto.OnnxMl.NodeProto;
import io.github.onnxprune.onnx.ConstantTensor;
import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.onnx.NodeInput;
import io.github.onnxprune.prune.NamePattern;
import java.util.List;
import java.util.Optional;

/**
 * The layers of a {@link CouplingAnalysis} with weights (Gemm, MatMul with a constant matrix, Conv): each starts a
 * {@link Space} of output units and ends the spaces of the units it reads.
 */
final class WeightedLayers {

    private final CouplingAnalysis analysis;
    private final ModelGraph graph;

    WeightedLayers(CouplingAnalysis analysis) {
        this.analysis = analysis;
        this.graph = analysis.graph;
    }

    void gemm(int n, NodeProto node) {
        String b = input(node, 1);
        String c = input(node, 2);
        Layout la = analysis.layouts.get(input(node, 0));
        analysis.blockTracked(node, 1, "used as the weight of " + describe(node));
        analysis.blockTracked(node, 2, "used as the bias of " + describe(node));
        FloatTensor w = analysis.floatConstant(b);
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
        analysis.edit(b, nAxis, own);
        addNorms(space, w, nAxis);
        if (!c.isEmpty()) {
            layer.bias = c;
            biasEdit(own, node, c);
        }
        analysis.setLayout(node.getOutput(0), own);
    }

    void matMul(int n, NodeProto node) {
        String a = input(node, 0);
        String b = input(node, 1);
        Layout la = analysis.layouts.get(a);
        FloatTensor w = analysis.floatConstant(b);
        if (w == null || w.dims().length != 2) {
            analysis.blockTracked(node, 1, "used as the right operand of " + describe(node)
                    + ", a product of two values");
            skipLayer(n, node, b, "weight '" + b + "' is not a constant floating-point matrix");
            if (la != null) {
                la.block("read by " + describe(node) + " whose other operand is not a constant matrix");
            }
            return;
        }
        long[] inputShape = analysis.shapes.get(a);
        int inputRank = inputShape != null ? inputShape.length : la != null && la.rank >= 0 ? la.rank
                : analysis.ranks.rank(a);
        long positions = -1;
        // An axis between the batch and the features whose length is known only at run time (a sequence) is
        // counted once: the MACs are then per position of it, per token for a transformer.
        boolean perToken = inputRank >= 3 && (inputShape == null || java.util.Arrays.stream(inputShape, 1,
                inputShape.length - 1).anyMatch(dim -> dim < 0));
        if (inputShape != null && inputShape.length >= 2) {
            positions = 1;
            for (int i = 1; i < inputShape.length - 1; i++) {
                positions *= Math.max(1, inputShape[i]);
            }
        } else if (inputRank == 2 || perToken) {
            positions = 1;
        }
        LayerInfo layer = layer(n, node, b, 1, positions);
        layer.perToken = perToken;
        if (la != null) {
            if (la.axis != -1) {
                la.block("read by " + describe(node) + " along an axis other than its units");
            } else {
                consume(la, node, b, w, 0);
            }
        }
        String output = node.getOutput(0);
        int rank = analysis.shapes.containsKey(output) ? analysis.shapes.get(output).length
                : inputShape != null ? inputShape.length
                : la != null && la.rank >= 0 ? la.rank : analysis.ranks.rank(output);
        Space space = produce(layer, (int) w.dims()[1]);
        Layout own = Layout.of(space, rank, -1);
        analysis.edit(b, 1, own);
        addNorms(space, w, 1);
        layer.bias = matMulBias(output, (int) w.dims()[1]);
        analysis.setLayout(output, own);
    }

    void conv(int n, NodeProto node) {
        String x = input(node, 0);
        String wName = input(node, 1);
        String bias = input(node, 2);
        Layout lx = analysis.layouts.get(x);
        analysis.blockTracked(node, 1, "used as the weight of " + describe(node));
        analysis.blockTracked(node, 2, "used as the bias of " + describe(node));
        FloatTensor w = analysis.floatConstant(wName);
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
        long[] outShape = analysis.shapes.get(node.getOutput(0));
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
            analysis.edit(wName, 0, own);
            addNorms(space, w, 0);
            if (!bias.isEmpty()) {
                biasEdit(own, node, bias);
            }
            analysis.setLayout(node.getOutput(0), own);
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
            analysis.edit(wName, 0, lx);
            if (!bias.isEmpty()) {
                biasEdit(lx, node, bias);
            }
            analysis.groupEdits.put(n, lx);
            analysis.setLayout(node.getOutput(0), lx);
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
        analysis.layers.add(layer);
        return layer;
    }

    private void skipLayer(int n, NodeProto node, String weight, String reason) {
        LayerInfo layer = new LayerInfo(n, node.getName().isEmpty() ? weight : node.getName(), node.getOpType(),
                weight, -1, -1);
        layer.skipReason = reason;
        analysis.layers.add(layer);
    }

    private Space produce(LayerInfo layer, int units) {
        Space space = new Space(analysis.spaces.size(), units, layer);
        analysis.spaces.add(space);
        layer.space = space;
        for (NamePattern pattern : analysis.settings.excludes()) {
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
        if (!analysis.edit(weight, axis, layout)) {
            return;
        }
        if (!node.getOpType().equals("Conv")) {
            analysis.readers.add(new CouplingAnalysis.Reader(layout, input(node, 0), weight, axis,
                    TensorOps.axisNorms(w, axis, true)));
        }
        double[] norms = TensorOps.axisNorms(w, axis, analysis.l2);
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
        double[] norms = TensorOps.axisNorms(w, axis, analysis.l2);
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
        analysis.edit(bias, dims.size() - 1, own);
    }
}
