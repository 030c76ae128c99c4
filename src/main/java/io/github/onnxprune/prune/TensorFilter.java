package io.github.onnxprune.prune;

import java.util.List;
import java.util.Set;

/**
 * Which weight tensors the user lets the pruner touch.
 *
 * @param opTypes operators whose weight operand may be pruned (Gemm, MatMul, Conv, ConvTranspose)
 * @param includes name patterns a tensor must match (empty: all)
 * @param excludes name patterns that keep a tensor unpruned
 * @param minSize tensors with fewer elements are left alone
 */
public record TensorFilter(Set<String> opTypes, List<NamePattern> includes, List<NamePattern> excludes, long minSize) {

    /** The operators whose weights are pruned unless the user says otherwise. */
    public static final Set<String> DEFAULT_OP_TYPES = Set.of("Gemm", "MatMul", "Conv", "ConvTranspose");

    public TensorFilter {
        opTypes = Set.copyOf(opTypes);
        includes = List.copyOf(includes);
        excludes = List.copyOf(excludes);
        for (String opType : opTypes) {
            if (!DEFAULT_OP_TYPES.contains(opType)) {
                throw new IllegalArgumentException("op type '" + opType + "' has no weight operand this plugin"
                        + " knows how to prune; use some of " + DEFAULT_OP_TYPES.stream().sorted().toList());
            }
        }
        if (minSize < 0) {
            throw new IllegalArgumentException("the minimum tensor size is " + minSize + " but must not be negative");
        }
    }

    /** Every weight of the default operators, whatever its name or size. */
    public static TensorFilter all() {
        return new TensorFilter(DEFAULT_OP_TYPES, List.of(), List.of(), 0);
    }
}
