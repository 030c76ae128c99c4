package io.github.onnxprune.gate;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/** Checks a pruned model's measured metric against the user's limits, as jacoco's check does for coverage. */
public final class AccuracyGate {

    /** The default of {@code <maxAccuracyDrop>}, as the goal declares it. */
    public static final String DEFAULT_MAX_DROP = "0.01";

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
        String relax = "relax the limit if the loss is acceptable.";
        String advice = remedies.isEmpty() ? " R" + relax.substring(1) : " " + Character.toUpperCase(
                remedies.get(0).charAt(0)) + String.join(", ", remedies).substring(1) + ", or " + relax;
        Double floor = limits.minAccuracy();
        boolean belowFloor = floor != null && (higherIsBetter ? pruned < floor : pruned > floor);
        String floorName = floorName(metric, higherIsBetter);
        double drop = higherIsBetter ? baseline - pruned : pruned - baseline;
        // Values are rounded to the report's precision first, so a drop shown as equal to the limit passes.
        boolean dropTooLarge = limits.maxAccuracyDrop() != null && round(drop) > round(limits.maxAccuracyDrop());
        String dropText = dropTooLarge ? String.format(Locale.ROOT, "a %s of %s", higherIsBetter ? "drop" : "rise",
                format(drop)) : null;
        String dropLimit = dropTooLarge ? "the largest allowed (maxAccuracyDrop) is "
                + format(limits.maxAccuracyDrop()) : null;
        if (belowFloor && (higherIsBetter ? baseline < floor : baseline > floor)) {
            // No pruning can pass a floor the original misses: the data or the limit is what needs fixing.
            return new GateVerdict(model, List.of(originalMisses(model, metric, baseline, floorName, floor,
                    String.format(Locale.ROOT, " (after pruning %s it scores %s%s)", pruning, format(pruned),
                            dropTooLarge ? ", " + dropText + " where " + dropLimit : ""))));
        }
        if (!belowFloor && !dropTooLarge) {
            return new GateVerdict(model, List.of());
        }
        // One paragraph per model, however many limits it breaks: the measurement and the advice said once.
        String broken = String.join(" and ", Stream.of(dropLimit,
                belowFloor ? floorName + " is " + format(floor) : null).filter(Objects::nonNull).toList());
        return new GateVerdict(model, List.of(String.format(Locale.ROOT, "Model %s: %s is %s after pruning %s (the"
                + " original model scores %s)%s, but %s.", model, metric, format(pruned), pruning, format(baseline),
                dropTooLarge ? ", " + dropText : "", broken) + dropStricterThanFloor(floor, belowFloor, dropTooLarge,
                higherIsBetter, baseline, limits.maxAccuracyDrop()) + advice));
    }

    /**
     * When the floor passes and the drop fails, the drop is the stricter limit, often its default unnoticed beside
     * a {@code <minAccuracy>} (with cosine the original scores 1, so 0.01 asks for 0.99): says what it asks for.
     */
    private static String dropStricterThanFloor(Double floor, boolean belowFloor, boolean dropTooLarge,
            boolean higherIsBetter, double baseline, Double maxDrop) {
        if (floor == null || belowFloor || !dropTooLarge) {
            return "";
        }
        double bound = higherIsBetter ? baseline - maxDrop : baseline + maxDrop;
        return String.format(Locale.ROOT, " It meets <minAccuracy> %s, but <maxAccuracyDrop> %s (%s by default, also"
                + " beside <minAccuracy>) asks for %s %s against the original's %s: set"
                + " <maxAccuracyDrop>%s</maxAccuracyDrop> to gate on <minAccuracy> alone.", format(floor),
                format(maxDrop), DEFAULT_MAX_DROP, higherIsBetter ? "at least" : "at most", format(bound),
                format(baseline), format(Math.abs(baseline - floor)));
    }

    /**
     * The failure of a model whose original already misses the floor, said before anything is pruned: a search
     * stops there ({@code stopped} says what it did not do, e.g. "the search measured no candidate"); empty when
     * no floor is set or the original meets it.
     */
    public static Optional<String> originalMissesFloor(String model, String metric, boolean higherIsBetter,
            double baseline, GateLimits limits, String stopped) {
        Double floor = limits.minAccuracy();
        if (floor == null || (higherIsBetter ? baseline >= floor : baseline <= floor)) {
            return Optional.empty();
        }
        String floorName = floorName(metric, higherIsBetter);
        return Optional.of(originalMisses(model, metric, baseline, floorName, floor, "; " + stopped));
    }

    private static String floorName(String metric, boolean higherIsBetter) {
        return higherIsBetter ? "the minimum allowed (minAccuracy)"
                : "the maximum allowed (minAccuracy, a ceiling for " + metric + ")";
    }

    /** The paragraph for a floor the original misses, with {@code after} right after "no pruning can pass". */
    private static String originalMisses(String model, String metric, double baseline, String floorName,
            double floor, String after) {
        return String.format(Locale.ROOT, "Model %s: the original model already scores %s %s on the validation"
                + " data, but %s is %s, so no pruning can pass%s. Check that <validationData> matches the model (the"
                + " labels named by <labelName>, the features in the model's order and scaling, the <outputName> and"
                + " <metric> that fit it), or set <minAccuracy> to what the original model reaches.", model, metric,
                format(baseline), floorName, format(floor), after);
    }

    private static double round(double value) {
        return Math.round(value * 1e6) / 1e6;
    }

    /** Formats a metric value the way every message and table shows it. */
    public static String format(double value) {
        return String.format(Locale.ROOT, "%.4f", value);
    }
}
