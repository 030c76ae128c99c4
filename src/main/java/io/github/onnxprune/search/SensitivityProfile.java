package io.github.onnxprune.search;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * How much each weight tensor alone can lose: the gate's metric when only that tensor is pruned (plain magnitude,
 * the cheap signal, no re-fit) to 25, 50, 75 and 90%. Measured level by level, every tensor at 25% before any at
 * 50%, so that a profile cut short by a time budget still covers every tensor at the low levels. A curve stops at
 * its first level that fails the gate, since higher levels only fall further.
 */
public final class SensitivityProfile {

    /** The fractions each tensor is pruned to, in order. */
    public static final List<Double> LEVELS = List.of(0.25, 0.5, 0.75, 0.9);

    /** How many failing tensors a level's progress line names. */
    private static final int NAMED = 3;

    private SensitivityProfile() {
    }

    /** One measured level of one tensor. */
    public record Point(double sparsity, double metric, boolean passes) {
    }

    /** One tensor's curve, possibly cut short at its first failing level. */
    public record Curve(String tensor, long size, List<Point> points) {

        public Curve {
            points = List.copyOf(points);
        }
    }

    /** Measures the metric of the model with only {@code tensor} pruned to {@code sparsity}. */
    @FunctionalInterface
    public interface Evaluator {

        /** The metric and the gate's verdict. */
        CompressionSearch.Measured<?> evaluate(String tensor, double sparsity);
    }

    /** The curve of every tensor in {@code tensors}, whose sizes are {@code sizes}, in order. */
    public static List<Curve> measure(List<String> tensors, List<Long> sizes, Evaluator evaluator,
            Consumer<String> progress) {
        return measure(tensors, sizes, evaluator, progress, () -> false, true);
    }

    /**
     * The curves of {@code tensors}, measured until {@code timeUp} says to start no more evaluations; a tensor
     * measured at no level has no curve. From the second level on, the tensors whose metric was worst at the level
     * before go first (ties in the given order), so that a profile cut short has measured the likeliest sensitive
     * tensors deepest.
     *
     * @param higherIsBetter whether a higher metric is the better one
     */
    public static List<Curve> measure(List<String> tensors, List<Long> sizes, Evaluator evaluator,
            Consumer<String> progress, BooleanSupplier timeUp, boolean higherIsBetter) {
        long start = System.nanoTime();
        List<List<Point>> points = new ArrayList<>();
        List<Integer> active = new ArrayList<>();
        for (int t = 0; t < tensors.size(); t++) {
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
                if (timeUp.getAsBoolean()) {
                    progress.accept(String.format(Locale.ROOT, "time budget: profile stopped at %.0f%%, tensor %d"
                            + " of %d, after %d evaluations in %.1f s; the search takes the rest of the time",
                            fraction * 100, measured + 1, active.size(), evaluations, seconds(start)));
                    return curves(tensors, sizes, points);
                }
                CompressionSearch.Measured<?> result = evaluator.evaluate(tensors.get(t), fraction);
                evaluations++;
                measured++;
                points.get(t).add(new Point(fraction, result.metric(), result.passes()));
                if (!result.passes()) {
                    failed.add(t);
                }
            }
            active.removeAll(failed);
            double elapsed = seconds(start);
            // At most every tensor still passing is measured at every level left.
            long left = (long) active.size() * LEVELS.subList(level + 1, LEVELS.size()).size();
            progress.accept(String.format(Locale.ROOT, "level %.0f%% (%d of %d): %d tensors measured, %s; %.1f s"
                    + " elapsed%s", fraction * 100, level + 1, LEVELS.size(), measured, failing(tensors, points,
                            failed), elapsed, left == 0 ? "" : String.format(Locale.ROOT, ", at most %.1f s left",
                                    elapsed / evaluations * left)));
        }
        return curves(tensors, sizes, points);
    }

    /** A sort key putting the worse last metric first. */
    static double worseFirst(List<Point> curve, boolean higherIsBetter) {
        double metric = curve.get(curve.size() - 1).metric();
        return higherIsBetter ? metric : -metric;
    }

    private static String failing(List<String> tensors, List<List<Point>> points, List<Integer> failed) {
        if (failed.isEmpty()) {
            return "all pass alone";
        }
        StringBuilder text = new StringBuilder().append(failed.size()).append(" fail alone (");
        for (int i = 0; i < Math.min(NAMED, failed.size()); i++) {
            List<Point> curve = points.get(failed.get(i));
            text.append(i == 0 ? "" : ", ").append(tensors.get(failed.get(i))).append(String.format(Locale.ROOT,
                    " %.4f", curve.get(curve.size() - 1).metric()));
        }
        return text.append(failed.size() > NAMED ? ", ...)" : ")").toString();
    }

    private static List<Curve> curves(List<String> tensors, List<Long> sizes, List<List<Point>> points) {
        List<Curve> curves = new ArrayList<>();
        for (int t = 0; t < tensors.size(); t++) {
            if (!points.get(t).isEmpty()) {
                curves.add(new Curve(tensors.get(t), sizes.get(t), points.get(t)));
            }
        }
        return curves;
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }
}
