package io.github.onnxprune.quantize;

import io.github.onnxprune.prune.NamePattern;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What to quantize: layer-name patterns left float, layers the fallback forces back to float, and how many
 * levels embedding tables and computed weights keep.
 *
 * @param excludes globs over node names; a matching layer stays float
 * @param keepFloat node names that stay float whatever the patterns say (the accuracy fallback's choice)
 * @param tableBits bits of an embedding table's values, 2 to 8: {@code 2^(bits-1) - 1} levels each side of an
 *     exact zero, one scale per row, stored in int8 whatever the count (8: -127..127; 4: -7..7, which deflate
 *     stores in about 3.7 bits instead of 7.4); tables under 1% of the layers' weights keep 8
 * @param fullBitTables node names of table lookups that keep 8 bits whatever tableBits says (the accuracy
 *     fallback's first step back for a table)
 * @param weightBits bits of MatMul, Gemm and Conv weights, 7 or 8: 7 (-63..63) keeps every product pair of a uint8
 *     activation and an int8 weight inside the 16-bit sums of ONNX Runtime's x86 kernels without VNNI (AVX2,
 *     AVX-512F), which saturate at 8 bits (-127..127) and give wrong results; 8 doubles the levels for models that
 *     only ever run on VNNI or ARM processors
 */
public record QuantizationSettings(List<NamePattern> excludes, Set<String> keepFloat, int tableBits,
        Set<String> fullBitTables, int weightBits) {

    /** The bits of a table's values unless asked otherwise: int8's full range. */
    public static final int FULL_TABLE_BITS = 8;

    /** The fewest bits a table may keep: one level each side of zero. */
    public static final int MIN_TABLE_BITS = 2;

    /** The bits of computed weights unless asked otherwise: exact on every x86 processor ONNX Runtime runs on. */
    public static final int PORTABLE_WEIGHT_BITS = 7;

    /** int8's full range for computed weights: exact only where ONNX Runtime's kernels do not saturate. */
    public static final int FULL_WEIGHT_BITS = 8;

    /** Copies both collections; keepFloat is kept sorted so equal settings compare and print alike. */
    public QuantizationSettings {
        excludes = List.copyOf(excludes);
        keepFloat = java.util.Collections.unmodifiableSet(new TreeSet<>(keepFloat));
        fullBitTables = java.util.Collections.unmodifiableSet(new TreeSet<>(fullBitTables));
        if (tableBits < MIN_TABLE_BITS || tableBits > FULL_TABLE_BITS) {
            throw new IllegalArgumentException("table bits are " + tableBits + " but must be from "
                    + MIN_TABLE_BITS + " to " + FULL_TABLE_BITS);
        }
        if (weightBits != PORTABLE_WEIGHT_BITS && weightBits != FULL_WEIGHT_BITS) {
            throw new IllegalArgumentException("weight bits are " + weightBits + " but must be "
                    + PORTABLE_WEIGHT_BITS + " or " + FULL_WEIGHT_BITS);
        }
    }

    /** Computed weights at the portable seven bits. */
    public QuantizationSettings(List<NamePattern> excludes, Set<String> keepFloat, int tableBits,
            Set<String> fullBitTables) {
        this(excludes, keepFloat, tableBits, fullBitTables, PORTABLE_WEIGHT_BITS);
    }

    /** Tables kept to {@code tableBits} bits, every one. */
    public QuantizationSettings(List<NamePattern> excludes, Set<String> keepFloat, int tableBits) {
        this(excludes, keepFloat, tableBits, Set.of());
    }

    /** Full int8 tables. */
    public QuantizationSettings(List<NamePattern> excludes, Set<String> keepFloat) {
        this(excludes, keepFloat, FULL_TABLE_BITS);
    }

    /** The bits the table read by the lookup {@code layer} keeps. */
    public int tableBits(String layer) {
        return fullBitTables.contains(layer) ? FULL_TABLE_BITS : tableBits;
    }

    /** No excludes, nothing forced float, full int8 tables, seven-bit computed weights. */
    public static QuantizationSettings defaults() {
        return new QuantizationSettings(List.of(), Set.of());
    }

    /** These settings with {@code layers} forced float instead of the current set. */
    public QuantizationSettings withKeepFloat(Set<String> layers) {
        return new QuantizationSettings(excludes, layers, tableBits, fullBitTables, weightBits);
    }

    /** These settings with the lookups {@code layers} keeping 8-bit tables instead of the current set. */
    public QuantizationSettings withFullBitTables(Set<String> layers) {
        return new QuantizationSettings(excludes, keepFloat, tableBits, layers, weightBits);
    }

    /** These settings with tables kept to {@code bits} bits. */
    public QuantizationSettings withTableBits(int bits) {
        return new QuantizationSettings(excludes, keepFloat, bits, fullBitTables, weightBits);
    }

    /** These settings with computed weights kept to {@code bits} bits. */
    public QuantizationSettings withWeightBits(int bits) {
        return new QuantizationSettings(excludes, keepFloat, tableBits, fullBitTables, bits);
    }
}
