package io.github.onnxprune.prune;

import java.util.Arrays;
import java.util.List;

/**
 * Spreads one count of weights to zero over several tensors from evidence no tensor's scale can change. Each
 * tensor's share is a blend of two scale-free allocations: the uniform one (every tensor at the overall
 * fraction, as the layerwise scope) and the LAMP one (Lee et al., 2021: each weight scores its squared magnitude
 * over the sum of the squares of the weights of its tensor at least as large, and the smallest scores over all
 * tensors go). LAMP alone sees which tensors hold many interchangeable small weights, but it spares small output
 * layers so far that the wide layers feeding them are emptied beyond repair; the blend keeps its direction and
 * halves (or, before a re-fit, quarters) its reach. Multiplying a tensor by any constant, as folding
 * BatchNormalization into a convolution does, leaves both parts, and so its share, unchanged.
 */
public final class GlobalAllocation {

    /**
     * The LAMP part's weight when the pruned weights are used as they are: measured on the fixtures
     * (docs/global-scope.md) against 0.15 to 1.
     */
    public static final double SALIENCY_SHARE = 0.5;

    /**
     * The LAMP part's weight when calibration re-fits the pruned layers afterwards: the re-fit makes up for much
     * of what a heavily pruned layer loses downstream, so an allocation nearer uniform measured better.
     */
    public static final double SALIENCY_SHARE_BEFORE_REFIT = 0.25;

    private GlobalAllocation() {
    }

    /**
     * How many weights of each tensor to zero so that exactly {@code total} are zeroed in all: for tensor t of
     * n_t weights, {@code (1 - share) * n_t * total / N + share * lamp_t} rounded down, then the weights still
     * missing one each to the tensors with the largest remainders (ties to the earlier tensor).
     *
     * @param magnitudes each tensor's absolute weight values (not modified)
     * @param total how many to zero, at most the number of weights
     * @param share the LAMP part's weight, from 0 (uniform) to 1 (LAMP alone)
     */
    public static long[] counts(List<float[]> magnitudes, long total, double share) {
        if (!(share >= 0 && share <= 1)) {
            throw new IllegalArgumentException("share " + share + " is not between 0 and 1");
        }
        long size = 0;
        for (float[] tensor : magnitudes) {
            size += tensor.length;
        }
        if (total < 0 || total > size) {
            throw new IllegalArgumentException("cannot zero " + total + " of " + size + " weights");
        }
        long[] lamp = share == 0 ? new long[magnitudes.size()] : lampCounts(magnitudes, total);
        double[] target = new double[magnitudes.size()];
        long[] counts = new long[magnitudes.size()];
        long assigned = 0;
        for (int t = 0; t < target.length; t++) {
            int n = magnitudes.get(t).length;
            target[t] = size == 0 ? 0 : (1 - share) * ((double) n * total / size) + share * lamp[t];
            counts[t] = Math.min(n, (long) Math.floor(target[t]));
            assigned += counts[t];
        }
        // The two parts each sum to total, so the floors fall short by fewer than one weight per tensor. Rounding
        // the sum of doubles may also leave it a weight over, taken back from the smallest remainders.
        while (assigned < total) {
            int best = -1;
            for (int t = 0; t < target.length; t++) {
                if (counts[t] < magnitudes.get(t).length
                        && (best < 0 || target[t] - counts[t] > target[best] - counts[best])) {
                    best = t;
                }
            }
            counts[best]++;
            assigned++;
        }
        while (assigned > total) {
            int best = -1;
            for (int t = 0; t < target.length; t++) {
                if (counts[t] > 0 && (best < 0 || target[t] - counts[t] < target[best] - counts[best])) {
                    best = t;
                }
            }
            counts[best]--;
            assigned--;
        }
        return counts;
    }

    /**
     * The LAMP allocation alone: the {@code total} smallest scores over every tensor, ties going to the earlier
     * tensor, then the earlier position.
     *
     * @param magnitudes each tensor's absolute weight values (not modified)
     * @param total how many to zero, at most the number of weights
     */
    public static long[] lampCounts(List<float[]> magnitudes, long total) {
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
