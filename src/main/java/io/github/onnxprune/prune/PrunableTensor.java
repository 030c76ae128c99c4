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

    /** The tensor's value name. */
    public String name() {
        return constant.name();
    }
}
