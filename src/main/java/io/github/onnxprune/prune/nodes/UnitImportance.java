package io.github.onnxprune.prune.nodes;

import java.util.Locale;

/**
 * How much a unit matters: the norm of its weights (sum of absolute values or Euclidean length), or, from
 * calibration data, how much its activation fluctuates times the weights that read it.
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
    FLUCTUATION;

    /** Parses {@code l1} or {@code l2}, in any case. */
    public static UnitImportance parse(String text) {
        for (UnitImportance value : values()) {
            if (value.name().equalsIgnoreCase(text.trim())) {
                return value;
            }
        }
        throw new IllegalArgumentException("unknown unit importance '" + text + "': use l1, l2 or fluctuation");
    }

    /** The configuration spelling. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
