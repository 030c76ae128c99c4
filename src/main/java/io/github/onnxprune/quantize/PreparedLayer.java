package io.github.onnxprune.quantize;

/**
 * A layer that will be quantized, with its int8 weight computed once (the model and the error probe emit the
 * same values) and, for Conv, its activation ranges.
 *
 * @param candidate the planned layer
 * @param weights its int8 weight and scales
 * @param inputRange Conv's input quantization, null for MatMul
 * @param outputRange Conv's output quantization, null for MatMul
 */
record PreparedLayer(LayerPlanner.Candidate candidate, Int8Weights weights, ActivationRange inputRange,
        ActivationRange outputRange) {

    /** The value the layer writes. */
    String output() {
        return candidate.plan() instanceof MatMulLayer m ? m.output() : ((ConvLayer) candidate.plan()).output();
    }

    /** The activation the layer reads. */
    String input() {
        return candidate.plan() instanceof MatMulLayer m ? m.input() : ((ConvLayer) candidate.plan()).input();
    }

    /** The nodes the int8 form replaces: the layer, and for Conv the BatchNormalization and Relu it absorbs. */
    java.util.List<ai.onnx.proto.OnnxMl.NodeProto> replacedNodes() {
        if (candidate.plan() instanceof MatMulLayer matMul) {
            return java.util.List.of(matMul.node());
        }
        ConvLayer conv = (ConvLayer) candidate.plan();
        java.util.List<ai.onnx.proto.OnnxMl.NodeProto> nodes = new java.util.ArrayList<>();
        nodes.add(conv.node());
        nodes.addAll(conv.absorbed());
        return nodes;
    }

    /** The form's name for the report. */
    String form() {
        return candidate.plan() instanceof MatMulLayer ? QuantizedLayer.DYNAMIC_MATMUL : QuantizedLayer.QDQ_CONV;
    }

    /** Adds this layer's int8 nodes reading {@code input} and writing {@code output}; returns its int8 bytes. */
    long emit(GraphRewrite graph, String input, String output) {
        if (candidate.plan() instanceof MatMulLayer matMul) {
            return DynamicMatMulForm.emit(graph, matMul, weights, input, output);
        }
        return ConvQdqForm.emit(graph, (ConvLayer) candidate.plan(), weights, inputRange, outputRange, input, output);
    }
}
