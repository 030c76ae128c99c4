package io.github.onnxprune.prune.nodes;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.Sparsity;
import io.github.onnxprune.prune.SparsityOverride;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Structured pruning: removes whole output units (neurons of Gemm and MatMul layers, output channels of Conv)
 * and every tensor slice coupled to them, so the result is a smaller dense model.
 *
 * <p><b>Groups.</b> {@link CouplingAnalysis} joins the layers whose units must be removed together (a residual
 * Add joins both producers) into groups. A group is pruned as one: the same units go from every member.
 *
 * <p><b>Importance</b> of unit u of a group: {@code in(u) * out(u)}, where {@code in(u)} is the norm (L1 or
 * L2) of all weights that compute u in the group's producing layers, each producer's part multiplied by the
 * effective BatchNormalization scale {@code |gamma| / sqrt(var + eps)} of the BatchNormalization nodes the unit
 * passes through (so a model with BatchNormalization and the same model with it folded into Conv rank units
 * alike), and {@code out(u)} is the norm of all weights that read u in the following layers. The product is
 * zero when either side is, so a unit nothing reads, or that computes nothing from its inputs, goes first. A
 * group whose units no weight reads uses {@code in(u)} alone. Biases are not part of the importance.
 *
 * <p><b>How many.</b> {@link Scope#LAYERWISE}: floor(s * n) units of each group of n. {@link Scope#GLOBAL}:
 * floor(s * N) units over all N units of the groups without an override, ranked by importance divided by the
 * mean importance of the unit's group, so that groups whose weights have different scales compete fairly.
 * A group matched by an override loses floor(override * n) on its own. Every group keeps at least one unit.
 * Ties are broken by group order, then unit index, so the result is deterministic.
 */
public final class NodePruner {

    private NodePruner() {
    }

    /**
     * Per-feature variance of a value's last axis over the calibration rows, or null when it cannot be measured:
     * what {@link UnitImportance#FLUCTUATION} ranks by.
     */
    @FunctionalInterface
    public interface FeatureVariance {

        /** The variance of each feature of {@code value} (its last axis), or null. */
        double[] of(String value);
    }

    /** Prunes {@code model}; when no unit is removed the very same model instance is returned. */
    public static NodePruningResult prune(ModelProto model, NodePruningSettings settings) {
        return prune(model, settings, null);
    }

    /**
     * Prunes {@code model}, ranking units by {@code variance} when the settings ask for {@link
     * UnitImportance#FLUCTUATION} and it is given (else by weight norms).
     */
    public static NodePruningResult prune(ModelProto model, NodePruningSettings settings, FeatureVariance variance) {
        return prune(model, settings, variance, null);
    }

    /**
     * Prunes {@code model} as {@link #prune(ModelProto, NodePruningSettings, FeatureVariance)}, except that with
     * {@link UnitImportance#COMPENSATED} a group read by a single layer is ranked by {@code ranking} where it gives
     * scores (the other groups by fluctuation).
     */
    public static NodePruningResult prune(ModelProto model, NodePruningSettings settings, FeatureVariance variance,
            ReaderRanking ranking) {
        ModelGraph graph = ModelGraph.of(model);
        CouplingAnalysis analysis = CouplingAnalysis.run(graph, settings);
        List<Group> groups = groups(analysis, settings);
        if (ranking != null && settings.importance() == UnitImportance.COMPENSATED) {
            byReader(analysis, groups, ranking, settings);
        }
        // The groups the ranking scored are not measured again: their values need not be computed twice.
        if (variance != null && settings.importance().fromCalibration()) {
            fluctuation(analysis, groups, variance, settings);
        }
        choose(groups, settings);
        Map<Space, int[]> kept = new HashMap<>();
        for (Group group : groups) {
            if (group.removed.length > 0) {
                kept.put(group.root, complement(group.size, group.removed));
            }
        }
        Map<String, int[][]> slices = new LinkedHashMap<>();
        ModelProto pruned = kept.isEmpty() ? model : PrunedModel.rewrite(analysis, kept, slices);
        return result(analysis, pruned, slices);
    }

    /** The units of one group, with their importance and the fraction that applies to them. */
    private static final class Group {
        final Space root;
        final int size;
        final List<Space> members = new ArrayList<>();
        double[] importance;
        /**
         * The reader's output variance per token when {@link #importance} comes from a {@link ReaderRanking} that
         * gives one (its units' costs relative to it compare across groups), else 0.
         */
        double reference;
        /** Whether a {@link ReaderRanking} gave {@link #importance}. */
        boolean ranked;
        Double override;
        int[] removed = new int[0];

        /** Units removed together: a head's columns, else 1. */
        final int granule;

        Group(Space root) {
            this.root = root;
            this.size = root.size;
            this.granule = root.granule();
        }

        int chunks() {
            return size / granule;
        }

        /** Importance of each run of {@code granule} units (of each unit when 1): the sum of its units'. */
        double[] chunkImportance() {
            double[] chunks = new double[chunks()];
            for (int u = 0; u < size; u++) {
                chunks[u / granule] += importance[u];
            }
            return chunks;
        }

        void removeChunks(int[] chunks) {
            removed = new int[chunks.length * granule];
            for (int i = 0; i < chunks.length; i++) {
                for (int j = 0; j < granule; j++) {
                    removed[i * granule + j] = chunks[i] * granule + j;
                }
            }
        }
    }

    private static List<Group> groups(CouplingAnalysis analysis, NodePruningSettings settings) {
        Map<Space, Group> byRoot = new LinkedHashMap<>();
        for (Space space : analysis.spaces) {
            byRoot.computeIfAbsent(space.root(), Group::new).members.add(space);
        }
        boolean l2 = settings.importance() == UnitImportance.L2;
        for (Group group : byRoot.values()) {
            double[] in = new double[group.size];
            double[] out = new double[group.size];
            int readers = 0;
            for (Space space : group.members) {
                for (int u = 0; u < group.size; u++) {
                    double scale = l2 ? space.scale[u] * space.scale[u] : space.scale[u];
                    in[u] += space.in[u] * scale;
                    out[u] += space.out[u];
                }
                readers += space.readers;
                if (group.override == null) {
                    SparsityOverride override = SparsityOverride.firstMatching(settings.overrides(), space.layer.name);
                    if (override == null) {
                        override = SparsityOverride.firstMatching(settings.overrides(), space.layer.weight);
                    }
                    group.override = override == null ? null : override.sparsity();
                }
            }
            group.importance = new double[group.size];
            for (int u = 0; u < group.size; u++) {
                double a = l2 ? Math.sqrt(in[u]) : in[u];
                double b = l2 ? Math.sqrt(out[u]) : out[u];
                group.importance[u] = readers > 0 ? a * b : a;
            }
        }
        return new ArrayList<>(byRoot.values());
    }

    /**
     * Replaces the importance of every group whose readers are all measurable: per unit, the sum over the layers
     * reading it of variance times squared weight-row norm of its features. Groups without readers keep norms.
     */
    private static void fluctuation(CouplingAnalysis analysis, List<Group> groups, FeatureVariance variance,
            NodePruningSettings settings) {
        Map<String, double[]> measured = new HashMap<>();
        for (Group group : groups) {
            // A group that loses nothing keeps its norms: its readers' values need no pass of their own.
            if (group.root.blockReason() != null || group.chunks() < 2 || group.ranked
                    || removals(group, settings) == 0) {
                continue;
            }
            double[] importance = new double[group.size];
            boolean any = false;
            boolean complete = true;
            for (CouplingAnalysis.Reader reader : analysis.readers) {
                int repeat = reader.layout().repeat;
                for (Layout.Segment segment : reader.layout().segments) {
                    if (segment.space().root() != group.root) {
                        continue;
                    }
                    double[] v = measured.computeIfAbsent(reader.input(), variance::of);
                    if (v == null || v.length != reader.rowNorms().length || repeat < 1) {
                        complete = false;
                        continue;
                    }
                    any = true;
                    for (int u = 0; u < group.size; u++) {
                        for (int j = 0; j < repeat; j++) {
                            int f = (segment.offset() + u) * repeat + j;
                            importance[u] += v[f] * reader.rowNorms()[f];
                        }
                    }
                }
            }
            if (any && complete) {
                group.importance = importance;
            }
        }
    }

    /** Replaces the importance of every group read by one layer alone by the scores {@code ranking} gives. */
    private static void byReader(CouplingAnalysis analysis, List<Group> groups, ReaderRanking ranking,
            NodePruningSettings settings) {
        Map<Group, CouplingAnalysis.Reader> readers = new LinkedHashMap<>();
        for (Group group : groups) {
            CouplingAnalysis.Reader reader = onlyReader(analysis, group);
            // A group that loses nothing needs no ranking, and its reader's statistics no pass.
            if (reader != null && removals(group, settings) > 0) {
                readers.put(group, reader);
            }
        }
        int index = 0;
        for (Map.Entry<Group, CouplingAnalysis.Reader> entry : readers.entrySet()) {
            Group group = entry.getKey();
            CouplingAnalysis.Reader only = entry.getValue();
            FloatTensor w = FloatTensor.of(analysis.graph.constant(only.weight()).orElseThrow().tensor());
            int outputs = (int) w.dims()[1 - only.axis()];
            double[] values = w.values();
            double[] rows = values;
            if (only.axis() == 1) {
                rows = new double[values.length];
                for (int o = 0; o < outputs; o++) {
                    for (int f = 0; f < group.size; f++) {
                        rows[f * outputs + o] = values[o * group.size + f];
                    }
                }
            }
            ReaderRanking.Scores scores = ranking.of(new ReaderRanking.Reader(only.input(), rows, group.size,
                    outputs, group.granule, removals(group, settings), index++, readers.size()));
            if (scores != null) {
                group.importance = scores.costs();
                group.reference = scores.reference();
                group.ranked = true;
            }
        }
    }

    /** The one 2-D layer reading all of {@code group}'s units as they are, or null. */
    private static CouplingAnalysis.Reader onlyReader(CouplingAnalysis analysis, Group group) {
        if (group.root.blockReason() != null || group.chunks() < 2) {
            return null;
        }
        CouplingAnalysis.Reader only = null;
        int count = 0;
        for (CouplingAnalysis.Reader reader : analysis.readers) {
            for (Layout.Segment segment : reader.layout().segments) {
                if (segment.space().root() == group.root) {
                    only = reader;
                    count++;
                }
            }
        }
        if (count != 1 || only.layout().segments.size() != 1 || only.layout().repeat != 1
                || only.layout().channels() != group.size
                || analysis.graph.constant(only.weight()).orElseThrow().tensor().getDimsCount() != 2) {
            return null;
        }
        return only;
    }

    /** The runs of units {@link #choose} removes at most from {@code group}: all but one in a global ranking. */
    private static int removals(Group group, NodePruningSettings settings) {
        if (settings.scope() == Scope.LAYERWISE || group.override != null) {
            double fraction = group.override != null ? group.override : settings.sparsity();
            return (int) Math.min(Sparsity.countToRemove(fraction, group.chunks()), group.chunks() - 1);
        }
        return settings.sparsity() > 0 ? group.chunks() - 1 : 0;
    }

    private static void choose(List<Group> groups, NodePruningSettings settings) {
        List<Group> global = new ArrayList<>();
        for (Group group : groups) {
            if (group.root.blockReason() != null || group.chunks() < 2) {
                continue;
            }
            if (settings.scope() == Scope.LAYERWISE || group.override != null) {
                group.removeChunks(lowest(group.chunkImportance(), removals(group, settings)));
            } else {
                global.add(group);
            }
        }
        if (global.isEmpty()) {
            return;
        }
        // Costs relative to each reader's output variance compare across groups as they are: a
        // budget then removes units until every group's reader has about the same relative error.
        boolean relative = global.stream().allMatch(g -> g.reference > 0);
        long total = 0;
        List<long[]> candidates = new ArrayList<>();
        List<double[]> scores = new ArrayList<>();
        for (int g = 0; g < global.size(); g++) {
            Group group = global.get(g);
            total += group.size;
            double[] chunks = group.chunkImportance();
            double mean = Arrays.stream(chunks).sum() / chunks.length;
            double[] normalised = new double[chunks.length];
            for (int c = 0; c < chunks.length; c++) {
                normalised[c] = relative ? chunks[c] / group.reference : mean > 0 ? chunks[c] / mean : 0.0;
                candidates.add(new long[] {g, c});
            }
            scores.add(normalised);
        }
        candidates.sort((x, y) -> {
            int byScore = Double.compare(scores.get((int) x[0])[(int) x[1]], scores.get((int) y[0])[(int) y[1]]);
            return byScore != 0 ? byScore : x[0] != y[0] ? Long.compare(x[0], y[0]) : Long.compare(x[1], y[1]);
        });
        long target = Sparsity.countToRemove(settings.sparsity(), total);
        int[] counts = new int[global.size()];
        List<List<Integer>> removed = new ArrayList<>();
        global.forEach(g -> removed.add(new ArrayList<>()));
        long taken = 0;
        for (long[] candidate : candidates) {
            int g = (int) candidate[0];
            Group group = global.get(g);
            // A head removes all its units at once: it is taken only while it fits in what is left to remove.
            if (counts[g] < group.chunks() - 1 && taken + group.granule <= target) {
                counts[g]++;
                removed.get(g).add((int) candidate[1]);
                taken += group.granule;
            }
        }
        for (int g = 0; g < global.size(); g++) {
            global.get(g).removeChunks(removed.get(g).stream().mapToInt(Integer::intValue).sorted().toArray());
        }
    }

    /** The {@code count} indices of smallest importance, ties to the lower index, in ascending index order. */
    private static int[] lowest(double[] importance, int count) {
        Integer[] order = new Integer[importance.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> {
            int byValue = Double.compare(importance[a], importance[b]);
            return byValue != 0 ? byValue : Integer.compare(a, b);
        });
        int[] chosen = new int[count];
        for (int i = 0; i < count; i++) {
            chosen[i] = order[i];
        }
        Arrays.sort(chosen);
        return chosen;
    }

    private static int[] complement(int size, int[] removed) {
        Set<Integer> gone = new HashSet<>();
        for (int r : removed) {
            gone.add(r);
        }
        int[] kept = new int[size - gone.size()];
        int k = 0;
        for (int u = 0; u < size; u++) {
            if (!gone.contains(u)) {
                kept[k++] = u;
            }
        }
        return kept;
    }

    private static NodePruningResult result(CouplingAnalysis analysis, ModelProto pruned,
            Map<String, int[][]> slices) {
        ModelGraph after = pruned == analysis.graph.model() ? analysis.graph : ModelGraph.of(pruned);
        List<LayerChange> changes = new ArrayList<>();
        List<SkippedLayer> skipped = new ArrayList<>();
        long macsBefore = 0;
        long macsAfter = 0;
        for (LayerInfo layer : analysis.layers) {
            if (layer.skipReason != null) {
                skipped.add(new SkippedLayer(layer.name, layer.skipReason));
            } else if (layer.space != null && layer.space.blockReason() != null && layer.space.size > 1) {
                skipped.add(new SkippedLayer(layer.name, layer.space.blockReason()));
            }
            if (layer.unitAxis < 0) {
                continue;
            }
            TensorProto weightBefore = analysis.graph.constant(layer.weight).orElseThrow().tensor();
            TensorProto weightAfter = after.constant(layer.weight).orElseThrow().tensor();
            long paramsBefore = TensorOps.elements(weightBefore) + elements(analysis.graph, layer.bias);
            long paramsAfter = TensorOps.elements(weightAfter) + elements(after, layer.bias);
            long before = layer.positions < 0 ? -1 : TensorOps.elements(weightBefore) * layer.positions;
            long afterMacs = layer.positions < 0 ? -1 : TensorOps.elements(weightAfter) * layer.positions;
            // The totals are per sample: a layer counted per token leaves them unknown.
            macsBefore = before < 0 || layer.perToken || macsBefore < 0 ? -1 : macsBefore + before;
            macsAfter = afterMacs < 0 || layer.perToken || macsAfter < 0 ? -1 : macsAfter + afterMacs;
            changes.add(new LayerChange(layer.name, layer.opType, layer.weight,
                    (int) weightBefore.getDims(layer.unitAxis), (int) weightAfter.getDims(layer.unitAxis),
                    paramsBefore, paramsAfter, before, afterMacs, layer.perToken));
        }
        return new NodePruningResult(pruned, changes, skipped, analysis.graph.parameterCount(),
                ModelGraph.of(pruned).parameterCount(), macsBefore, macsAfter, slices);
    }

    private static long elements(ModelGraph graph, String name) {
        return name == null ? 0 : graph.constant(name).map(c -> TensorOps.elements(c.tensor())).orElse(0L);
    }

}
