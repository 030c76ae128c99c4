package io.github.onnxprune.gate;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Checks a pruned model's measured metric against the user's limits, as jacoco's check does for coverage. */
public final class AccuracyGate {

    private AccuracyGate() {
    }

    /**
     * Compares the measured values with the limits.
     *
     * @param model the model's path inside the artifact
     * @param metric the metric's configuration name
     * @param higherIsBetter false for error metrics such as mse
     * @param baseline the original model's value
     * @param pruned the pruned model's value
     * @param pruning a short description of what was done, e.g. "weights at sparsity 0.50 (layerwise)"
     * @param limits the limits
     */
    public static GateVerdict check(String model, String metric, boolean higherIsBetter, double baseline,
            double pruned, String pruning, GateLimits limits) {
        return check(model, metric, higherIsBetter, baseline, pruned, pruning, limits, PRUNING_REMEDIES);
    }

    /** What a user can change when pruning costs too much, in the order the message lists them. */
    public static final List<String> PRUNING_REMEDIES = List.of("lower <sparsity>",
            "leave the most sensitive layers out with <tensorExcludes> or a <sparsityOverrides> entry");

    /**
     * {@link #check(String, String, boolean, double, double, String, GateLimits)} with the remedies the message
     * suggests before relaxing the limit (e.g. "lower &lt;sparsity&gt;"); none leaves only that.
     */
    public static GateVerdict check(String model, String metric, boolean higherIsBetter, double baseline,
            double pruned, String pruning, GateLimits limits, List<String> remedies) {
        List<String> violations = new ArrayList<>();
        String measured = String.format(Locale.ROOT, "Model %s: %s is %s after pruning %s (the original model"
                + " scores %s)", model, metric, format(pruned), pruning, format(baseline));
        String relax = "relax the limit if the loss is acceptable.";
        String advice = remedies.isEmpty() ? " R" + relax.substring(1) : " " + Character.toUpperCase(
                remedies.get(0).charAt(0)) + String.join(", ", remedies).substring(1) + ", or " + relax;
        if (limits.minAccuracy() != null) {
            double limit = limits.minAccuracy();
            boolean broken = higherIsBetter ? pruned < limit : pruned > limit;
            if (broken) {
                violations.add(measured + String.format(Locale.ROOT, ", but %s is %s.",
                        higherIsBetter ? "the minimum allowed (minAccuracy)" : "the maximum allowed (minAccuracy,"
                                + " a ceiling for " + metric + ")", format(limit)) + advice);
            }
        }
        if (limits.maxAccuracyDrop() != null) {
            double drop = higherIsBetter ? baseline - pruned : pruned - baseline;
            double limit = limits.maxAccuracyDrop();
            // Values are rounded to the report's precision first, so a drop shown as equal to the limit passes.
            if (round(drop) > round(limit)) {
                violations.add(measured + String.format(Locale.ROOT,
                        ", a %s of %s, but the largest allowed (maxAccuracyDrop) is %s.",
                        higherIsBetter ? "drop" : "rise", format(drop), format(limit)) + advice);
            }
        }
        return new GateVerdict(model, violations);
    }

    private static double round(double value) {
        return Math.round(value * 1e6) / 1e6;
    }

    /** Formats a metric value the way every message and table shows it. */
    public static String format(double value) {
        return String.format(Locale.ROOT, "%.4f", value);
    }
}
