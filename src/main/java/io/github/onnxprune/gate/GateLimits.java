package io.github.onnxprune.gate;

/**
 * The accuracy a pruned model must keep; either limit may be absent.
 *
 * @param minAccuracy floor on the pruned model's metric value (for a lower-is-better metric such as mse, a
 *     ceiling), or null
 * @param maxAccuracyDrop the largest allowed worsening from the original model's value, or null
 */
public record GateLimits(Double minAccuracy, Double maxAccuracyDrop) {

    public GateLimits {
        if (maxAccuracyDrop != null && (maxAccuracyDrop.isNaN() || maxAccuracyDrop < 0)) {
            throw new IllegalArgumentException("maxAccuracyDrop is " + maxAccuracyDrop
                    + " but must be zero or more (0.01 allows one percentage point of accuracy to be lost)");
        }
        if (minAccuracy != null && minAccuracy.isNaN()) {
            throw new IllegalArgumentException("minAccuracy is not a number");
        }
    }

    /** Whether any limit is set. */
    public boolean any() {
        return minAccuracy != null || maxAccuracyDrop != null;
    }
}
