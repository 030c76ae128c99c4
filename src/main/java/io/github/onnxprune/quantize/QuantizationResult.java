package io.github.onnxprune.quantize;

import ai.onnx.proto.OnnxMl.ModelProto;
import java.util.List;

/**
 * The quantized model and, per candidate layer (every MatMul, Gemm and Conv, and every Gather from a constant
 * float table, in graph order), what was done.
 *
 * @param model the model with every quantized layer in its int8 form; the input model itself when nothing was
 *     quantized
 * @param layers one entry per candidate layer
 */
public record QuantizationResult(ModelProto model, List<QuantizedLayer> layers) {

    /** Copies the list. */
    public QuantizationResult {
        layers = List.copyOf(layers);
    }

    /** Whether at least one layer was quantized. */
    public boolean anyQuantized() {
        return layers.stream().anyMatch(QuantizedLayer::quantized);
    }
}
