package io.github.onnxprune.search;

import io.github.onnxprune.eval.Metric;
import io.github.onnxprune.report.JsonFields;
import io.github.onnxprune.report.StepSection;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** A search's part of the report: its trace for report.json, and the pom snippet that pins its result. */
public final class SearchReport {

    /** The step id the section carries. */
    public static final String ID = "search";

    /** The section id of a profile measured without a search. */
    public static final String PROFILE_ID = "sensitivity";

    private SearchReport() {
    }

    /**
     * The section for a search of model {@code entryName} up to the bounds {@code sparsity} and
     * {@code nodeSparsity}, whose gate measured {@code metric}.
     */
    public static StepSection section(String entryName, String metric, double sparsity, double nodeSparsity,
            SearchSettings budget, List<String> overrides, CompressionSearch.Outcome<?> outcome,
            List<SensitivityProfile.Curve> sensitivity) {
        List<JsonFields> candidates = new ArrayList<>();
        for (Candidate candidate : outcome.candidates()) {
            candidates.add(JsonFields.object().put("index", candidate.index()).put("phase", candidate.phase())
                    .put("sparsity", candidate.sparsity()).put("nodeSparsity", candidate.nodeSparsity())
                    .put("restored", JsonFields.list(restored(candidate))).put("total", candidate.total())
                    .put("metric", candidate.metric()).put("passes", candidate.passes())
                    .put("seconds", round(candidate.seconds())));
        }
        Candidate chosen = outcome.chosen();
        JsonFields search = JsonFields.object().put("maxSparsity", sparsity)
                .put("maxNodeSparsity", nodeSparsity).put("budget", budget.budget());
        if (budget.minutes() > 0) {
            search.put("budgetMinutes", budget.minutes()).put("timeUp", outcome.timeUp());
        }
        int profiled = sensitivity.stream().mapToInt(curve -> curve.points().size()).sum();
        search.put("evaluations", outcome.candidates().size()).put("profileEvaluations", profiled)
                .put("passed", outcome.passed())
                .put("sparsity", chosen.sparsity()).put("nodeSparsity", chosen.nodeSparsity())
                .put("restored", JsonFields.list(restored(chosen))).put("total", chosen.total())
                .put("metric", chosen.metric()).put("seconds", round(outcome.seconds()))
                .put("candidates", JsonFields.list(candidates));
        List<String> log = new ArrayList<>();
        if (outcome.timeUp()) {
            log.add(String.format(Locale.ROOT, "the time budget (%s min) stopped the search after %d candidates;"
                    + " a time budget makes the result depend on the machine's speed, so pin it",
                    SearchSettings.minutesText(budget.minutes()), outcome.candidates().size()));
        }
        if (outcome.passed()) {
            // The profile's runs are evaluations too (one model run each, without re-fit): counted in the budget.
            log.add(String.format(Locale.ROOT, "%s passes (%s %.4f), the strongest of %d candidates in %.1f s (%d"
                    + " of the budget's %d evaluations, %s); pin it in the pom to build without searching:",
                    CompressionSearch.describe(chosen), metric, chosen.metric(), outcome.candidates().size(),
                    outcome.seconds(), outcome.candidates().size() + profiled, budget.budget(), profiled == 0
                            ? "none left for the sensitivity profile" : profiled + " of them the sensitivity"
                                    + " profile's"));
            log.addAll(pin(entryName, chosen, overrides));
        } else {
            log.add(nonePassed(outcome).substring(2));
        }
        mostSensitive(sensitivity, metric).ifPresent(log::add);
        Map<String, Object> fields = new java.util.LinkedHashMap<>();
        fields.put("search", search.build());
        fields.put("sensitivity", curves(sensitivity));
        return new StepSection(ID, fields, 0, null, false, "search:", log,
                Map.of("onnx-prune.search", String.format(Locale.ROOT, "%d candidates, %s%s", outcome.candidates()
                        .size(), outcome.passed() ? "passed" : "none passed", chosen.restored().isEmpty() ? ""
                                : ", " + chosen.restored().size() + " sensitive tensors held back")));
    }

    /**
     * The section for a sensitivity profile measured without a search ({@code <sensitivity>}): its curves in
     * report.json and report.html, and the most sensitive group in the log.
     */
    public static StepSection profileSection(String metric, List<SensitivityProfile.Curve> sensitivity) {
        return profileSection(metric, sensitivity, List.of());
    }

