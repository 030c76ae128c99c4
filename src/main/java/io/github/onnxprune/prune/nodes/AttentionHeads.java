package io.github.onnxprune.prune.nodes;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import io.github.onnxprune.onnx.ConstantTensor;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.onnx.NodeInput;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Follows attention heads for {@link CouplingAnalysis}: a projection's output {@code [..., heads * dim]} reshaped
 * to {@code [..., heads, dim]} (with a constant shape or one computed at run time through Shape, Gather,
 * Unsqueeze and Concat), transposed, multiplied with the other projections' heads (Q·Kᵀ, then the
 * probabilities with V), scaled, masked, put through Softmax, transposed back and reshaped to
 * {@code [..., heads * dim]} for the output projection. The projections whose heads meet in a MatMul are joined,
 * so Q, K and V lose the same heads, and the output projection loses the matching input rows. The head count in
 * the split and merge shapes is rewritten; the per-head size never changes. Anything else reading a head value
 * blocks the group, as in the rest of the analysis.
 */
final class AttentionHeads {

    private static final Set<String> ELEMENTWISE = Set.of("Add", "Sub", "Mul", "Div");
    private static final Set<String> PASS_THROUGH = Set.of("Dropout", "Identity", "Cast");

    private final CouplingAnalysis analysis;
    private final ModelGraph graph;
    private final Ranks ranks;
    final Map<String, HeadLayout> heads = new HashMap<>();

    AttentionHeads(CouplingAnalysis analysis, Ranks ranks) {
        this.analysis = analysis;
        this.graph = analysis.graph;
        this.ranks = ranks;
    }

    /** Whether the node reads a value whose heads are followed; then {@link #visit} must handle it. */
    boolean readsHeads(NodeProto node) {
        for (String input : node.getInputList()) {
            if (heads.containsKey(input)) {
                return true;
            }
        }
        return false;
    }

    /**
     * A Reshape of a projection's output {@code [..., heads * dim]} into {@code [..., heads, dim]}; returns false
     * when the Reshape is not one (the caller then treats it as any other Reshape).
     */
    boolean split(NodeProto node, Layout lx, List<ShapeVector.Entry> shape) {
        int rank = lx.rank;
        if (rank < 2 || lx.axis != -1 || lx.repeat != 1 || lx.segments.size() != 1 || shape.size() != rank + 1) {
            return false;
        }
        ShapeVector.Entry headEntry = shape.get(rank - 1);
        ShapeVector.Entry dimEntry = shape.get(rank);
        if (!dimEntry.known() || dimEntry.value() <= 0 || !headEntry.known()
                || headEntry.value() != -1 && headEntry.value() * dimEntry.value() != lx.channels()) {
            return false;
        }
        int dim = (int) (long) dimEntry.value();
        String reason = leadingEntriesProblem(shape.subList(0, rank - 1), rank - 1, node);
        if (reason == null && !lx.segments.get(0).space().splitInto(dim)) {
            reason = "split into heads of " + dim + " by " + Nodes.describe(node)
                    + ", which does not match how its units are grouped";
        }
        if (reason == null && headEntry.value() > 0) {
            reason = analysis.editShape(headEntry, lx, dim);
        }
        if (reason != null) {
            lx.block(reason);
            return true;
        }
        put(node.getOutput(0), new HeadLayout(lx, rank + 1, rank - 1, rank));
        return true;
    }

    /** Every node that reads a head value. */
    void visit(NodeProto node) {
        String op = node.getOpType();
        String problem;
        if (op.equals("Transpose")) {
            problem = transpose(node);
        } else if (op.equals("MatMul")) {
            problem = matMul(node);
        } else if (ELEMENTWISE.contains(op)) {
            problem = elementwise(node);
        } else if (op.equals("Softmax")) {
            problem = softmax(node);
        } else if (PASS_THROUGH.contains(op)) {
            problem = passThrough(node);
        } else if (op.equals("Shape")) {
            HeadLayout h = heads.get(node.getInput(0));
            problem = analysis.shapeReadProblem(node, h.rank(), h::isUnitAxis);
        } else if (op.equals("Reshape")) {
            problem = merge(node);
        } else {
            problem = "read by " + Nodes.describe(node) + ", an op the head analysis cannot follow";
        }
        if (problem != null) {
            blockInputs(node, problem);
        }
    }

    private String transpose(NodeProto node) {
        HeadLayout h = heads.get(node.getInput(0));
        AttributeProto perm = Ranks.attribute(node, "perm");
        if (perm == null || perm.getIntsCount() != h.rank()) {
            return "transposed by " + Nodes.describe(node) + " without an explicit permutation";
        }
        int headAxis = -1;
        int dimAxis = -1;
        for (int i = 0; i < h.rank(); i++) {
            long from = perm.getInts(i);
            headAxis = from == h.headAxis() ? i : headAxis;
            dimAxis = from == h.dimAxis() ? i : dimAxis;
        }
        if (headAxis < 0 || h.dimAxis() >= 0 && dimAxis < 0) {
            return "transposed by " + Nodes.describe(node) + " with a permutation that drops its heads";
        }
        return put(node.getOutput(0), new HeadLayout(h.columns(), h.rank(), headAxis, dimAxis));
    }

