package io.github.onnxprune.search;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * How much each group of weight tensors alone can lose (a {@link TensorGroup}: one tensor, or a transformer block's
 * tensors of one role): the gate's metric when only that group is pruned (plain magnitude, the cheap signal, no
 * re-fit) to 25, 50, 75 and 90%. Measured level by level, every group at 25% before any at 50%, so that a profile
 * cut short by a time budget still covers every group at the low levels. A curve stops at its first level that
 * fails the gate, since higher levels only fall further. A search measures it with the evaluations its candidates
 * leave ({@link CompressionSearch.Profiler}), so it may stop after any evaluation.
 */
public final class SensitivityProfile {

    /** The fractions each group is pruned to, in order. */
    public static final List<Double> LEVELS = List.of(0.25, 0.5, 0.75, 0.9);

    /** How many failing groups a level's progress line names. */
    private static final int NAMED = 3;

    private SensitivityProfile() {
    }

    /** One measured level of one group. */
    public record Point(double sparsity, double metric, boolean passes) {
    }

    /**
     * One group's curve, possibly cut short at its first failing level, or not measured at all.
     *
     * @param points the measured levels, one model run each
     * @param outputErrors the cheap signal at every level of {@link #LEVELS}, in order: the relative output
     *     error of the group's layers pruned alone, summed over its tensors, which costs no model run; empty when
     *     the group has none (a Conv kernel, an embedding table)
     */
    public record Curve(TensorGroup group, List<Point> points, List<Double> outputErrors) {

        public Curve {
            points = List.copyOf(points);
            outputErrors = List.copyOf(outputErrors);
        }

        /** A measured curve without the cheap signal. */
        public Curve(TensorGroup group, List<Point> points) {
            this(group, points, List.of());
        }

        /** The curve of a group of one tensor. */
        public Curve(String tensor, long size, List<Point> points) {
            this(TensorGroup.single(tensor, size), points);
        }

        /** The group's name. */
        public String name() {
            return group.name();
        }
    }

    /** Measures the metric of the model with only the tensors of {@code group} pruned to {@code sparsity}. */
    @FunctionalInterface
    public interface Evaluator {

        /** The metric and the gate's verdict. */
        CompressionSearch.Measured<?> evaluate(TensorGroup group, double sparsity);
    }

    /** The curve of every group in {@code groups}, in order. */
    public static List<Curve> measure(List<TensorGroup> groups, Evaluator evaluator, Consumer<String> progress) {
        return measure(groups, evaluator, progress, () -> false, true, Integer.MAX_VALUE);
    }

    /**
     * The curves of {@code groups}, measured until {@code timeUp} says to start no more evaluations or
     * {@code limit} evaluations are spent; a group measured at no level has no curve. From the second level on,
     * the groups whose metric was worst at the level before go first (ties in the given order), so that a profile
     * cut short has measured the likeliest sensitive groups deepest.
     *
     * @param higherIsBetter whether a higher metric is the better one
     * @param limit the most evaluations it may take
     */
    public static List<Curve> measure(List<TensorGroup> groups, Evaluator evaluator, Consumer<String> progress,
            BooleanSupplier timeUp, boolean higherIsBetter, int limit) {
        long start = System.nanoTime();
        List<List<Point>> points = new ArrayList<>();
        List<Integer> active = new ArrayList<>();
        for (int t = 0; t < groups.size(); t++) {
            points.add(new ArrayList<>());
            active.add(t);
        }
        int evaluations = 0;
        for (int level = 0; level < LEVELS.size() && !active.isEmpty(); level++) {
            double fraction = LEVELS.get(level);
            if (level > 0) {
                active.sort(Comparator.comparingDouble(t -> worseFirst(points.get(t), higherIsBetter)));
            }
            List<Integer> failed = new ArrayList<>();
            int measured = 0;
            for (int t : active) {
                boolean outOfTime = timeUp.getAsBoolean();
                if (outOfTime || evaluations >= limit) {
                    progress.accept(String.format(Locale.ROOT, "profile stopped at %.0f%%, %s %d of %d, after %d"
                            + " evaluations in %.1f s: %s", fraction * 100, unit(groups).replaceAll("s$", ""),
                            measured + 1, active.size(), evaluations, seconds(start), outOfTime
                                    ? "the time budget is spent" : "the search's budget of evaluations is spent"));
                    return curves(groups, points);
                }
                CompressionSearch.Measured<?> result = evaluator.evaluate(groups.get(t), fraction);
                evaluations++;
                measured++;
                points.get(t).add(new Point(fraction, result.metric(), result.passes()));
                if (!result.passes()) {
                    failed.add(t);
                }
            }
            active.removeAll(failed);
            double elapsed = seconds(start);
            // At most every group still passing is measured at every level left.
            long left = (long) active.size() * LEVELS.subList(level + 1, LEVELS.size()).size();
            progress.accept(String.format(Locale.ROOT, "level %.0f%% (%d of %d): %d %s measured, %s; %.1f s"
                    + " elapsed%s", fraction * 100, level + 1, LEVELS.size(), measured, unit(groups),
                    failing(groups, points, failed), elapsed, left == 0 ? ""
                            : String.format(Locale.ROOT, ", at most %.1f s left", elapsed / evaluations * left)));
        }
        return curves(groups, points);
    }

