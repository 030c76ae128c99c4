package io.github.onnxprune.prune;

import java.util.List;

/**
 * What weight pruning did to one tensor, measured on the tensor itself.
 *
 * @param name the tensor name
 * @param opTypes operators reading it
 * @param dims its shape
 * @param targetSparsity the fraction asked for (for global scope, the pool's target)
 * @param zeroed how many elements the pruner set to zero
 * @param zerosBefore elements that were zero before
 * @param zerosAfter elements that are zero after
 */
public record TensorChange(String name, List<String> opTypes, long[] dims, double targetSparsity, long zeroed,
        long zerosBefore, long zerosAfter) {

    public TensorChange {
        opTypes = List.copyOf(opTypes);
        dims = dims.clone();
    }

    /** Number of elements. */
    public long size() {
        long size = 1;
        for (long dim : dims) {
            size *= dim;
        }
        return size;
    }

    /** The fraction of elements that are zero after pruning. */
    public double sparsityReached() {
        return size() == 0 ? 0.0 : (double) zerosAfter / size();
    }
}
