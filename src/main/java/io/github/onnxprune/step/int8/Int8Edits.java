package io.github.onnxprune.step.int8;

import io.github.onnxprune.quantize.QuantizationResult;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What int8 quantization changed: the quantizer's per-layer result, and the layers the accuracy fallback put back
 * to float, in the order it did, with why.
 *
 * @param result the quantized model and what happened per candidate layer
 * @param fallback layer name to the reason the fallback kept it float
 */
public record Int8Edits(QuantizationResult result, Map<String, String> fallback) {

    public Int8Edits {
        fallback = Collections.unmodifiableMap(new LinkedHashMap<>(fallback));
    }
}
