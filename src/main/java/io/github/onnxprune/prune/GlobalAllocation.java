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
        // Within a tensor a score only grows with its weight's rank in ascending magnitude (the square grows, the
        // sum of the squares at least as large shrinks), so each tensor's scores, listed by rank, are sorted, and
        // how many of them lie below a threshold is a binary search. Only counts are needed, not which weights.
        float[][] sorted = new float[magnitudes.size()][];
        for (int t = 0; t < sorted.length; t++) {
            sorted[t] = rankedScores(magnitudes.get(t));
        }
        return smallestCounts(sorted, total);
    }

    /**
     * The first global scope's allocation, one raw magnitude threshold over every tensor: the {@code total}
     * smallest magnitudes of all tensors, ties going to the earlier tensor, then the earlier position. Scale fools
     * it (a tensor scaled down, as BatchNormalization folding may, loses the most), so the global scope keeps it
     * only where it measures strictly better on the calibration data than the blend and uniform shares.
     *
     * @param magnitudes each tensor's absolute weight values (not modified)
     * @param total how many to zero, at most the number of weights
     */
    public static long[] thresholdCounts(List<float[]> magnitudes, long total) {
        float[][] sorted = new float[magnitudes.size()][];
        for (int t = 0; t < sorted.length; t++) {
            int[] bits = ascendingBits(magnitudes.get(t));
            sorted[t] = new float[bits.length];
            for (int i = 0; i < bits.length; i++) {
                // NaN sorts above infinity; as infinity it still goes last and is still counted.
                float magnitude = Float.intBitsToFloat(bits[i]);
                sorted[t][i] = Float.isNaN(magnitude) ? Float.POSITIVE_INFINITY : magnitude;
            }
        }
        return smallestCounts(sorted, total);
    }

    /**
     * How many of each tensor's ascending {@code sorted} values are among the {@code total} smallest over all
     * tensors, values equal to the last one taken going to the earlier tensor first.
     */
    private static long[] smallestCounts(float[][] sorted, long total) {
        long size = 0;
        for (float[] tensor : sorted) {
            size += tensor.length;
        }
        if (total < 0 || total > size) {
            throw new IllegalArgumentException("cannot zero " + total + " of " + size + " weights");
        }
        long[] counts = new long[sorted.length];
        if (total == 0) {
            return counts;
        }
        // The smallest value with at least total values at or below it, by bisection over the bits of
        // non-negative floats, which order as their values (+infinity, a non-finite weight's score, included).
        int low = 0;
        int high = Float.floatToIntBits(Float.POSITIVE_INFINITY);
        while (low < high) {
            int middle = low + (high - low) / 2;
            if (countAtMost(sorted, Float.intBitsToFloat(middle)) >= total) {
                high = middle;
            } else {
                low = middle + 1;
            }
        }
        float threshold = Float.intBitsToFloat(low);
        long taken = 0;
        for (int t = 0; t < sorted.length; t++) {
            counts[t] = below(sorted[t], threshold);
            taken += counts[t];
        }
        // Values equal to the threshold go to the earlier tensor first, as in one selection over all values.
        for (int t = 0; t < sorted.length && taken < total; t++) {
            long ties = atMost(sorted[t], threshold) - counts[t];
            long more = Math.min(ties, total - taken);
            counts[t] += more;
            taken += more;
        }
        return counts;
    }

    private static long countAtMost(float[][] sorted, float threshold) {
        long count = 0;
        for (float[] scores : sorted) {
            count += atMost(scores, threshold);
        }
        return count;
    }

    /** How many of the ascending {@code scores} are below {@code threshold}: at most the float just beneath it. */
    private static int below(float[] scores, float threshold) {
        return atMost(scores, Math.nextDown(threshold));
    }

    /** How many of the ascending {@code scores} are at most {@code threshold}. */
    private static int atMost(float[] scores, float threshold) {
        int low = 0;
        int high = scores.length;
        while (low < high) {
            int middle = (low + high) >>> 1;
            if (scores[middle] <= threshold) {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        return low;
    }

    /**
     * A tensor's scores in ascending order: those of its weights by ascending magnitude. Equal magnitudes get
     * their scores in rank order too, so the list is the same whichever of them is taken first.
     */
    static float[] rankedScores(float[] magnitudes) {
        int[] ascending = ascendingBits(magnitudes);
        float[] scores = new float[ascending.length];
        double suffix = 0;
        for (int r = ascending.length - 1; r >= 0; r--) {
            float magnitude = Float.intBitsToFloat(ascending[r]);
            double square = (double) magnitude * magnitude;
            if (!Double.isFinite(square)) {
                scores[r] = Float.POSITIVE_INFINITY;
                continue;
            }
            suffix += square;
            scores[r] = suffix == 0 ? 0f : (float) (square / suffix);
        }
        return scores;
    }

    /**
     * The bits of the magnitudes in ascending order: non-negative floats (NaN above infinity) order as their bits,
     * so four stable counting passes of 8 bits sort them in linear time, several times faster than a comparison
     * sort on tensors of millions of weights.
     */
    private static int[] ascendingBits(float[] magnitudes) {
        int n = magnitudes.length;
        int[] keys = new int[n];
        for (int i = 0; i < n; i++) {
            // -0 + 0 is +0: as a magnitude it is the same value.
            keys[i] = Float.floatToIntBits(magnitudes[i] + 0f);
        }
        int[] buffer = new int[n];
        int[] counts = new int[257];
        for (int shift = 0; shift < 32; shift += 8) {
            Arrays.fill(counts, 0);
            for (int key : keys) {
                counts[((key >>> shift) & 0xff) + 1]++;
            }
            for (int b = 0; b < 256; b++) {
                counts[b + 1] += counts[b];
            }
            for (int key : keys) {
                buffer[counts[(key >>> shift) & 0xff]++] = key;
            }
            int[] swap = keys;
            keys = buffer;
            buffer = swap;
        }
        return keys;
    }
}
