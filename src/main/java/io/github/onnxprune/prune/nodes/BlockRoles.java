package io.github.onnxprune.prune.nodes;

import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.prune.Scope;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The weight tensors of a transformer grouped by block and role, from the same coupling analysis node pruning
 * runs: each attention (the projections whose heads meet, Q, K and V, with the output projection reading the
 * merged heads) starts a block, and the first feed-forward pair after it (one layer producing units that one
 * other layer alone reads) completes it. A model without attention heads has no blocks: an MLP's layers read
 * each other's units too, but they are not a transformer's roles.
 */
public final class BlockRoles {

    /** Role of the attention projections. */
    public static final String ATTENTION = "attention";
    /** Role of the two feed-forward layers. */
    public static final String FEED_FORWARD = "feed-forward";

    private BlockRoles() {
    }

    /**
     * One block's weight tensors of one role.
     *
     * @param block the block's place in the graph, from 0 (as Hugging Face exports name {@code layer.0})
     * @param role {@link #ATTENTION} or {@link #FEED_FORWARD}
     * @param tensors the weight tensors, in graph order
     */
    public record Group(int block, String role, List<String> tensors) {

        public Group {
            tensors = List.copyOf(tensors);
        }
    }

    /** Each weight tensor of {@link #of}'s groups with its group (the first one that holds it). */
    public static Map<String, Group> byTensor(ModelGraph graph) {
        Map<String, Group> groups = new HashMap<>();
        for (Group group : of(graph)) {
            for (String tensor : group.tensors()) {
                groups.putIfAbsent(tensor, group);
            }
        }
        return groups;
    }

    /** The groups of {@code graph}, attention before feed-forward within a block; empty without attention. */
    public static List<Group> of(ModelGraph graph) {
        CouplingAnalysis analysis = CouplingAnalysis.run(graph, NodePruningSettings.of(0, Scope.LAYERWISE));
        List<LayerInfo> layers = analysis.layers.stream().filter(l -> l.space != null).toList();
        List<List<LayerInfo>> attentions = new ArrayList<>();
        List<Space> headSpaces = new ArrayList<>();
        for (LayerInfo layer : layers) {
            Space root = layer.space.root();
            if (root.granule() > 1 && !headSpaces.contains(root)) {
                headSpaces.add(root);
                List<LayerInfo> members = new ArrayList<>();
                for (LayerInfo other : layers) {
                    if (other.space.root() == root || reads(analysis, other).contains(root)) {
                        members.add(other);
                    }
                }
                attentions.add(members);
            }
        }
        List<Group> groups = new ArrayList<>();
        Set<LayerInfo> taken = new LinkedHashSet<>();
        attentions.forEach(taken::addAll);
        for (int block = 0; block < attentions.size(); block++) {
            List<LayerInfo> attention = attentions.get(block);
            groups.add(new Group(block, ATTENTION, attention.stream().map(l -> l.weight).toList()));
            int after = attention.stream().mapToInt(l -> l.nodeIndex).max().orElseThrow();
            int before = block + 1 < attentions.size() ? attentions.get(block + 1).stream()
                    .mapToInt(l -> l.nodeIndex).min().orElseThrow() : Integer.MAX_VALUE;
            List<LayerInfo> feedForward = feedForward(analysis, layers, taken, after, before);
            if (feedForward != null) {
                taken.addAll(feedForward);
                groups.add(new Group(block, FEED_FORWARD, feedForward.stream().map(l -> l.weight).toList()));
            }
        }
        return groups;
    }

    /**
     * The first layer between node indices {@code after} and {@code before} whose units exactly one other layer
     * (also in that range) reads, with that reader; null when there is none.
     */
    private static List<LayerInfo> feedForward(CouplingAnalysis analysis, List<LayerInfo> layers,
            Set<LayerInfo> taken, int after, int before) {
        for (LayerInfo first : layers) {
            if (first.nodeIndex <= after || first.nodeIndex >= before || taken.contains(first)) {
                continue;
            }
            Space root = first.space.root();
            List<LayerInfo> producers = layers.stream().filter(l -> l.space.root() == root).toList();
            List<LayerInfo> readers = layers.stream().filter(l -> reads(analysis, l).contains(root)).toList();
            if (producers.size() == 1 && readers.size() == 1 && !taken.contains(readers.get(0))
                    && readers.get(0).nodeIndex < before) {
                return List.of(first, readers.get(0));
            }
        }
        return null;
    }

    /** The groups of units whose input rows {@code layer}'s weight holds. */
    private static Set<Space> reads(CouplingAnalysis analysis, LayerInfo layer) {
        Set<Space> roots = new LinkedHashSet<>();
        Map<Integer, Layout> axes = analysis.constantEdits.get(layer.weight);
        if (axes != null) {
            axes.forEach((axis, layout) -> {
                if (axis != layer.unitAxis) {
                    layout.segments.forEach(segment -> roots.add(segment.space().root()));
                }
            });
        }
        return roots;
    }
}
