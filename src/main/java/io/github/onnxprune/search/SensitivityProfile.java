package io.github.onnxprune.search;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * How much each weight tensor alone can lose: the gate's metric when only that tensor is pruned (plain magnitude,
 * the cheap signal, no re-fit) to 25, 50, 75 and 90%. A curve stops at its first level that fails the gate, since
 * higher levels only fall further.
 */
public final class SensitivityProfile {

    /** The fractions each tensor is pruned to, in order. */
    public static final List<Double> LEVELS = List.of(0.25, 0.5, 0.75, 0.9);

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
        long start = System.nanoTime();
        List<Curve> curves = new ArrayList<>();
        for (int t = 0; t < tensors.size(); t++) {
            List<Point> points = new ArrayList<>();
            StringBuilder line = new StringBuilder();
            for (double level : LEVELS) {
                CompressionSearch.Measured<?> measured = evaluator.evaluate(tensors.get(t), level);
                points.add(new Point(level, measured.metric(), measured.passes()));
                line.append(line.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.0f%% %.4f%s",
                        level * 100, measured.metric(), measured.passes() ? "" : " fails"));
                if (!measured.passes()) {
                    break;
                }
            }
            curves.add(new Curve(tensors.get(t), sizes.get(t), points));
            double elapsed = (System.nanoTime() - start) / 1e9;
            int left = tensors.size() - t - 1;
            progress.accept(String.format(Locale.ROOT, "tensor %d of %d, %s: %s; %.1f s elapsed%s", t + 1,
                    tensors.size(), tensors.get(t), line, elapsed, left == 0 ? ""
                            : String.format(Locale.ROOT, ", about %.1f s left", elapsed / (t + 1) * left)));
        }
        return curves;
    }
}
