package io.github.onnxprune.prune;

import java.util.List;

/**
 * How far to prune single weights by magnitude.
 *
 * @param sparsity the fraction of weights to zero, in [0, 1)
 * @param scope per tensor, or one total over all of them shared out by {@link GlobalAllocation}
 * @param overrides per-tensor sparsities by name pattern; those tensors are pruned on their own
 */
public record WeightPruningSettings(double sparsity, Scope scope, List<SparsityOverride> overrides) {

    public WeightPruningSettings {
        Sparsity.check(sparsity, "sparsity");
        overrides = List.copyOf(overrides);
    }
}
