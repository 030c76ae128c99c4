package io.github.onnxprune.onnx;

import ai.onnx.proto.OnnxMl.TensorProto;

/**
 * A constant tensor of the main graph, found under the name nodes read it by.
 *
 * @param name the value name nodes use
 * @param tensor the stored tensor
 * @param source where it is stored
 * @param index its position among the graph's initializers, or the index of the Constant node
 */
public record ConstantTensor(String name, TensorProto tensor, Source source, int index) {

    /** Where a constant tensor lives in the model. */
    public enum Source {
        /** graph.initializer */
        INITIALIZER,
        /** the {@code value} attribute of a Constant node */
        CONSTANT_NODE
    }
}
