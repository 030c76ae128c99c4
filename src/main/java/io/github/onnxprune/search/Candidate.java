package io.github.onnxprune.search;

/**
 * One configuration the search measured.
 *
 * @param index its place in the trace, from 1
 * @param sparsity the weight (or, for method nodes, unit) fraction it pruned to
 * @param nodeSparsity the unit fraction removed before weight pruning; 0 for none
 * @param metric the gate's metric on the validation data
 * @param passes whether the gate held
 * @param seconds wall time of this candidate: pruning, re-fitting and measuring
 */
public record Candidate(int index, double sparsity, double nodeSparsity, double metric, boolean passes,
        double seconds) {
}
