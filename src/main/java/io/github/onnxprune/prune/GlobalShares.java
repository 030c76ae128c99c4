package io.github.onnxprune.prune;

import java.util.Locale;

/**
 * How the global scope shares its total among tensors: the scope measures each of these on the calibration data
 * and keeps the best ({@code docs/global-scope.md}).
 */
public enum GlobalShares {
    /** Every tensor at the overall fraction, as the layerwise scope. */
    UNIFORM,
    /** Uniform blended with LAMP's scale-free scores ({@link GlobalAllocation#counts}). */
    BLEND,
    /** One raw magnitude threshold over every tensor ({@link GlobalAllocation#thresholdCounts}). */
    THRESHOLD;

    /** The spelling in report.json and the log: uniform, blend, threshold. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