    /** Q·Kᵀ (both carry the head dim, contracted) or probabilities·V (V's head dim stays). */
    private String matMul(NodeProto node) {
        HeadLayout a = heads.get(node.getInput(0));
        HeadLayout b = heads.get(node.getInput(1));
        if (a == null || b == null) {
            return "multiplied by " + Nodes.describe(node) + " with a value that is not split into the"
                    + " same heads";
        }
        int rank = a.rank();
        if (b.rank() != rank || a.headAxis() != b.headAxis() || a.headAxis() >= rank - 2) {
            return "multiplied by " + Nodes.describe(node) + " with heads on different axes";
        }
        HeadLayout result;
        if (a.dimAxis() == rank - 1 && b.dimAxis() == rank - 2) {
            result = new HeadLayout(a.columns(), rank, a.headAxis(), -1);
        } else if (a.dimAxis() == -1 && b.dimAxis() == rank - 1) {
            result = new HeadLayout(b.columns(), rank, a.headAxis(), rank - 1);
        } else {
            return "multiplied by " + Nodes.describe(node) + " along an axis of its heads' features";
        }
        Space sa = a.columns().segments.get(0).space();
        Space sb = b.columns().segments.get(0).space();
        if (sa.size != sb.size || sa.granule() != sb.granule()) {
            return "multiplied by " + Nodes.describe(node) + " with heads of another size";
        }
        Space.union(sa, sb);
        return put(node.getOutput(0), result);
    }

    /** Scaling by a constant, adding an attention mask that is the same for every head. */
    private String elementwise(NodeProto node) {
        if (node.getInputCount() != 2) {
            return "read by " + Nodes.describe(node) + " with " + node.getInputCount() + " inputs";
        }
        for (int i = 0; i < 2; i++) {
            HeadLayout h = heads.get(node.getInput(i));
            if (h == null) {
                continue;
            }
            String other = node.getInput(1 - i);
            if (heads.containsKey(other)) {
                return "combined by " + Nodes.describe(node) + " with another head value";
            }
            if (!sameForEveryHead(other, h.headAxis() - h.rank(), h.dimAxis() < 0 ? 0 : h.dimAxis() - h.rank(),
                    0)) {
                return "combined by " + Nodes.describe(node) + " with '" + other
                        + "', which is not known to be the same for every head";
            }
            return put(node.getOutput(0), h);
        }
        throw new IllegalStateException("no head input");
    }

    private String softmax(NodeProto node) {
        HeadLayout h = heads.get(node.getInput(0));
        AttributeProto axisAttribute = Ranks.attribute(node, "axis");
        long axis = axisAttribute != null ? axisAttribute.getI() : -1;
        int opset = opset();
        if (axisAttribute == null && opset < 13) {
            axis = 1;
        }
        axis = axis < 0 ? axis + h.rank() : axis;
        if (axis != h.rank() - 1 || h.isUnitAxis((int) axis)) {
            return "normalised by " + Nodes.describe(node) + " across its heads";
        }
        return put(node.getOutput(0), h);
    }

    private String passThrough(NodeProto node) {
        for (int i = 1; i < node.getOutputCount(); i++) {
            String output = node.getOutput(i);
            if (!output.isEmpty() && !graph.consumers(output).isEmpty()) {
                return "read by " + Nodes.describe(node) + " whose extra output '" + output + "' is used";
            }
        }
        return put(node.getOutput(0), heads.get(node.getInput(0)));
    }

    /** The Reshape of {@code [..., heads, dim]} back into {@code [..., heads * dim]}. */
    private String merge(NodeProto node) {
        HeadLayout h = heads.get(node.getInput(0));
        if (heads.containsKey(Nodes.input(node, 1))) {
            return "used as the shape of " + Nodes.describe(node);
        }
        int rank = h.rank();
        if (h.headAxis() != rank - 2 || h.dimAxis() != rank - 1) {
            return "reshaped by " + Nodes.describe(node) + " with its heads not on the last two axes";
        }
        Optional<List<ShapeVector.Entry>> shape = ShapeVector.of(graph, ranks, Nodes.input(node, 1));
        if (shape.isEmpty() || shape.get().size() != rank - 1) {
            return "reshaped by " + Nodes.describe(node) + " to a shape node pruning cannot read";
        }
        ShapeVector.Entry last = shape.get().get(rank - 2);
        Layout columns = h.columns();
        if (!last.known() || last.value() != -1 && last.value() != columns.channels()) {
            return "reshaped by " + Nodes.describe(node) + " into something other than its heads'"
                    + " features";
        }
        String problem = leadingEntriesProblem(shape.get().subList(0, rank - 2), rank - 2, node);
        if (problem == null && last.value() > 0) {
            problem = analysis.editShape(last, columns, 1);
        }
        if (problem != null) {
            return problem;
        }
        analysis.track(node.getOutput(0), new Layout(columns.segments, rank - 1, -1, 1));
        return null;
    }