    /**
     * Every group of {@code groups}, in order, with its measured points from {@code measured} (none when the
     * budget left it no evaluation) and its cheap signal from {@code outputErrors} (indexed by group, then level;
     * null or NaN where a group has none): a profile that reports every group even when no model run was left
     * for it.
     */
    public static List<Curve> withOutputErrors(List<TensorGroup> groups, List<Curve> measured,
            double[][] outputErrors) {
        List<Curve> curves = new ArrayList<>();
        for (int g = 0; g < groups.size(); g++) {
            TensorGroup group = groups.get(g);
            List<Point> points = measured.stream().filter(c -> c.group().equals(group)).findFirst()
                    .map(Curve::points).orElse(List.of());
            List<Double> errors = new ArrayList<>();
            double[] row = outputErrors == null ? null : outputErrors[g];
            if (row != null && java.util.Arrays.stream(row).noneMatch(Double::isNaN)) {
                java.util.Arrays.stream(row).forEach(errors::add);
            }
            if (!points.isEmpty() || !errors.isEmpty()) {
                curves.add(new Curve(group, points, errors));
            }
        }
        return curves;
    }

    /** A sort key putting the worse last metric first. */
    static double worseFirst(List<Point> curve, boolean higherIsBetter) {
        double metric = curve.get(curve.size() - 1).metric();
        return higherIsBetter ? metric : -metric;
    }

    /** "tensors" when every group is one tensor, as in a model without blocks, "groups" otherwise. */
    private static String unit(List<TensorGroup> groups) {
        return groups.stream().allMatch(g -> g.tensors().size() == 1) ? "tensors" : "groups";
    }

    private static String failing(List<TensorGroup> groups, List<List<Point>> points, List<Integer> failed) {
        if (failed.isEmpty()) {
            return "all pass alone";
        }
        StringBuilder text = new StringBuilder().append(failed.size()).append(" fail alone (");
        for (int i = 0; i < Math.min(NAMED, failed.size()); i++) {
            List<Point> curve = points.get(failed.get(i));
            text.append(i == 0 ? "" : ", ").append(groups.get(failed.get(i)).name()).append(String.format(Locale.ROOT,
                    " %.4f", curve.get(curve.size() - 1).metric()));
        }
        return text.append(failed.size() > NAMED ? ", ...)" : ")").toString();
    }

    private static List<Curve> curves(List<TensorGroup> groups, List<List<Point>> points) {
        List<Curve> curves = new ArrayList<>();
        for (int t = 0; t < groups.size(); t++) {
            if (!points.get(t).isEmpty()) {
                curves.add(new Curve(groups.get(t), points.get(t)));
            }
        }
        return curves;
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }
}
