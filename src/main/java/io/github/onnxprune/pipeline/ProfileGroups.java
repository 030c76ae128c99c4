package io.github.onnxprune.pipeline;

import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.prune.PrunableTensor;
import io.github.onnxprune.prune.nodes.BlockRoles;
import io.github.onnxprune.search.TensorGroup;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The groups the sensitivity profile measures: a transformer's tensors by block and role (as node pruning's
 * coupling analysis finds them), every other prunable tensor alone, so a model without attention keeps one group
 * per tensor.
 */
final class ProfileGroups {

    private ProfileGroups() {
    }

    /** The groups of the prunable {@code tensors} of {@code graph}, in the graph order of their first tensor. */
    static List<TensorGroup> of(ModelGraph graph, List<PrunableTensor> tensors) {
        Map<String, Long> sizes = new HashMap<>();
        for (PrunableTensor tensor : tensors) {
            sizes.put(tensor.name(), (long) FloatTensor.of(tensor.constant().tensor()).size());
        }
        // Only the tensors the filter lets through; a role whose tensors are all filtered out has no group.
        Map<String, BlockRoles.Group> roleOf = new HashMap<>();
        for (BlockRoles.Group group : BlockRoles.of(graph)) {
            for (String tensor : group.tensors()) {
                if (sizes.containsKey(tensor)) {
                    roleOf.putIfAbsent(tensor, group);
                }
            }
        }
        List<TensorGroup> groups = new ArrayList<>();
        Set<BlockRoles.Group> done = new HashSet<>();
        for (PrunableTensor tensor : tensors) {
            BlockRoles.Group role = roleOf.get(tensor.name());
            if (role == null) {
                groups.add(TensorGroup.single(tensor.name(), sizes.get(tensor.name())));
            } else if (done.add(role)) {
                List<String> members = role.tensors().stream().filter(sizes::containsKey).toList();
                groups.add(new TensorGroup(String.format(Locale.ROOT, "block %d %s (%d tensor%s)", role.block(),
                        role.role(), members.size(), members.size() == 1 ? "" : "s"), members,
                        members.stream().map(sizes::get).toList()));
            }
        }
        return groups;
    }
}
