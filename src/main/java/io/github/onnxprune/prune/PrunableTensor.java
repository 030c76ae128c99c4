package io.github.onnxprune.prune;

import io.github.onnxprune.onnx.ConstantTensor;
import java.util.List;

/**
 * A weight tensor chosen for pruning, with the nodes that read it as a weight.
 *
 * @param constant the stored tensor
 * @param opTypes the operators reading it, in graph order without repeats
 * @param nodeNames the names of those nodes
 */
public record PrunableTensor(ConstantTensor constant, List<String> opTypes, List<String> nodeNames) {

    public PrunableTensor {
        opTypes = List.copyOf(opTypes);
        nodeNames = List.copyOf(nodeNames);
    }

    /**
     * Its tensor name, then the names of the layers reading it: what a {@code <sparsityOverrides>} pattern may
     * match (exported transformers name weights opaquely, e.g. {@code onnx::MatMul_787}, but their layers well).
     */
    public List<String> overrideNames() {
        List<String> names = new java.util.ArrayList<>();
        names.add(name());
        nodeNames.stream().filter(n -> !n.isEmpty() && !names.contains(n)).forEach(names::add);
        return names;
    }

    /** Whether it is an embedding table that Gather nodes look rows up in (pruned per row, never re-fitted). */
    public boolean table() {
        return opTypes.contains("Gather");
    }

    /** The tensor's value name. */
    public String name() {
        return constant.name();
    }
}