    /** Leading entries of a split or merge shape: run-time values, copies (0) or sizes; -1 would be ambiguous. */
    private static String leadingEntriesProblem(List<ShapeVector.Entry> entries, int count, NodeProto node) {
        for (ShapeVector.Entry entry : entries) {
            if (entry.known() && entry.value() < 0) {
                return "reshaped by " + Nodes.describe(node) + " with -1 before its head axis, so the"
                        + " head count could move into it";
            }
        }
        return entries.size() == count ? null : "reshaped by " + Nodes.describe(node)
                + " to a shape node pruning cannot read";
    }

    /**
     * Whether {@code value} has size 1 at {@code axis} and {@code dimAxis} (counted from the end; 0 for none) or
     * does not reach them, so it is broadcast alike to every head: a constant, or the attention mask built from
     * the input by Unsqueeze, Cast and arithmetic with constants.
     */
    private boolean sameForEveryHead(String value, int axis, int dimAxis, int depth) {
        if (depth > 16) {
            return false;
        }
        Optional<ConstantTensor> constant = graph.constant(value);
        if (constant.isPresent()) {
            List<Long> dims = constant.get().tensor().getDimsList();
            return sizeOneOrAbsent(dims, axis) && (dimAxis == 0 || sizeOneOrAbsent(dims, dimAxis));
        }
        int rank = ranks.rank(value);
        if (rank >= 0 && -axis > rank && (dimAxis == 0 || -dimAxis > rank)) {
            return true;
        }
        Optional<Integer> producer = graph.producer(value);
        if (producer.isEmpty() || rank < 0) {
            return false;
        }
        NodeProto node = graph.nodes().get(producer.get());
        String op = node.getOpType();
        if (op.equals("Unsqueeze")) {
            long[] axes = unsqueezeAxes(node, rank);
            if (axes == null) {
                return false;
            }
            int[] mapped = new int[2];
            int[] wanted = {axis, dimAxis};
            for (int k = 0; k < 2; k++) {
                if (wanted[k] == 0) {
                    continue;
                }
                int position = rank + wanted[k];
                int before = 0;
                boolean inserted = false;
                for (long a : axes) {
                    inserted |= a == position;
                    before += a < position ? 1 : 0;
                }
                // An inserted axis has size 1; any other maps to the input's axis, counted from its end.
                mapped[k] = inserted ? 0 : position - before - (rank - axes.length);
            }
            if (mapped[0] == 0 && mapped[1] == 0) {
                return true;
            }
            int first = mapped[0] != 0 ? mapped[0] : mapped[1];
            return sameForEveryHead(node.getInput(0), first, mapped[0] != 0 ? mapped[1] : 0, depth + 1);
        }
        if (ELEMENTWISE.contains(op) || op.equals("Cast") || op.equals("Neg") || op.equals("Not")
                || op.equals("Where")) {
            for (String input : node.getInputList()) {
                if (!sameForEveryHead(input, axis, dimAxis, depth + 1)) {
                    return false;
                }
            }
            return true;
        }
        return false;
    }

    private static boolean sizeOneOrAbsent(List<Long> dims, int axisFromEnd) {
        int position = dims.size() + axisFromEnd;
        return position < 0 || dims.get(position) == 1;
    }

    private long[] unsqueezeAxes(NodeProto node, int outputRank) {
        AttributeProto attribute = Ranks.attribute(node, "axes");
        long[] axes;
        if (attribute != null) {
            axes = attribute.getIntsList().stream().mapToLong(Long::longValue).toArray();
        } else if (node.getInputCount() > 1) {
            axes = graph.constant(node.getInput(1)).map(c -> TensorOps.int64Values(c.tensor())).orElse(null);
        } else {
            return null;
        }
        if (axes == null) {
            return null;
        }
        for (int i = 0; i < axes.length; i++) {
            axes[i] = axes[i] < 0 ? axes[i] + outputRank : axes[i];
        }
        return axes;
    }

    private int opset() {
        return graph.model().getOpsetImportList().stream()
                .filter(o -> ModelGraph.isDefaultDomain(o.getDomain())).mapToInt(o -> (int) o.getVersion())
                .findFirst().orElse(1);
    }

    private String put(String value, HeadLayout layout) {
        if (graph.graphOutputs().contains(value)) {
            return "its heads reach the graph output '" + value + "', whose shape must stay";
        }
        for (NodeInput reader : graph.consumers(value)) {
            if (reader.inputIndex() < 0) {
                return "its heads are read inside a subgraph of " + Nodes.describe(reader.node());
            }
        }
        heads.put(value, layout);
        return null;
    }

    private void blockInputs(NodeProto node, String reason) {
        for (String input : node.getInputList()) {
            HeadLayout h = heads.get(input);
            if (h != null) {
                h.columns().block(reason);
            }
            Layout layout = analysis.layouts.get(input);
            if (layout != null) {
                layout.block(reason);
            }
        }
    }
}
