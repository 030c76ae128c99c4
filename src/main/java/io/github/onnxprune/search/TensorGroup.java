package io.github.onnxprune.search;

import java.util.List;

/**
 * Weight tensors the sensitivity profile prunes together and a fallback holds back together: one tensor, or a
 * transformer block's tensors of one role (e.g. {@code block 3 attention (4 tensors)}).
 *
 * @param name how reports name the group: the tensor's name for one tensor
 * @param tensors the weight tensors' names
 * @param sizes their numbers of weights, in the same order
 */
public record TensorGroup(String name, List<String> tensors, List<Long> sizes) {

    public TensorGroup {
        tensors = List.copyOf(tensors);
        sizes = List.copyOf(sizes);
        if (tensors.isEmpty() || tensors.size() != sizes.size()) {
            throw new IllegalArgumentException("group " + name + " has " + tensors.size() + " tensors and "
                    + sizes.size() + " sizes");
        }
    }

    /** A group of one tensor, named after it. */
    public static TensorGroup single(String tensor, long size) {
        return new TensorGroup(tensor, List.of(tensor), List.of(size));
    }

    /** The number of weights in all its tensors. */
    public long size() {
        return sizes.stream().mapToLong(Long::longValue).sum();
    }
}
