package io.github.onnxprune.prune;

import java.util.SplittableRandom;

/**
 * Picks the k smallest of an array of magnitudes in linear expected time (quickselect, not a sort), breaking
 * ties by position so that the same input always gives the same choice.
 */
public final class SmallestMagnitudes {

    private SmallestMagnitudes() {
    }

    /** Indices of the {@code k} smallest values, ascending; among equal values the lower index wins. */
    public static int[] select(float[] magnitudes, int k) {
        int n = magnitudes.length;
        if (k < 0 || k > n) {
            throw new IllegalArgumentException("cannot pick " + k + " of " + n);
        }
        int[] chosen = new int[k];
        if (k == 0) {
            return chosen;
        }
        float threshold = kthSmallest(magnitudes.clone(), k - 1);
        int count = 0;
        int below = 0;
        for (float magnitude : magnitudes) {
            if (magnitude < threshold) {
                below++;
            }
        }
        int tiesToTake = k - below;
        for (int i = 0; i < n && count < k; i++) {
            float magnitude = magnitudes[i];
            if (magnitude < threshold) {
                chosen[count++] = i;
            } else if (magnitude == threshold && tiesToTake > 0) {
                chosen[count++] = i;
                tiesToTake--;
            }
        }
        return chosen;
    }

    /** The value of rank {@code rank} (0-based) in ascending order; reorders {@code values}. */
    static float kthSmallest(float[] values, int rank) {
        // The seed only steers pivot choice; the value found is the same for any pivots.
        SplittableRandom random = new SplittableRandom(0x5eed);
        int low = 0;
        int high = values.length - 1;
        while (low < high) {
            float pivot = values[low + random.nextInt(high - low + 1)];
            // Three-way partition keeps runs of equal magnitudes (zeros, ties) from degrading to quadratic time.
            int lessEnd = low;
            int greaterStart = high;
            int i = low;
            while (i <= greaterStart) {
                float value = values[i];
                if (value < pivot) {
                    swap(values, i++, lessEnd++);
                } else if (value > pivot) {
                    swap(values, i, greaterStart--);
                } else {
                    i++;
                }
            }
            if (rank < lessEnd) {
                high = lessEnd - 1;
            } else if (rank > greaterStart) {
                low = greaterStart + 1;
            } else {
                return pivot;
            }
        }
        return values[rank];
    }

    private static void swap(float[] values, int a, int b) {
        float t = values[a];
        values[a] = values[b];
        values[b] = t;
    }
}
