package io.github.onnxprune.prune;

import io.github.onnxprune.onnx.FloatTensor;
import java.util.Arrays;

/**
 * Picks the k smallest of an array of magnitudes in linear time without reordering it (a radix selection over
 * the values' bits, not a sort), breaking ties by position so that the same input always gives
 * the same choice.
 */
public final class SmallestMagnitudes {

    /**
     * The most bits of a value's key counted per pass: 2048 counters. Fewer for short arrays (about log2 of the
     * length), so that selecting in each row of an embedding table does not clear more counters than it counts.
     */
    private static final int MAX_DIGIT = 11;

    private SmallestMagnitudes() {
    }

    /**
     * Where the {@code k} smallest values end: every value below {@code threshold} and the first {@code ties} values
     * equal to it, by position (lower index first). No value is below a threshold of 0 with no ties: k = 0.
     */
    public record Cut(float threshold, int ties) {
    }

    /**
     * The cut of the {@code k} smallest values; among equal values the lower index wins. The values are
     * magnitudes: not NaN (-0 counts as +0). Callers that zero weights apply it in one pass over the tensor
     * ({@code FloatTensor.withZerosBelow}) instead of listing the k indices.
     */
    public static Cut cut(float[] magnitudes, int k) {
        int n = magnitudes.length;
        if (k < 0 || k > n) {
            throw new IllegalArgumentException("cannot pick " + k + " of " + n);
        }
        if (k == 0) {
            return new Cut(0f, 0);
        }
        Rank rank = rank(magnitudes, k - 1);
        // Of the values equal to the threshold, as many as the rank reaches into them.
        return new Cut(rank.value(), rank.equalBefore() + 1);
    }

    /**
     * Indices of the {@code k} smallest values, ascending; among equal values the lower index wins. The values
     * are magnitudes: not NaN (-0 counts as +0).
     */
    public static int[] select(float[] magnitudes, int k) {
        Cut cut = cut(magnitudes, k);
        return FloatTensor.positionsBelow(magnitudes, cut.threshold(), cut.ties());
    }

    /** The value of rank {@code rank} (0-based) in ascending order; {@code values} is left as it is. */
    static float kthSmallest(float[] values, int rank) {
        return rank(values, rank).value();
    }

    /**
     * A value and how many values equal to it come before the rank asked for (so the rank minus that is how many
     * are strictly smaller).
     */
    private record Rank(float value, int equalBefore) {
    }

    /**
     * Most significant digit first: the first pass counts every value's top bits of key and finds the digit that
     * holds the rank; the values with that digit (a small share of them: at full width a digit covers a quarter
     * of a binary exponent) are gathered, and the remaining digits are counted among those alone.
     */
    private static Rank rank(float[] values, int rank) {
        if (rank < 0 || rank >= values.length) {
            throw new IllegalArgumentException("no rank " + rank + " among " + values.length + " values");
        }
        int width = Math.max(4, Math.min(MAX_DIGIT, 31 - Integer.numberOfLeadingZeros(values.length)));
        int shift = Integer.SIZE - width;
        int[] counts = new int[1 << width];
        countTopDigits(values, shift, counts);
        int remaining = rank;
        int digit = 0;
        while (remaining >= counts[digit]) {
            remaining -= counts[digit++];
        }
        int[] candidates = gather(values, shift, digit, counts[digit]);
        int prefix = digit << shift;
        while (shift > 0) {
            int bits = Math.min(width, shift);
            int above = shift;
            shift -= bits;
            Arrays.fill(counts, 0);
            countDigits(candidates, above, prefix >>> above, shift, bits, counts);
            digit = 0;
            while (remaining >= counts[digit]) {
                remaining -= counts[digit++];
            }
            prefix |= digit << shift;
        }
        return new Rank(fromKey(prefix), remaining);
    }

    // The passes over the values are small methods of their own: a build's new JVM calls rank once per tensor, so
    // its loops are compiled on the stack (OSR) first, and one large method was compiled three times over.

    /** Counts every value's top digit (its key above {@code shift}). */
    private static void countTopDigits(float[] values, int shift, int[] counts) {
        for (float value : values) {
            counts[key(value) >>> shift]++;
        }
    }

    /** The keys of the {@code count} values whose top digit is {@code digit}, in the values' order. */
    private static int[] gather(float[] values, int shift, int digit, int count) {
        int[] candidates = new int[count];
        int gathered = 0;
        for (float value : values) {
            int key = key(value);
            if (key >>> shift == digit) {
                candidates[gathered++] = key;
            }
        }
        return candidates;
    }

    /**
     * Counts the {@code bits}-bit digit at {@code shift} of the candidates whose key above {@code above} is
     * {@code high}.
     */
    private static void countDigits(int[] candidates, int above, int high, int shift, int bits, int[] counts) {
        int mask = (1 << bits) - 1;
        for (int key : candidates) {
            if (key >>> above == high) {
                counts[(key >>> shift) & mask]++;
            }
        }
    }

    /**
     * An int whose unsigned order is the values' order: the float's bits with the sign bit set for non-negative
     * values and every bit flipped for negative ones. Adding +0 turns -0 into +0 (and changes nothing else), so
     * the two zeros, which compare equal, share a key.
     */
    private static int key(float value) {
        int bits = Float.floatToRawIntBits(value + 0f);
        return bits ^ ((bits >> 31) | Integer.MIN_VALUE);
    }

    private static float fromKey(int key) {
        return Float.intBitsToFloat(key < 0 ? key & Integer.MAX_VALUE : ~key);
    }
}
