package io.github.onnxprune.pipeline;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.prune.NamePattern;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.SparsityOverride;
import io.github.onnxprune.prune.nodes.BlockRoles;
import io.github.onnxprune.prune.nodes.LayerChange;
import io.github.onnxprune.prune.nodes.NodePruner;
import io.github.onnxprune.prune.nodes.NodePruningResult;
import io.github.onnxprune.prune.nodes.NodePruningSettings;
import io.github.onnxprune.prune.nodes.UnitImportance;
import io.github.onnxprune.search.TensorGroup;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The groups of units the sensitivity profile removes for node pruning, and the model with only one of them
 * thinned: the units that node pruning removes together (a transformer block's attention heads across Q, K and
 * V, its feed-forward units, an MLP layer's neurons, a convolution's channels with every layer coupled to them),
 * found by asking node pruning to thin one layer alone and seeing which layers lose units with it. A group is
 * named by its role in a transformer ({@code block 0 attention heads}, {@code block 0 feed-forward units}),
 * otherwise by the layer whose units go ({@code /fc1/Gemm units}, {@code /conv1/Conv channels}).
 */
final class NodeProfile {

    /** The fraction that finds which layers belong together: any that removes at least one unit would do. */
    private static final double PROBE = 0.5;

    private NodeProfile() {
    }

    /**
     * Every group of units of {@code model} that node pruning can thin, in graph order; its tensors are the
     * weights of the layers that lose units with it (the first one names the group to {@link #pruned}), each
     * sized by its weight tensor's elements alone, as a weight profile's groups are (a layer's bias is not a
     * weight, though removing a unit removes its bias entry too).
     */
    static List<TensorGroup> groups(ModelProto model, List<NamePattern> excludes,
            UnitImportance importance) {
        Map<String, BlockRoles.Group> roles = BlockRoles.byTensor(ModelGraph.of(model));
        List<LayerChange> thinned = NodePruner.prune(model, new NodePruningSettings(PROBE, Scope.LAYERWISE,
                List.of(), excludes, importance)).layers().stream().filter(NodeProfile::lostUnits).toList();
        ModelGraph graph = ModelGraph.of(model);
        Set<String> assigned = new HashSet<>();
        List<TensorGroup> groups = new ArrayList<>();
        for (LayerChange layer : thinned) {
            if (assigned.contains(layer.weight())) {
                continue;
            }
            List<LayerChange> members = prune(model, layer.weight(), PROBE, excludes, importance).layers().stream()
                    .filter(NodeProfile::lostUnits).toList();
            if (members.isEmpty()) {
                continue;
            }
            List<String> weights = new ArrayList<>(List.of(layer.weight()));
            List<Long> sizes = new ArrayList<>(List.of(weights(graph, layer.weight())));
            for (LayerChange member : members) {
                if (!member.weight().equals(layer.weight())) {
                    weights.add(member.weight());
                    sizes.add(weights(graph, member.weight()));
                }
                assigned.add(member.weight());
            }
            BlockRoles.Group role = roles.get(layer.weight());
            String name = role != null ? String.format(Locale.ROOT, "block %d %s", role.block(),
                    role.role().equals(BlockRoles.ATTENTION) ? "attention heads" : role.role() + " units")
                    : layer.layer() + (layer.opType().equals("Conv") ? " channels" : " units");
            groups.add(new TensorGroup(name, weights, sizes));
        }
        return groups;
    }

    /** {@code model} with only the units of {@code group} thinned to {@code fraction}, plain (no compensation). */
    static ModelProto pruned(ModelProto model, TensorGroup group, double fraction, List<NamePattern> excludes,
            UnitImportance importance) {
        return prune(model, group.tensors().get(0), fraction, excludes, importance).model();
    }

    private static NodePruningResult prune(ModelProto model, String weight,
            double fraction, List<NamePattern> excludes, UnitImportance importance) {
        // Nothing goes elsewhere: the fraction is 0 but for the group the override names by its weight.
        return NodePruner.prune(model, new NodePruningSettings(0, Scope.LAYERWISE,
                List.of(new SparsityOverride(new NamePattern(weight), fraction)), excludes, importance));
    }

    /** The elements of weight tensor {@code name} of the original. */
    private static long weights(ModelGraph graph, String name) {
        return graph.constant(name).orElseThrow().tensor().getDimsList().stream().mapToLong(Long::longValue)
                .reduce(1, Math::multiplyExact);
    }

    /** Whether a layer lost output units (not only input features). */
    private static boolean lostUnits(LayerChange layer) {
        return layer.unitsAfter() < layer.unitsBefore();
    }
}
