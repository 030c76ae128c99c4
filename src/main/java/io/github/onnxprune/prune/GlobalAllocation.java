package io.github.onnxprune.prune;

import java.util.Arrays;
import java.util.List;

/**
 * Spreads one count of weights to zero over several tensors by a score that a tensor's scale cannot change:
 * each weight's squared magnitude divided by the sum of the squares of every weight of its tensor that is at
 * least as large (the LAMP score of Lee et al., 2021). Multiplying a tensor by any constant, as folding
 * BatchNormalization into a convolution does, leaves its scores, and so its share, unchanged; a tensor's largest
 * weight scores 1, so no tensor is ever emptied while another still has a weight scoring below 1.
 */
public final class GlobalAllocation {

    private GlobalAllocation() {
    }

    /**
     * How many weights of each tensor to zero so that exactly {@code total} are zeroed in all: the {@code total}
     * smallest scores over every tensor, ties going to the earlier tensor, then the earlier position.
     *
     * @param magnitudes each tensor's absolute weight values (not modified)
     * @param total how many to zero, at most the number of weights
     */
    public static long[] counts(List<float[]> magnitudes, long total) {
        long size = 0;
        for (float[] tensor : magnitudes) {
            size += tensor.length;
        }
        if (total < 0 || total > size) {
            throw new IllegalArgumentException("cannot zero " + total + " of " + size + " weights");
        }
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("more than 2^31 weights in one selection is not supported");
        }
        float[] scores = new float[(int) size];
        int[] offsets = new int[magnitudes.size() + 1];
        for (int t = 0; t < magnitudes.size(); t++) {
            float[] own = scores(magnitudes.get(t));
            System.arraycopy(own, 0, scores, offsets[t], own.length);
            offsets[t + 1] = offsets[t] + own.length;
        }
        int[] picked = SmallestMagnitudes.select(scores, (int) total);
        long[] counts = new long[magnitudes.size()];
        int tensor = 0;
        for (int index : picked) {
            while (index >= offsets[tensor + 1]) {
                tensor++;
            }
            counts[tensor]++;
        }
        return counts;
    }

    /** Every weight's score, in the tensor's own order. */
    static float[] scores(float[] magnitudes) {
        int n = magnitudes.length;
        // Ascending magnitude, ties by position (the order SmallestMagnitudes picks in within a tensor): the bits
        // of a non-negative float order as its value, so one primitive sort of (bits, index) keys does it.
        long[] order = new long[n];
        for (int i = 0; i < n; i++) {
            order[i] = ((long) Float.floatToIntBits(magnitudes[i] + 0f) << 32) | i;
        }
        Arrays.sort(order);
        float[] scores = new float[n];
        double suffix = 0;
        for (int r = n - 1; r >= 0; r--) {
            int i = (int) order[r];
            double square = (double) magnitudes[i] * magnitudes[i];
            if (!Double.isFinite(square)) {
                // A non-finite weight is never a candidate and must not make every other score 0.
                scores[i] = Float.POSITIVE_INFINITY;
                continue;
            }
            suffix += square;
            scores[i] = suffix == 0 ? 0f : (float) (square / suffix);
        }
        return scores;
    }
}
