package io.github.onnxprune.search;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Finds the largest scale of the configured fractions whose gate passes: the upper bounds first (done when they
 * pass), then bisection of [0, 1] until the largest fraction's bracket is at most twice {@link #RESOLUTION} wide.
 * The metric is not monotone near the gate's limit on small validation sets (a re-fit can pass at 0.86 and fail at
 * 0.83 and 0.85), so the candidates left then scan the grid of {@link #RESOLUTION} steps just above the best pass
 * ({@link #GRID_STEPS} of them at most) from the top down, each fraction scaled alike, until one passes. The
 * budget counts every model evaluation: what these candidates leave goes to the sensitivity profile (a
 * {@link Profiler}), and what the profile leaves to the fallback, which tries the totals above the best pass again
 * with the most sensitive tensors held at a lower fraction and the rest pruned further. Every fraction measured is a
 * multiple of 0.0001, so the chosen one can be written into a pom and gives the same bytes again. Deterministic: the
 * same measurements give the same candidates, unless a time budget stops the search first.
 */
public final class CompressionSearch {

    /**
     * The grid step of the largest fraction: bisection stops once its bracket is at most two steps wide, and the
     * scan above the best pass tries its multiples.
     */
    public static final double RESOLUTION = 0.01;

    /**
     * How many grid steps above the best pass the scan covers at most: the passes above failures measured on the
     * fixtures lay up to five steps above bisection's best (digits-ffn, layerwise, re-fitted: 0.86 above 0.8164).
     */
    public static final int GRID_STEPS = 5;

    /** Phase of a candidate chosen by halving the bracket (and of the bounds themselves). */
    public static final String BISECTION = "bisection";

    /** Phase of a candidate on the grid above the best pass. */
    public static final String PROBE = "probe";

    /** Phase of a candidate that holds the most sensitive tensors back. */
    public static final String FALLBACK = "fallback";

    private CompressionSearch() {
    }

    /** What measuring one candidate gave. */
    public record Measured<T>(double metric, boolean passes, T payload) {
    }

    /**
     * Measures the sensitivity profile with the evaluations the search's own candidates left, and ranks the groups
     * the fallback holds back by it.
     */
    @FunctionalInterface
    public interface Profiler {

        /** No profile and no fallback. */
        Profiler NONE = measured(SensitivityFallback.NONE);

        /**
         * The profile measured in at most {@code evaluations} model runs, none started once {@code timeUp} says
         * so.
         */
        Profiled profile(int evaluations, java.util.function.BooleanSupplier timeUp);

        /** A profile measured elsewhere: it costs the search nothing. */
        static Profiler measured(SensitivityFallback fallback) {
            return (evaluations, timeUp) -> new Profiled(List.of(), fallback);
        }
    }

    /** A measured profile's curves (one model run per point) and the fallback ranked by them. */
    public record Profiled(List<SensitivityProfile.Curve> curves, SensitivityFallback fallback) {

        public Profiled {
            curves = List.copyOf(curves);
        }

        /** How many model runs the profile took: one per point. */
        public int evaluations() {
            return curves.stream().mapToInt(curve -> curve.points().size()).sum();
        }
    }

    /** Measures a candidate; {@code T} carries whatever the caller wants back for the chosen one. */
    @FunctionalInterface
    public interface Evaluator<T> {

        /** Prunes to these fractions and measures the gate. */
        Measured<T> evaluate(Candidate.Fractions fractions);
    }

    /**
     * The trace and the chosen candidate.
     *
     * @param candidates every candidate in the order measured
     * @param chosen the passing candidate of the largest total, or, when none passed, the one of the best metric
     * @param payload the evaluator's payload for {@code chosen}
     * @param passed whether any candidate passed
     * @param seconds wall time of the whole search, sensitivity profile included
     * @param timeUp whether a time budget stopped it before its candidates were spent
     * @param sensitivity the profile's curves, as far as the budget left them room
     */
    public record Outcome<T>(List<Candidate> candidates, Candidate chosen, T payload, boolean passed,
            double seconds, boolean timeUp, List<SensitivityProfile.Curve> sensitivity) {

        public Outcome {
            candidates = List.copyOf(candidates);
            sensitivity = List.copyOf(sensitivity);
        }

        /** Every model evaluation the search spent: its candidates and the profile's runs. */
        public int evaluations() {
            return candidates.size() + sensitivity.stream().mapToInt(curve -> curve.points().size()).sum();
        }
    }

    /** How many halvings narrow a bracket of the whole range to two {@link #RESOLUTION} steps of the widest. */
    static int bisections(double widest) {
        int bisections = 0;
        for (double width = 1; width * widest > 2 * RESOLUTION; width /= 2) {
            bisections++;
        }
        return bisections;
    }

    /** A search of at most {@code budget} candidates, without fallback or time limit. */
    public static <T> Outcome<T> run(double sparsity, double nodeSparsity, int budget, boolean higherIsBetter,
            Evaluator<T> evaluator, Consumer<String> progress) {
        return run(sparsity, nodeSparsity, new SearchSettings(true, budget), System.nanoTime(), higherIsBetter,
                Profiler.NONE, evaluator, progress);
    }

    /**
     * Searches between no pruning and the bounds {@code sparsity} and {@code nodeSparsity}.
     *
     * @param budget the evaluations (candidates and the profile's runs) and minutes it may spend
     * @param startNanos when the search began ({@link System#nanoTime}), for a time budget that includes work
     *     done before this call
     * @param higherIsBetter how to pick the best candidate when none passes
     * @param profiler measures the sensitivity profile with what the candidates leave of the budget, and gives
     *     the tensors to hold back, most sensitive first; {@link Profiler#NONE} for none
     * @param progress receives one line per measured candidate
     */
    public static <T> Outcome<T> run(double sparsity, double nodeSparsity, SearchSettings budget, long startNanos,
            boolean higherIsBetter, Profiler profiler, Evaluator<T> evaluator, Consumer<String> progress) {
        return new Search<>(sparsity, nodeSparsity, budget, startNanos, higherIsBetter, profiler, evaluator,
                progress).run();
    }

    /** One search's state: the trace, the best so far and what is left of the budget. */
    private static final class Search<T> {

        private final double sparsity;
        private final double nodeSparsity;
        private final SearchSettings budget;
        private final long start;
        private final boolean higherIsBetter;
        private final Profiler profiler;
        private SensitivityFallback fallback = SensitivityFallback.NONE;
        private List<SensitivityProfile.Curve> sensitivity = List.of();
        private int profiled;
        private final Evaluator<T> evaluator;
        private final Consumer<String> progress;
        private final List<Candidate> candidates = new ArrayList<>();
        private Candidate chosen;
        private T payload;
        private Candidate best;
        private T bestPayload;
        private boolean timeUp;
        /** The most candidates the plan can still measure, for the estimate of what remains. */
        private int planned;

        Search(double sparsity, double nodeSparsity, SearchSettings budget, long start, boolean higherIsBetter,
                Profiler profiler, Evaluator<T> evaluator, Consumer<String> progress) {
            this.sparsity = sparsity;
            this.nodeSparsity = nodeSparsity;
            this.budget = budget;
            this.start = start;
            this.higherIsBetter = higherIsBetter;
            this.profiler = profiler;
            this.evaluator = evaluator;
            this.progress = progress;
        }

        Outcome<T> run() {
            boolean fallbackMayFollow = bisectAndScan();
            if (!timeUp && left() > 0) {
                Profiled profile = profiler.profile(left(), this::timeSpent);
                sensitivity = profile.curves();
                profiled = profile.evaluations();
                fallback = profile.fallback();
            }
            if (fallbackMayFollow && !timeUp) {
                fallBack(left());
            }
            return outcome();
        }

        /** What the budget still allows: it counts candidates and the profile's runs alike. */
        private int left() {
            return budget.budget() - candidates.size() - profiled;
        }

        private boolean timeSpent() {
            return budget.minutes() > 0 && System.nanoTime() - start >= budget.minutes() * 60e9;
        }

        /**
         * The bounds, bisection and the grid scan above its best pass; whether a fallback may still improve on
         * the result (something passed below the bound, and no time budget stopped it).
         */
        private boolean bisectAndScan() {
            double low = 0;
            double high = 1;
            double scale = 1;
            int bisecting = Math.min(budget.budget(), 1 + bisections(Math.max(sparsity, nodeSparsity)));
            planned = budget.budget();
            while (candidates.size() < bisecting) {
                Candidate.Fractions fractions = new Candidate.Fractions(atScale(sparsity, scale),
                        atScale(nodeSparsity, scale), List.of());
                boolean bound = scale == 1;
                // Nothing follows a bound that passes, nor a bisection in which nothing passed.
                Measured<T> measured = measure(fractions, BISECTION, () -> bound && chosen != null
                        || candidates.size() == bisecting && chosen == null ? 0 : left());
                if (measured == null) {
                    return false;
                }
                if (measured.passes()) {
                    low = scale;
                    if (bound) {
                        return false;
                    }
                } else {
                    high = scale;
                }
                scale = (low + high) / 2;
            }
            if (chosen == null) {
                // Nothing passed even near zero: above the bracket nothing will.
                return false;
            }
            scanGrid(Math.min(GRID_STEPS, left()));
            return true;
        }

        /**
         * Bisection assumes the metric falls as the fractions rise; near the gate's limit on a small validation set
         * it does not (isolated passes above failures). Takes the {@code count} multiples of {@link #RESOLUTION} of
         * the largest fraction just above the best pass, up to the bound and not yet measured, and measures them
         * from the top down until one passes: that one is the largest pass among them, as an exhaustive grid over
         * them would find it, for at most {@code count} candidates.
         */
        private void scanGrid(int count) {
            double widest = Math.max(sparsity, nodeSparsity);
            double best = Math.max(chosen.sparsity(), chosen.nodeSparsity());
            List<Candidate.Fractions> grid = new ArrayList<>();
            for (long step = (long) Math.floor(best / RESOLUTION + 1e-9) + 1;
                    grid.size() < count && step * RESOLUTION <= widest + 1e-9; step++) {
                double scale = step * RESOLUTION / widest;
                Candidate.Fractions fractions = new Candidate.Fractions(atScale(sparsity, scale),
                        atScale(nodeSparsity, scale), List.of());
                // A fraction bisection already measured would measure the same again.
                if (candidates.stream().noneMatch(c -> c.fractions().equals(fractions))) {
                    grid.add(0, fractions);
                }
            }
            while (!grid.isEmpty()) {
                Candidate.Fractions fractions = grid.remove(0);
                int after = grid.size();
                // What may follow: the profile's and the fallback's evaluations, or without them the grid points
                // left until a pass.
                Measured<T> measured = measure(fractions, PROBE, () -> profiler != Profiler.NONE ? left()
                        : chosenIsLast() ? 0 : after);
                if (measured == null || measured.passes()) {
                    return;
                }
            }
        }

        /**
         * From the lowest untried total above the best pass (the lowest failure above it, or one
         * {@link #RESOLUTION} step up when none failed within a step), holds the most sensitive tensors back, one
         * more each time a total fails; each pass doubles the step to the next total tried (up to the bound).
         * Measures at most {@code limit} candidates, fewer when no more tensors can be held back.
         */
        private void fallBack(int limit) {
            if (fallback.groups().isEmpty() || limit <= 0) {
                return;
            }
            double target = Math.min(lowestFailureAbove(chosen.total()), floor4(chosen.total() + RESOLUTION));
            double step = Math.max(target - chosen.total(), RESOLUTION / 2);
            int count = 1;
            int end = candidates.size() + limit;
            while (candidates.size() < end && target <= sparsity) {
                Candidate.Fractions fractions = fallback.restoring(count, target, sparsity);
                if (fractions == null) {
                    return;
                }
                Measured<T> measured = measure(fractions, FALLBACK, this::left);
                if (measured == null) {
                    return;
                }
                if (measured.passes()) {
                    step *= 2;
                    double next = Math.min(sparsity, floor4(chosen.total() + step));
                    if (next <= chosen.total()) {
                        return;
                    }
                    target = next;
                } else {
                    count++;
                }
            }
        }

        private boolean chosenIsLast() {
            return chosen == candidates.get(candidates.size() - 1);
        }

        private double lowestFailureAbove(double total) {
            double lowest = Double.MAX_VALUE;
            for (Candidate candidate : candidates) {
                if (!candidate.passes() && candidate.total() > total) {
                    lowest = Math.min(lowest, candidate.total());
                }
            }
            return lowest;
        }

        /**
         * Measures one candidate and logs its line; null, measuring nothing, when the time budget is spent.
         * {@code remaining} tells, once measured, how many candidates may still follow.
         */
        private Measured<T> measure(Candidate.Fractions fractions, String phase,
                java.util.function.IntSupplier remaining) {
            double elapsedBefore = (System.nanoTime() - start) / 1e9;
            if (budget.minutes() > 0 && !candidates.isEmpty() && elapsedBefore >= budget.minutes() * 60) {
                timeUp = true;
                progress.accept(String.format(Locale.ROOT, "time budget of %s min spent (%.1f s elapsed) after %d"
                        + " of at most %d candidates; starting no more",
                        SearchSettings.minutesText(budget.minutes()), elapsedBefore, candidates.size(),
                        budget.budget()));
                return null;
            }
            long began = System.nanoTime();
            Measured<T> measured = evaluator.evaluate(fractions);
            double seconds = (System.nanoTime() - began) / 1e9;
            double total = fractions.restored().isEmpty() ? (sparsity > 0 ? fractions.sparsity()
                    : fractions.nodeSparsity()) : floor4(fallback.total(fractions));
            Candidate candidate = new Candidate(candidates.size() + 1, phase, fractions.sparsity(),
                    fractions.nodeSparsity(), fractions.restored(), total, measured.metric(), measured.passes(),
                    seconds);
            candidates.add(candidate);
            if (measured.passes() && (chosen == null || total > chosen.total())) {
                chosen = candidate;
                payload = measured.payload();
            }
            if (best == null || (higherIsBetter ? measured.metric() > best.metric()
                    : measured.metric() < best.metric())) {
                best = candidate;
                bestPayload = measured.payload();
            }
            planned = Math.min(left(), remaining.getAsInt());
            progress.accept(line(candidate));
            return measured;
        }

        private String line(Candidate candidate) {
            double elapsed = (System.nanoTime() - start) / 1e9;
            String estimate = "";
            if (planned > 0) {
                double searching = candidates.stream().mapToDouble(Candidate::seconds).sum();
                double left = searching / candidates.size() * planned;
                if (budget.minutes() > 0) {
                    left = Math.min(left, Math.max(0, budget.minutes() * 60 - elapsed));
                }
                estimate = String.format(Locale.ROOT, ", about %.1f s left", left);
            }
            String phase = switch (candidate.phase()) {
                case PROBE -> " (probing the grid above the best pass)";
                case FALLBACK -> " (holding back the most sensitive)";
                default -> "";
            };
            return String.format(Locale.ROOT, "candidate %d of at most %d%s: %s, metric %.4f %s; %.1f s elapsed%s",
                    candidate.index(), budget.budget(), phase, describe(candidate), candidate.metric(),
                    candidate.passes() ? "passes" : "fails", elapsed, estimate);
        }

        private Outcome<T> outcome() {
            double seconds = (System.nanoTime() - start) / 1e9;
            return chosen != null ? new Outcome<>(candidates, chosen, payload, true, seconds, timeUp, sensitivity)
                    : new Outcome<>(candidates, best, bestPayload, false, seconds, timeUp, sensitivity);
        }
    }

    /** {@code bound * scale} rounded down to a multiple of 0.0001, so that it prints exactly. */
    static double atScale(double bound, double scale) {
        return floor4(bound * scale);
    }

    /** Rounded down to a multiple of 0.0001 (a hair of float error does not round a whole step away). */
    static double floor4(double value) {
        return Math.floor(value * 10_000 + 1e-9) / 10_000;
    }

    /** "sparsity 0.4500" or "nodeSparsity 0.2500, sparsity 0.4500". */
    public static String describe(double sparsity, double nodeSparsity) {
        return nodeSparsity > 0 ? String.format(Locale.ROOT, "nodeSparsity %.4f, sparsity %.4f", nodeSparsity,
                sparsity) : String.format(Locale.ROOT, "sparsity %.4f", sparsity);
    }

    /**
     * A candidate's fractions, with the tensors it held back: "sparsity 0.4500" or "total 0.8600: sparsity 0.9100,
     * fc3.weight 0.2500".
     */
    public static String describe(Candidate candidate) {
        if (candidate.restored().isEmpty()) {
            return describe(candidate.sparsity(), candidate.nodeSparsity());
        }
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT, "total %.4f: sparsity %.4f",
                candidate.total(), candidate.sparsity()));
        for (Candidate.Restored restored : candidate.restored()) {
            text.append(String.format(Locale.ROOT, ", %s %.4f", restored.tensor(), restored.sparsity()));
        }
        return text.toString();
    }
}
