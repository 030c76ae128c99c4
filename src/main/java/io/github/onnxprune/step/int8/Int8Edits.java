package io.github.onnxprune.step.int8;

import io.github.onnxprune.quantize.QuantizationResult;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What int8 quantization changed: the quantizer's per-layer result, the layers the accuracy fallback put back
 * to float, in the order it did, with why, and the fallback's rounds.
 *
 * @param result the quantized model and what happened per candidate layer (null before the first quantization)
 * @param fallback layer name to the reason the fallback kept it float
 * @param rounds the fallback's rounds so far, in order
 * @param startNanos {@link System#nanoTime()} when the step started, for the rounds' elapsed time
 * @param fullBits table lookups the fallback put back from fewer bits to 8 (still int8), with why
 */
public record Int8Edits(QuantizationResult result, Map<String, String> fallback, List<FallbackRound> rounds,
        long startNanos, Map<String, String> fullBits) {

    public Int8Edits {
        fallback = Collections.unmodifiableMap(new LinkedHashMap<>(fallback));
        rounds = List.copyOf(rounds);
        fullBits = Collections.unmodifiableMap(new LinkedHashMap<>(fullBits));
    }

    /** Edits without tables put back to 8 bits. */
    public Int8Edits(QuantizationResult result, Map<String, String> fallback, List<FallbackRound> rounds,
            long startNanos) {
        this(result, fallback, rounds, startNanos, Map.of());
    }
}
