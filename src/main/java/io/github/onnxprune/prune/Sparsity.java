package io.github.onnxprune.prune;

/** Checks on sparsity fractions, shared by every place that accepts one. */
public final class Sparsity {

    private Sparsity() {
    }

    /** Throws unless {@code value} is in [0, 1); {@code what} names the setting in the message. */
    public static void check(double value, String what) {
        if (!(value >= 0.0 && value < 1.0)) {
            throw new IllegalArgumentException(what + " is " + value
                    + " but a sparsity must be at least 0 and below 1 (0.5 removes half)");
        }
    }

    /** How many of {@code count} elements a fraction removes: floor(fraction * count), exactly. */
    public static long countToRemove(double fraction, long count) {
        // Both operands are exact doubles for realistic sizes; floor of their product is the documented count.
        return (long) Math.floor(fraction * count);
    }
}
