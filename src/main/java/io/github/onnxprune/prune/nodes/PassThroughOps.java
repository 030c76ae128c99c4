package io.github.onnxprune.prune.nodes;

import static io.github.onnxprune.prune.nodes.Nodes.describe;
import static io.github.onnxprune.prune.nodes.Nodes.floatAttribute;
import static io.github.onnxprune.prune.nodes.Nodes.input;
import static io.github.onnxprune.prune.nodes.Nodes.intAttribute;

import ai.onnx.proto.OnnxMl.NodeProto;
import io.github.onnxprune.onnx.ConstantTensor;
import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelGraph;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The ops of a {@link CouplingAnalysis} that carry units on without weights of their own: element-wise ops (which
 * join the spaces of two tracked values), BatchNormalization, Concat, pools, Flatten, Reshape and Shape.
 */
final class PassThroughOps {

    private final CouplingAnalysis analysis;
    private final ModelGraph graph;

    PassThroughOps(CouplingAnalysis analysis) {
        this.analysis = analysis;
        this.graph = analysis.graph;
    }

    void batchNorm(NodeProto node) {
        Layout lx = analysis.layouts.get(input(node, 0));
        for (int i = 1; i < node.getInputCount(); i++) {
            analysis.blockTracked(node, i, "used as a parameter of " + describe(node));
        }
        if (lx == null) {
            return;
        }
        if (!lx.isAxisOne()) {
            lx.block("normalised by " + describe(node) + " along an axis that is not known to be its channels");
            return;
        }
        if (!analysis.onlyFirstOutputUsed(node, lx)) {
            return;
        }
        if (node.getInputCount() != 5) {
            lx.block("normalised by " + describe(node) + " which does not have the 5 inputs of inference mode");
            return;
        }
        FloatTensor[] params = new FloatTensor[5];
        for (int i = 1; i < 5; i++) {
            params[i] = analysis.floatConstant(node.getInput(i));
            if (params[i] == null || params[i].dims().length != 1 || !lx.fits(params[i].dims()[0])) {
                lx.block("normalised by " + describe(node) + " whose parameter '" + node.getInput(i)
                        + "' is not a constant with one value per channel");
                return;
            }
        }
        for (int i = 1; i < 5; i++) {
            if (!analysis.edit(node.getInput(i), 0, lx)) {
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
        analysis.setLayout(node.getOutput(0), lx);
    }

    void unary(NodeProto node) {
        Layout lx = analysis.layouts.get(input(node, 0));
        for (int i = 1; i < node.getInputCount(); i++) {
            analysis.blockTracked(node, i, "used as a parameter of " + describe(node));
        }
        if (lx == null) {
            return;
        }
        if (node.getOpType().equals("Clip")) {
            for (int i = 1; i < node.getInputCount(); i++) {
                String bound = node.getInput(i);
                if (!bound.isEmpty() && graph.constant(bound).map(c -> TensorOps.elements(c.tensor()) != 1)
                        .orElse(true)) {
                    lx.block("clipped by " + describe(node) + " with bound '" + bound
                            + "' that is not a constant scalar");
                    return;
                }
            }
        }
        if (!analysis.onlyFirstOutputUsed(node, lx)) {
            return;
        }
        analysis.setLayout(node.getOutput(0), lx);
    }

    void binary(NodeProto node) {
        if (node.getInputCount() != 2) {
            analysis.blockInputs(node, "read by " + describe(node) + " with " + node.getInputCount() + " inputs");
            return;
        }
        Layout la = analysis.layouts.get(node.getInput(0));
        Layout lb = analysis.layouts.get(node.getInput(1));
        if (la == null && lb == null) {
            return;
        }
        if (node.getOpType().equals("PRelu") && lb != null) {
            analysis.blockInputs(node, "used as the slope of " + describe(node));
            return;
        }
        if (la != null && lb != null) {
            if (la == lb) {
                analysis.setLayout(node.getOutput(0), la);
                return;
            }
            if (!sameStructure(la, lb)) {
                analysis.blockInputs(node, "combined by " + describe(node) + " with a value whose units are laid out"
                        + " differently");
                return;
            }
            for (int s = 0; s < la.segments.size(); s++) {
                Space.union(la.segments.get(s).space(), lb.segments.get(s).space());
            }
            analysis.setLayout(node.getOutput(0), la);
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
            if (!analysis.edit(other, pos, layout)) {
                return;
            }
        }
        analysis.setLayout(node.getOutput(0), layout);
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

    void concat(NodeProto node) {
        List<Layout> inputs = new ArrayList<>();
        boolean anyTracked = false;
        String untracked = null;
        for (String input : node.getInputList()) {
            Layout layout = analysis.layouts.get(input);
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
            analysis.blockInputs(node, "concatenated by " + describe(node) + " with '" + untracked
                    + "', whose channels are not tracked");
            return;
        }
        Layout first = inputs.get(0);
        long axis = intAttribute(node, "axis", 0);
        int rank = first.rank >= 0 ? first.rank
                : analysis.shapes.containsKey(node.getOutput(0)) ? analysis.shapes.get(node.getOutput(0)).length : -1;
        long fromEnd = axis < 0 ? axis : rank >= 0 ? axis - rank : 0;
        List<Layout.Segment> segments = new ArrayList<>();
        int offset = 0;
        for (Layout layout : inputs) {
            if (fromEnd != layout.axis || layout.repeat != 1 || layout.rank != first.rank) {
                analysis.blockInputs(node, "concatenated by " + describe(node) + " along axis " + axis
                        + ", which is not known to be their unit axis");
                return;
            }
            for (Layout.Segment segment : layout.segments) {
                segments.add(new Layout.Segment(segment.space(), offset + segment.offset()));
            }
            offset += layout.channels();
        }
        analysis.setLayout(node.getOutput(0), new Layout(segments, first.rank, first.axis, 1));
    }

    void pool(NodeProto node) {
        Layout lx = analysis.layouts.get(input(node, 0));
        if (lx == null) {
            return;
        }
        if (!lx.isAxisOne() || lx.rank < 3 || lx.repeat != 1) {
            lx.block("pooled by " + describe(node) + " over a value whose channel axis is not known");
            return;
        }
        if (!analysis.onlyFirstOutputUsed(node, lx)) {
            return;
        }
        analysis.setLayout(node.getOutput(0), lx);
    }

    void flatten(NodeProto node) {
        Layout lx = analysis.layouts.get(input(node, 0));
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
        analysis.setLayout(node.getOutput(0), flattened(lx, input(node, 0)));
    }

    /** Channel c becomes features c*S .. c*S+S-1, S the spatial size when annotated (else settled later). */
    private Layout flattened(Layout lx, String input) {
        int repeat = 0;
        long[] shape = analysis.shapes.get(input);
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

    void reshape(NodeProto node) {
        Layout lx = analysis.layouts.get(input(node, 0));
        analysis.blockTracked(node, 1, "used as the shape of " + describe(node));
        if (lx == null) {
            return;
        }
        String shapeName = input(node, 1);
        boolean allowZero = intAttribute(node, "allowzero", 0) != 0;
        Optional<List<ShapeVector.Entry>> entries = ShapeVector.of(graph, analysis.ranks, shapeName);
        if (entries.isPresent() && !allowZero && analysis.attention.split(node, lx, entries.get())) {
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
            String problem = analysis.editShape(entries.orElseThrow().get(1), flat, 1);
            if (problem != null) {
                lx.block(problem);
                return;
            }
        }
        analysis.setLayout(node.getOutput(0), flat);
    }

    void shape(NodeProto node) {
        Layout lx = analysis.layouts.get(input(node, 0));
        if (lx == null) {
            return;
        }
        int rank = lx.rank;
        String problem = analysis.shapeReadProblem(node, rank, axis -> axis == rank + lx.axis);
        if (problem != null) {
            lx.block(problem);
        }
    }
}
