package io.github.onnxprune.quantize;

/**
 * A layer that will be quantized, with its int8 weight computed once (the model and the error probe emit the
 * same values) and, for Conv, its activation ranges.
 *
 * @param candidate the planned layer
 * @param weights its int8 weight and scales
 * @param inputRange Conv's input quantization, null for other layers
 * @param outputRange Conv's output quantization, null for other layers
 */
record PreparedLayer(LayerPlanner.Candidate candidate, Int8Weights weights, ActivationRange inputRange,
        ActivationRange outputRange) {

    /** The value the layer writes. */
    String output() {
        return candidate.plan().output();
    }

    /** The activation the layer reads. */
    String input() {
        return candidate.plan().input();
    }

    /** Adds this layer's int8 nodes reading {@code input} and writing {@code output}; returns its int8 bytes. */
    long emit(GraphRewrite graph, String input, String output) {
        if (candidate.plan() instanceof MatMulLayer matMul) {
            return DynamicMatMulForm.emit(graph, matMul, weights, input, output);
        }
        if (candidate.plan() instanceof ConvLayer conv) {
            return ConvQdqForm.emit(graph, conv, weights, inputRange, outputRange, input, output);
        }
        return Int8GatherForm.emit(graph, (GatherLayer) candidate.plan(), weights, input, output);
    }
}
