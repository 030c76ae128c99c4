package io.github.onnxprune.prune.nodes;

import io.github.onnxprune.prune.NamePattern;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.Sparsity;
import io.github.onnxprune.prune.SparsityOverride;
import java.util.List;
import java.util.Objects;

/**
 * What node pruning removes.
 *
 * @param sparsity the fraction of units (neurons, channels) to remove, in [0, 1)
 * @param scope {@link Scope#LAYERWISE}: floor(sparsity * units) per coupled group of layers;
 *     {@link Scope#GLOBAL}: floor(sparsity * all units) chosen by one ranking of normalised importance
 * @param overrides fractions for the layers whose node name or weight name matches; a matched group is pruned
 *     to that fraction on its own, outside the global ranking
 * @param excludes layers (node name or weight name) whose units must stay, with every layer coupled to them
 * @param importance how a unit's weights are measured
 */
public record NodePruningSettings(double sparsity, Scope scope, List<SparsityOverride> overrides,
        List<NamePattern> excludes, UnitImportance importance) {

    public NodePruningSettings {
        Sparsity.check(sparsity, "node sparsity");
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(importance, "importance");
        overrides = List.copyOf(overrides);
        excludes = List.copyOf(excludes);
    }

    /** Settings with no overrides or exclusions and L1 importance. */
    public static NodePruningSettings of(double sparsity, Scope scope) {
        return new NodePruningSettings(sparsity, scope, List.of(), List.of(), UnitImportance.L1);
    }
}
