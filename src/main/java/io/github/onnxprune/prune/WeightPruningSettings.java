package io.github.onnxprune.prune;

import java.util.List;

/**
 * How far to prune single weights by magnitude.
 *
 * @param sparsity the fraction of weights to zero, in [0, 1)
 * @param scope per tensor, or one total over all of them shared out by {@link GlobalAllocation}
 * @param overrides per-tensor sparsities by pattern over a tensor's name or the names of the layers reading it;
 *     those tensors are pruned on their own
 * @param tableSparsity the fraction of each embedding table's values (a table Gather looks rows up in) to zero,
 *     the same in every row; 0 leaves tables dense unless an override names them
 * @param shares with the global scope, how its total is shared among tensors
 */
public record WeightPruningSettings(double sparsity, Scope scope, List<SparsityOverride> overrides,
        double tableSparsity, GlobalShares shares) {

    public WeightPruningSettings {
        Sparsity.check(sparsity, "sparsity");
        Sparsity.check(tableSparsity, "tableSparsity");
        overrides = List.copyOf(overrides);
        java.util.Objects.requireNonNull(shares, "shares");
    }

    /** Settings whose global scope uses the blended shares. */
    public WeightPruningSettings(double sparsity, Scope scope, List<SparsityOverride> overrides,
            double tableSparsity) {
        this(sparsity, scope, overrides, tableSparsity, GlobalShares.BLEND);
    }

    /** Settings that leave embedding tables dense unless an override names them. */
    public WeightPruningSettings(double sparsity, Scope scope, List<SparsityOverride> overrides) {
        this(sparsity, scope, overrides, 0);
    }

    /** The fraction {@code tensor} is pruned to: its override's, else the table or weight target. */
    public double target(PrunableTensor tensor) {
        SparsityOverride override = SparsityOverride.firstMatching(overrides, tensor.overrideNames());
        return override != null ? override.sparsity() : tensor.table() ? tableSparsity : sparsity;
    }

    /**
     * Whether {@code tensor} joins the global scope's pool: a weight (not a table) without an override. With
     * uniform shares there is no pool: every tensor at its own target is exactly the layerwise scope.
     */
    public boolean pooled(PrunableTensor tensor) {
        return scope == Scope.GLOBAL && shares != GlobalShares.UNIFORM && !tensor.table()
                && SparsityOverride.firstMatching(overrides, tensor.overrideNames()) == null;
    }
}
