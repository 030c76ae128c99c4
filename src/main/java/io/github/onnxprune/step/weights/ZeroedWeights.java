package io.github.onnxprune.step.weights;

import io.github.onnxprune.prune.SkippedTensor;
import io.github.onnxprune.prune.TensorChange;
import java.util.List;

/**
 * What weight pruning changed: per tensor how many weights it zeroed, and the weights it saw but left alone.
 *
 * @param tensors the pruned tensors, in graph order
 * @param skipped weights found but left alone, with why
 */
public record ZeroedWeights(List<TensorChange> tensors, List<SkippedTensor> skipped) {

    public ZeroedWeights {
        tensors = List.copyOf(tensors);
        skipped = List.copyOf(skipped);
    }

    /** Elements in the pruned tensors. */
    public long prunedWeights() {
        return tensors.stream().mapToLong(TensorChange::size).sum();
    }

    /** Zero elements in the pruned tensors after pruning. */
    public long zeroWeights() {
        return tensors.stream().mapToLong(TensorChange::zerosAfter).sum();
    }

    /** The fraction of zeros over all pruned tensors. */
    public double sparsityReached() {
        long total = prunedWeights();
        return total == 0 ? 0.0 : (double) zeroWeights() / total;
    }
}
