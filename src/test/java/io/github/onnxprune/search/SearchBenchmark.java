package io.github.onnxprune.search;

import io.github.onnxprune.Fixtures;
import io.github.onnxprune.eval.Metric;
import io.github.onnxprune.gate.GateLimits;
import io.github.onnxprune.pipeline.CalibrationSettings;
import io.github.onnxprune.pipeline.EvaluationSettings;
import io.github.onnxprune.pipeline.ModelPruningPipeline;
import io.github.onnxprune.pipeline.ModelResult;
import io.github.onnxprune.pipeline.ModelTask;
import io.github.onnxprune.pipeline.PruneMethod;
import io.github.onnxprune.pipeline.PruningSettings;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.nodes.UnitImportance;
import io.github.onnxprune.report.StepSection;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * For every fixture, weight pruning (global scope, re-fitted on the validation data as the plugin's default
 * does) under a gate of at most 0.01 accuracy drop: the search up to sparsity 0.95 with the default budget,
 * against an exhaustive grid of sparsities 0.01, 0.02, ... 0.95 measured by the same pipeline and gate (its
 * largest passing point, found scanning down from 0.95).
 * Prints the search's choice, its candidates, the sensitivity profile's evaluations, both together (what the
 * budget of 12 counts) and its last bracket, and the grid's largest passing sparsity.
 *
 * <p>A command, not a test; see docs/search.md for how to run it. Arguments: grid step (default 0.01), scope
 * (default global).
 */
public final class SearchBenchmark {

    private SearchBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        double step = args.length > 0 ? Double.parseDouble(args[0]) : 0.01;
        Scope scope = args.length > 1 ? Scope.parse(args[1]) : Scope.GLOBAL;
        GateLimits gate = new GateLimits(null, 0.01);
        System.out.printf(Locale.ROOT, "%-18s %6s %9s %5s %7s %5s %8s %9s %6s %9s %8s%n", "model", "search",
                "phase", "cands", "profile", "all", "bracket", "search s", "grid", "grid s", "grid runs");
        try (ModelPruningPipeline pipeline = new ModelPruningPipeline("bench", 1)) {
            for (String name : Fixtures.names()) {
                Fixtures.Loaded fixture = Fixtures.load(name);
                Path data = switch (name) {
                    case "digits-mlp" -> Fixtures.fixture("digits-mlp/validation.npz");
                    case "wine-mlp" -> Fixtures.fixture("wine-mlp/npy");
                    case "digits-cnn-bn", "digits-cnn-folded" -> Fixtures.fixture("digits-cnn/validation.npz");
                    default -> Fixtures.fixture("digits-ffn/validation.npz");
                };
                long began = System.nanoTime();
                ModelResult searched = pipeline.process(task(fixture.modelFile(), data, 0.95, true, gate, scope));
                double searchSeconds = (System.nanoTime() - began) / 1e9;
                StepSection section = searched.report().steps().get(searched.report().steps().size() - 1);
                @SuppressWarnings("unchecked")
                Map<String, Object> trace = (Map<String, Object>) section.fields().get("search");
                @SuppressWarnings("unchecked")
                List<Map<String, Object>> candidates = (List<Map<String, Object>>) trace.get("candidates");
                double low = 0;
                double high = 0.95;
                for (Map<String, Object> candidate : candidates) {
                    double s = ((Number) candidate.get("total")).doubleValue();
                    if ((Boolean) candidate.get("passes")) {
                        low = Math.max(low, s);
                    } else {
                        high = Math.min(high, s);
                    }
                }
                began = System.nanoTime();
                double gridBest = 0;
                int measured = 0;
                int points = (int) Math.round(0.95 / step);
                // The grid's answer is its largest passing point: scanning down from the top and stopping at the
                // first pass finds it with fewer runs than measuring every point.
                for (int i = points; i >= 1; i--) {
                    double s = Math.round(i * step * 10_000) / 10_000.0;
                    measured++;
                    if (pipeline.process(task(fixture.modelFile(), data, s, false, gate, scope)).passed()) {
                        gridBest = s;
                        break;
                    }
                }
                double gridSeconds = (System.nanoTime() - began) / 1e9;
                String phase = candidates.stream().filter(c -> Boolean.TRUE.equals(c.get("passes"))
                        && c.get("total").equals(trace.get("total"))).map(c -> (String) c.get("phase")).findFirst()
                        .orElse("none");
                for (Map<String, Object> candidate : candidates) {
                    System.out.println("  " + candidate);
                }
                int profiled = ((Number) trace.get("profileEvaluations")).intValue();
                System.out.printf(Locale.ROOT, "%-18s %6.4f %9s %5d %7d %5d %8.4f %8.1fs %6.2f %8.1fs %5d%n", name,
                        ((Number) trace.get("total")).doubleValue(), phase, candidates.size(), profiled,
                        candidates.size() + profiled, high - low,
                        searchSeconds, gridBest, gridSeconds, measured);
            }
        }
    }

    private static ModelTask task(Path model, Path data, double sparsity, boolean search, GateLimits gate,
            Scope scope) {
        return new ModelTask(model, "models/m.onnx", new PruningSettings(PruneMethod.WEIGHTS, sparsity, 0,
                scope, List.of(), TensorFilter.all(), UnitImportance.L1,
                io.github.onnxprune.pipeline.Quantization.NONE, search ? new SearchSettings(true, 12)
                        : SearchSettings.OFF),
                new EvaluationSettings(data, null, Metric.ACCURACY, null, 64, 0, 1, true,
                        CalibrationSettings.defaults()), gate);
    }
}