    /**
     * The section for the profiles of weight pruning ({@code sensitivity}) and of node pruning ({@code units}:
     * each group of units alone removed), either possibly empty, measured without a search.
     */
    public static StepSection profileSection(String metric, List<SensitivityProfile.Curve> sensitivity,
            List<SensitivityProfile.Curve> units) {
        List<String> log = new ArrayList<>();
        if (!sensitivity.isEmpty()) {
            int evaluations = sensitivity.stream().mapToInt(curve -> curve.points().size()).sum();
            log.add(String.format(Locale.ROOT, "%d %s profiled in %d evaluations, each alone pruned plain",
                    sensitivity.stream().filter(c -> !c.points().isEmpty()).count(), sensitivity.stream()
                            .allMatch(c -> c.group().tensors().size() == 1) ? "tensors" : "groups", evaluations));
            mostSensitive(sensitivity, metric).ifPresent(log::add);
        }
        if (!units.isEmpty()) {
            log.add(String.format(Locale.ROOT, "%d groups of units profiled in %d evaluations, each alone thinned"
                    + " plain", units.size(), units.stream().mapToInt(curve -> curve.points().size()).sum()));
            mostSensitive(units, metric).map(line -> line.replace("report.json's sensitivity",
                    "report.json's unitSensitivity")).ifPresent(log::add);
        }
        if (sensitivity.isEmpty() && units.isEmpty()) {
            log.add("nothing to profile: no prunable weight or unit");
        }
        Map<String, Object> fields = new java.util.LinkedHashMap<>();
        fields.put("sensitivity", curves(sensitivity));
        if (!units.isEmpty()) {
            fields.put("unitSensitivity", curves(units));
        }
        return new StepSection(PROFILE_ID, fields, 0, null, false, "sensitivity:", log, Map.of());
    }

    private static List<Map<String, Object>> curves(List<SensitivityProfile.Curve> sensitivity) {
        List<JsonFields> curves = new ArrayList<>();
        for (SensitivityProfile.Curve curve : sensitivity) {
            List<JsonFields> points = new ArrayList<>();
            for (SensitivityProfile.Point point : curve.points()) {
                points.add(JsonFields.object().put("sparsity", point.sparsity()).put("metric", point.metric())
                        .put("passes", point.passes()));
            }
            JsonFields fields = JsonFields.object().put("name", curve.name()).put("tensors", curve.group().tensors())
                    .put("size", curve.group().size())
                    .put("points", JsonFields.list(points));
            if (!curve.outputErrors().isEmpty()) {
                List<JsonFields> errors = new ArrayList<>();
                for (int level = 0; level < curve.outputErrors().size(); level++) {
                    errors.add(JsonFields.object().put("sparsity", SensitivityProfile.LEVELS.get(level))
                            .put("outputError", curve.outputErrors().get(level)));
                }
                fields.put("outputErrors", JsonFields.list(errors));
            }
            curves.add(fields);
        }
        return JsonFields.list(curves);
    }

    /**
     * The line saying what the global scope's share choice cost a search: {@code runs} model runs on the calibration
     * samples over {@code candidates} candidates, which the budget does not count (docs/search.md says why).
     */
    public static String shareChoice(int candidates, int runs, boolean onValidationData) {
        return String.format(Locale.ROOT, "the global scope chose its shares in each of the %d candidates: %d model"
                + " runs on the %s (uniform shares, the blend and one threshold, each pruned and, with reconstruction,"
                + " re-fitted), not among the budget's evaluations", candidates, runs, onValidationData
                        ? "validation data (also the calibration data)" : "calibration data");
    }

    /** {@code section} with the share choice's {@code runs} in its trace, as {@code "shareChoiceRuns"}. */
    public static StepSection withShareRuns(StepSection section, int runs) {
        @SuppressWarnings("unchecked")
        Map<String, Object> search = new LinkedHashMap<>((Map<String, Object>) section.fields().get(ID));
        search.put("shareChoiceRuns", runs);
        return section.withField(ID, search);
    }

