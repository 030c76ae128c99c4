package io.github.onnxprune.prune.nodes;

import java.util.Locale;

/**
 * How much a unit matters: the norm of its weights (sum of absolute values or Euclidean length), or, from
 * calibration data, how much its activation fluctuates times the weights that read it, or the output error its
 * removal leaves once the layer reading it is re-fitted.
 */
public enum UnitImportance {
    /** Sum of absolute values. */
    L1,
    /** Square root of the sum of squares. */
    L2,
    /**
     * With calibration data, FLAP's fluctuation: per input feature of the next layers, the variance of the
     * activation over the calibration tokens (padding excluded) times the squared norm of the weight row reading
     * it, summed over the unit's features (a head's: all its columns). The mean is not lost: compensation folds it
     * into the bias. Without data, L2 norms.
     */
    FLUCTUATION,
    /**
     * With calibration data, the compensated removal cost (Optimal Brain Surgeon on whole rows, as ZipLM): for a
     * group read by one layer alone (a head's columns read by the attention output projection, a feed-forward
     * unit read by the second layer), the output error removing it leaves once the reader's remaining rows are
     * re-fitted by least squares, from the covariance of the reader's input; units go greedily, the cheapest
     * first, the covariance's inverse and the remaining rows updated after each. Other groups rank by
     * fluctuation. Needs calibration data: without any the build fails.
     */
    COMPENSATED;

    /** Parses {@code l1}, {@code l2}, {@code fluctuation} or {@code compensated}, in any case. */
    public static UnitImportance parse(String text) {
        for (UnitImportance value : values()) {
            if (value.name().equalsIgnoreCase(text.trim())) {
                return value;
            }
        }
        throw new IllegalArgumentException("unknown unit importance '" + text
                + "': use l1, l2, fluctuation or compensated");
    }

    /** Whether units are ranked from calibration statistics (with data; fluctuation falls back to L2 norms). */
    public boolean fromCalibration() {
        return this == FLUCTUATION || this == COMPENSATED;
    }

    /** The configuration spelling. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
