package io.github.onnxprune.search;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Finds the largest scale of the configured fractions whose gate passes: the upper bounds first (done when they
 * pass), then bisection of [0, 1] until the budget is spent or the largest fraction's bracket is narrower than
 * {@link #RESOLUTION}, then the budget's remaining candidates probe above the bracket. Every fraction measured is
 * a multiple of 0.0001 (the scale times the bound, rounded down), so the chosen one can be written into a pom and
 * gives the same bytes again. Deterministic: the same measurements give the same candidates.
 */
public final class CompressionSearch {

    /** Bisection stops once the largest fraction is known to this absolute precision. */
    public static final double RESOLUTION = 0.01;

    private CompressionSearch() {
    }

    /** What measuring one pair of fractions gave. */
    public record Measured<T>(double metric, boolean passes, T payload) {
    }

    /** Measures a candidate; {@code T} carries whatever the caller wants back for the chosen one. */
    @FunctionalInterface
    public interface Evaluator<T> {

        /** Prunes to these fractions and measures the gate. */
        Measured<T> evaluate(double sparsity, double nodeSparsity);
    }

    /**
     * The trace and the chosen candidate.
     *
     * @param candidates every candidate in the order measured
     * @param chosen the passing candidate of the largest fractions, or, when none passed, the one of the best
     *     metric
     * @param payload the evaluator's payload for {@code chosen}
     * @param passed whether any candidate passed
     * @param seconds wall time of the whole search
     */
    public record Outcome<T>(List<Candidate> candidates, Candidate chosen, T payload, boolean passed,
            double seconds) {

        public Outcome {
            candidates = List.copyOf(candidates);
        }
    }

    /** How many halvings narrow a bracket of the whole range to {@link #RESOLUTION} of the largest fraction. */
    static int bisections(double widest) {
        int bisections = 0;
        for (double width = 1; width * widest > RESOLUTION; width /= 2) {
            bisections++;
        }
        return bisections;
    }

    /**
     * Searches between no pruning and the bounds {@code sparsity} and {@code nodeSparsity}.
     *
     * @param higherIsBetter how to pick the best candidate when none passes
     * @param progress receives one line per measured candidate
     */
    public static <T> Outcome<T> run(double sparsity, double nodeSparsity, int budget, boolean higherIsBetter,
            Evaluator<T> evaluator, Consumer<String> progress) {
        long start = System.nanoTime();
        List<Candidate> candidates = new ArrayList<>();
        Candidate chosen = null;
        T payload = null;
        Candidate best = null;
        T bestPayload = null;
        double low = 0;
        double high = 1;
        double widest = Math.max(sparsity, nodeSparsity);
        double scale = 1;
        // Bisection assumes the metric falls as the fractions rise; on small validation sets it does not always
        // (a re-fit can score better at 0.6 than at 0.5). Candidates the budget has left after bisection probe
        // the range above the lowest failure, from the top down, and the first that passes is taken.
        List<Double> probes = new ArrayList<>();
        boolean probing = false;
        int bisecting = Math.min(budget, 1 + bisections(widest));
        while (candidates.size() < budget) {
            if (candidates.size() >= bisecting) {
                if (chosen == null) {
                    // Nothing passed even near zero: above the bracket nothing will.
                    break;
                }
                if (!probing) {
                    probing = true;
                    int left = budget - candidates.size();
                    for (int i = left; i >= 1; i--) {
                        double probe = high + (1 - high) * i / (left + 1);
                        // A fraction bisection already measured would measure the same again.
                        if (candidates.stream().noneMatch(c -> c.sparsity() == atScale(sparsity, probe)
                                && c.nodeSparsity() == atScale(nodeSparsity, probe))) {
                            probes.add(probe);
                        }
                    }
                }
                if (probes.isEmpty()) {
                    break;
                }
                scale = probes.remove(0);
            }
            double s = atScale(sparsity, scale);
            double n = atScale(nodeSparsity, scale);
            long began = System.nanoTime();
            Measured<T> measured = evaluator.evaluate(s, n);
            double seconds = (System.nanoTime() - began) / 1e9;
            Candidate candidate = new Candidate(candidates.size() + 1, s, n, measured.metric(), measured.passes(),
                    seconds);
            candidates.add(candidate);
            if (measured.passes()) {
                if (scale > low) {
                    low = scale;
                    chosen = candidate;
                    payload = measured.payload();
                }
            } else if (!probing) {
                high = scale;
            }
            if (best == null || (higherIsBetter ? measured.metric() > best.metric()
                    : measured.metric() < best.metric())) {
                best = candidate;
                bestPayload = measured.payload();
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            boolean done = measured.passes() && (scale == 1 || probing) || candidates.size() == budget
                    || !probing && candidates.size() == bisecting && chosen == null
                    || probing && probes.isEmpty();
            int left = budget - candidates.size();
            progress.accept(String.format(Locale.ROOT, "candidate %d of at most %d%s: %s, metric %.4f %s;"
                    + " %.1f s elapsed%s", candidate.index(), budget, probing ? " (probing above the bracket)" : "",
                    describe(s, n), measured.metric(), measured.passes() ? "passes" : "fails", elapsed,
                    done ? "" : String.format(Locale.ROOT, ", about %.1f s left",
                            elapsed / candidates.size() * left)));
            if (done) {
                break;
            }
            if (candidates.size() < bisecting) {
                scale = (low + high) / 2;
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return chosen != null ? new Outcome<>(candidates, chosen, payload, true, seconds)
                : new Outcome<>(candidates, best, bestPayload, false, seconds);
    }

    /** {@code bound * scale} rounded down to a multiple of 0.0001, so that it prints exactly. */
    static double atScale(double bound, double scale) {
        return Math.floor(bound * scale * 10_000 + 1e-9) / 10_000;
    }

    /** "sparsity 0.4500" or "nodeSparsity 0.2500, sparsity 0.4500". */
    public static String describe(double sparsity, double nodeSparsity) {
        return nodeSparsity > 0 ? String.format(Locale.ROOT, "nodeSparsity %.4f, sparsity %.4f", nodeSparsity,
                sparsity) : String.format(Locale.ROOT, "sparsity %.4f", sparsity);
    }
}
