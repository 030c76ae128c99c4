package io.github.onnxprune.pipeline;

import io.github.onnxprune.prune.NamePattern;
import io.github.onnxprune.quantize.QuantizationSettings;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Whether to quantize after pruning, and which layers to leave float.
 *
 * @param mode "none" or "int8"
 * @param excludes node-name patterns of layers left float
 * @param fallback whether a failed gate puts layers back to float, worst first, until it passes
 * @param tableBits bits of embedding tables' values (8 is int8's full range; fewer is lossy and smaller)
 * @param weightBits bits of MatMul, Gemm and Conv weights ({@link QuantizationSettings#weightBits()})
 */
public record Quantization(String mode, List<NamePattern> excludes, boolean fallback, int tableBits,
        int weightBits) {

    /** The modes {@code <quantize>} accepts. */
    public static final List<String> MODES = List.of("none", "int8");

    /** No quantization. */
    public static final Quantization NONE = new Quantization("none", List.of(), true);

    /** Tables at int8's full range, computed weights at the portable seven bits. */
    public Quantization(String mode, List<NamePattern> excludes, boolean fallback) {
        this(mode, excludes, fallback, QuantizationSettings.FULL_TABLE_BITS, QuantizationSettings.PORTABLE_WEIGHT_BITS);
    }

    public Quantization {
        mode = mode.trim().toLowerCase(Locale.ROOT);
        if (!MODES.contains(mode)) {
            throw new IllegalArgumentException("unknown quantize '" + mode + "': use none or int8");
        }
        excludes = List.copyOf(excludes);
    }

    /** What the quantizer is asked for: these excludes, table and weight bits, nothing forced float yet. */
    public QuantizationSettings settings() {
        return new QuantizationSettings(excludes, Set.of(), tableBits, Set.of(), weightBits);
    }

    /** Whether layers are quantized to int8. */
    public boolean int8() {
        return mode.equals("int8");
    }
}
