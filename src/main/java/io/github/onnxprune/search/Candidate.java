package io.github.onnxprune.search;

import java.util.List;

/**
 * One configuration the search measured.
 *
 * @param index its place in the trace, from 1
 * @param phase how the search chose it: {@code bisection}, {@code probe} (above the bracket) or {@code fallback}
 *     (the most sensitive tensors held lower, the rest pruned further)
 * @param sparsity the weight (or, for method nodes, unit) fraction it pruned to; with restored tensors, the
 *     fraction of the others (what {@code <sparsity>} pins)
 * @param nodeSparsity the unit fraction removed before weight pruning; 0 for none
 * @param restored the tensors a fallback held at a lower fraction, most sensitive first; empty otherwise
 * @param total the fraction of the searched weights removed in all: {@code sparsity} unless tensors were restored
 *     (for a search of units alone, {@code nodeSparsity})
 * @param metric the gate's metric on the validation data
 * @param passes whether the gate held
 * @param seconds wall time of this candidate: pruning, re-fitting and measuring
 */
public record Candidate(int index, String phase, double sparsity, double nodeSparsity, List<Restored> restored,
        double total, double metric, boolean passes, double seconds) {

    public Candidate {
        restored = List.copyOf(restored);
    }

    /** A candidate without restored tensors, whose total is its largest fraction. */
    public Candidate(int index, double sparsity, double nodeSparsity, double metric, boolean passes,
            double seconds) {
        this(index, CompressionSearch.BISECTION, sparsity, nodeSparsity, List.of(),
                sparsity > 0 ? sparsity : nodeSparsity, metric, passes, seconds);
    }

    /** The fractions this candidate measured. */
    public Fractions fractions() {
        return new Fractions(sparsity, nodeSparsity, restored);
    }

    /**
     * A tensor held at a lower fraction than the rest.
     *
     * @param tensor the weight tensor's name
     * @param sparsity the fraction it is pruned to
     */
    public record Restored(String tensor, double sparsity) {
    }

    /**
     * What one candidate prunes.
     *
     * @param sparsity the weight fraction of every tensor not restored (or, for method nodes, the unit fraction)
     * @param nodeSparsity the unit fraction removed first
     * @param restored tensors pruned to their own lower fraction
     */
    public record Fractions(double sparsity, double nodeSparsity, List<Restored> restored) {

        public Fractions {
            restored = List.copyOf(restored);
        }
    }
}
