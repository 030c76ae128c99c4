package io.github.onnxprune.pipeline;

import io.github.onnxprune.prune.NamePattern;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.Sparsity;
import io.github.onnxprune.prune.SparsityOverride;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.nodes.UnitImportance;
import io.github.onnxprune.search.Candidate;
import io.github.onnxprune.search.SearchSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * How one model is pruned.
 *
 * @param method weights or nodes
 * @param sparsity the fraction of weights (method weights) or units (method nodes) to remove
 * @param nodeSparsity with method weights, the fraction of units removed first; 0 for none
 * @param scope per tensor or layer, or global
 * @param overrides per-tensor or per-layer sparsities
 * @param filter which weights may be touched
 * @param importance how node pruning ranks units
 * @param quantization whether to quantize to int8 after pruning, and which layers stay float
 * @param search whether {@code sparsity} and {@code nodeSparsity} are upper bounds for a search
 * @param tableSparsity with method weights, the fraction of each embedding table's values zeroed per row; 0 for
 *     none
 */
public record PruningSettings(PruneMethod method, double sparsity, double nodeSparsity, Scope scope,
        List<SparsityOverride> overrides, TensorFilter filter, UnitImportance importance,
        Quantization quantization, SearchSettings search, double tableSparsity) {

    public PruningSettings {
        Sparsity.check(sparsity, "sparsity");
        Sparsity.check(nodeSparsity, "nodeSparsity");
        Sparsity.check(tableSparsity, "tableSparsity");
        if (method == PruneMethod.NODES && (nodeSparsity > 0 || tableSparsity > 0)) {
            // Method nodes prunes no weights, so either fraction would be dropped without a word.
            String element = nodeSparsity > 0 ? "nodeSparsity" : "tableSparsity";
            throw new IllegalArgumentException(String.format(Locale.ROOT, "<%s> %s is set with"
                    + " <method>nodes</method>, where <sparsity> (%s) is the fraction of units removed and no weight"
                    + " is pruned, so it would be ignored. To remove units and then prune weights, use"
                    + " <method>weights</method> (the default) with <nodeSparsity> for the units and <sparsity> for"
                    + " the weights; to remove units only, leave <%s> out", element,
                    nodeSparsity > 0 ? nodeSparsity : tableSparsity, sparsity, element));
        }
        overrides = List.copyOf(overrides);
        Objects.requireNonNull(quantization, "quantization");
        Objects.requireNonNull(search, "search");
    }

    /** Settings that leave embedding tables dense. */
    public PruningSettings(PruneMethod method, double sparsity, double nodeSparsity, Scope scope,
            List<SparsityOverride> overrides, TensorFilter filter, UnitImportance importance,
            Quantization quantization, SearchSettings search) {
        this(method, sparsity, nodeSparsity, scope, overrides, filter, importance, quantization, search, 0);
    }

    /** Settings without a search. */
    public PruningSettings(PruneMethod method, double sparsity, double nodeSparsity, Scope scope,
            List<SparsityOverride> overrides, TensorFilter filter, UnitImportance importance,
            Quantization quantization) {
        this(method, sparsity, nodeSparsity, scope, overrides, filter, importance, quantization,
                SearchSettings.OFF);
    }

    /** Settings without quantization. */
    public PruningSettings(PruneMethod method, double sparsity, double nodeSparsity, Scope scope,
            List<SparsityOverride> overrides, TensorFilter filter, UnitImportance importance) {
        this(method, sparsity, nodeSparsity, scope, overrides, filter, importance, Quantization.NONE);
    }

    /** These settings with {@code quantization} instead. */
    public PruningSettings withQuantization(Quantization quantization) {
        return new PruningSettings(method, sparsity, nodeSparsity, scope, overrides, filter, importance,
                quantization, search, tableSparsity);
    }

    /** These settings pruned to the given fractions, as one candidate of a search (which they no longer run). */
    public PruningSettings atFractions(double newSparsity, double newNodeSparsity) {
        return atFractions(new Candidate.Fractions(newSparsity, newNodeSparsity, List.of()));
    }

    /**
     * These settings pruned to a search candidate's fractions, the tensors it holds back overriding after the
     * configured overrides (which never name them).
     */
    public PruningSettings atFractions(Candidate.Fractions fractions) {
        List<SparsityOverride> all = new ArrayList<>(overrides);
        for (Candidate.Restored restored : fractions.restored()) {
            all.add(new SparsityOverride(new NamePattern(restored.tensor()), restored.sparsity()));
        }
        return new PruningSettings(method, fractions.sparsity(), fractions.nodeSparsity(), scope, all, filter,
                importance, quantization, SearchSettings.OFF, tableSparsity);
    }

    /** The fraction of units node pruning removes: {@code sparsity} for method nodes, else {@code nodeSparsity}. */
    public double unitFraction() {
        return method == PruneMethod.NODES ? sparsity : nodeSparsity;
    }

    /** The layers or tensors the user excluded, for node pruning. */
    public List<NamePattern> excludes() {
        return filter.excludes();
    }

    /** A short description for messages, e.g. "weights to sparsity 0.50 (layerwise)". */
    public String describe() {
        String quantized = (tableSparsity > 0 && method == PruneMethod.WEIGHTS
                ? ", embedding tables to " + fraction(tableSparsity) + " per row" : "")
                + (quantization.int8() ? " and quantizing to int8" : "");
        String scopeText = " (" + scope.id() + ")";
        if (method == PruneMethod.NODES) {
            return String.format(Locale.ROOT, "nodes to sparsity %s%s%s", fraction(sparsity), scopeText, quantized);
        }
        if (nodeSparsity > 0) {
            return String.format(Locale.ROOT, "nodes to %s then weights to sparsity %s%s%s",
                    fraction(nodeSparsity), fraction(sparsity), scopeText, quantized);
        }
        return String.format(Locale.ROOT, "weights to sparsity %s%s%s", fraction(sparsity), scopeText, quantized);
    }

    /** Two decimals, or four when a search chose a fraction two would round (0.2250, not 0.23). */
    private static String fraction(double value) {
        String two = String.format(Locale.ROOT, "%.2f", value);
        return Double.parseDouble(two) == value ? two : String.format(Locale.ROOT, "%.4f", value);
    }
}