    /** The line naming the group that fails the gate alone at the lowest level, if any does. */
    private static Optional<String> mostSensitive(List<SensitivityProfile.Curve> sensitivity, String metric) {
        boolean higherIsBetter = Metric.parse(metric).higherIsBetter();
        SensitivityProfile.Curve weakest = null;
        for (SensitivityProfile.Curve curve : sensitivity) {
            // Only a curve that failed names a level; one cut short by a time budget ends passing. Among those
            // failing at the same level, the worse metric, as the fallback ranks them.
            boolean failed = !curve.points().isEmpty() && !curve.points().get(curve.points().size() - 1).passes();
            if (failed && (weakest == null || curve.points().size() < weakest.points().size()
                    || curve.points().size() == weakest.points().size() && SensitivityProfile.worseFirst(
                            curve.points(), higherIsBetter) < SensitivityProfile.worseFirst(weakest.points(),
                                    higherIsBetter))) {
                weakest = curve;
            }
        }
        if (weakest == null) {
            return Optional.empty();
        }
        SensitivityProfile.Point first = weakest.points().get(weakest.points().size() - 1);
        return Optional.of(String.format(Locale.ROOT, "most sensitive: %s fails the gate alone at %.0f%% (%s"
                + " %.4f); every %s curve is in report.json's sensitivity", weakest.name(), first.sparsity() * 100,
                metric, first.metric(), sensitivity.stream().allMatch(c -> c.group().tensors().size() == 1)
                        ? "tensor's" : "group's"));
    }

    /**
     * The {@code <model>} element that fixes the chosen fractions, one line each; tensors a fallback held back
     * become {@code <sparsityOverrides>} entries after the configured {@code overrides} ({@code pattern=fraction},
     * which a model's own list replaces, so they are repeated).
     */
    static List<String> pin(String entryName, Candidate chosen, List<String> overrides) {
        List<String> lines = new ArrayList<>();
        lines.add("<model>");
        lines.add("  <path>" + entryName + "</path>");
        if (chosen.nodeSparsity() > 0) {
            lines.add(String.format(Locale.ROOT, "  <nodeSparsity>%.4f</nodeSparsity>", chosen.nodeSparsity()));
        }
        lines.add(String.format(Locale.ROOT, "  <sparsity>%.4f</sparsity>", chosen.sparsity()));
        if (!chosen.restored().isEmpty()) {
            lines.add("  <sparsityOverrides>");
            for (String override : overrides) {
                lines.add("    <sparsityOverride>" + override + "</sparsityOverride>");
            }
            for (Candidate.Restored restored : chosen.restored()) {
                lines.add(String.format(Locale.ROOT, "    <sparsityOverride>%s=%.4f</sparsityOverride>",
                        restored.tensor(), restored.sparsity()));
            }
            lines.add("  </sparsityOverrides>");
        }
        lines.add("  <search>false</search>");
        lines.add("</model>");
        return lines;
    }

    /** What the gate's message adds when no candidate passed: how far the search went and its best. */
    public static String nonePassed(CompressionSearch.Outcome<?> outcome) {
        List<Candidate> candidates = outcome.candidates();
        Candidate least = candidates.get(0);
        for (Candidate candidate : candidates) {
            if (candidate.sparsity() + candidate.nodeSparsity() < least.sparsity() + least.nodeSparsity()) {
                least = candidate;
            }
        }
        return String.format(Locale.ROOT, ", the best of %d candidates a search measured (none passed the gate,"
                + " from %s down to %s; the best metric, %.4f, was at %s)", candidates.size(),
                CompressionSearch.describe(candidates.get(0).sparsity(), candidates.get(0).nodeSparsity()),
                CompressionSearch.describe(least.sparsity(), least.nodeSparsity()), outcome.chosen().metric(),
                CompressionSearch.describe(outcome.chosen().sparsity(), outcome.chosen().nodeSparsity()));
    }

    private static List<JsonFields> restored(Candidate candidate) {
        List<JsonFields> restored = new ArrayList<>();
        for (Candidate.Restored tensor : candidate.restored()) {
            restored.add(JsonFields.object().put("tensor", tensor.tensor()).put("sparsity", tensor.sparsity()));
        }
        return restored;
    }

    private static double round(double seconds) {
        return Math.round(seconds * 1000) / 1000.0;
    }
}
