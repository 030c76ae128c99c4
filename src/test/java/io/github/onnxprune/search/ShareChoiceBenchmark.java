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
import io.github.onnxprune.pipeline.Quantization;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.nodes.UnitImportance;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the global scope's share choice costs a search, which its budget does not count: the same search (bound
 * 0.95, at most 0.05 accuracy drop, budget 6, re-fitted on the validation data) with {@code layerwise} and with
 * {@code global}, alternated in one JVM, three times each after one warm-up pair. Prints per fixture and scope the
 * median wall time of the search's model, its candidates, profile runs, share-choice runs and chosen total.
 *
 * <p>A command, not a test; see docs/search.md for how to run it.
 */
public final class ShareChoiceBenchmark {

    private static final int REPEATS = 3;

    private ShareChoiceBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        String[][] fixtures = {{"digits-mlp", "digits-mlp/validation.npz"},
            {"digits-cnn-bn", "digits-cnn/validation.npz"}};
        try (ModelPruningPipeline pipeline = new ModelPruningPipeline("bench", 1, line -> { })) {
            for (String[] fixture : fixtures) {
                for (Scope scope : List.of(Scope.LAYERWISE, Scope.GLOBAL)) {
                    pipeline.process(task(fixture[0], fixture[1], scope));
                }
                List<List<Double>> seconds = List.of(new ArrayList<>(), new ArrayList<>());
                Map<?, ?>[] traces = new Map<?, ?>[2];
                for (int repeat = 0; repeat < REPEATS; repeat++) {
                    for (int s = 0; s < 2; s++) {
                        long start = System.nanoTime();
                        ModelResult result = pipeline.process(task(fixture[0], fixture[1],
                                s == 0 ? Scope.LAYERWISE : Scope.GLOBAL));
                        seconds.get(s).add((System.nanoTime() - start) / 1e9);
                        traces[s] = (Map<?, ?>) result.report().step(SearchReport.ID).orElseThrow().fields()
                                .get(SearchReport.ID);
                    }
                }
                for (int s = 0; s < 2; s++) {
                    List<Double> sorted = seconds.get(s).stream().sorted().toList();
                    Map<?, ?> trace = traces[s];
                    System.out.printf(Locale.ROOT, "%-14s %-9s median %.2f s of %s; candidates %s, profile runs %s,"
                            + " share-choice runs %s, total %s%n", fixture[0], s == 0 ? "layerwise" : "global",
                            sorted.get(REPEATS / 2), seconds.get(s).stream().map(v -> String.format(Locale.ROOT,
                                    "%.2f", v)).toList(), trace.get("evaluations"), trace.get("profileEvaluations"),
                            trace.containsKey("shareChoiceRuns") ? trace.get("shareChoiceRuns") : 0,
                            trace.get("total"));
                }
            }
        }
    }

    private static ModelTask task(String fixture, String data, Scope scope) {
        return new ModelTask(Fixtures.load(fixture).modelFile(), "models/m.onnx", new PruningSettings(
                PruneMethod.WEIGHTS, 0.95, 0, scope, List.of(), TensorFilter.all(), UnitImportance.L1,
                Quantization.NONE, new SearchSettings(true, 6)), new EvaluationSettings(Fixtures.fixture(data), null,
                        Metric.ACCURACY, null, 64, 0, 1, true, CalibrationSettings.defaults()),
                new GateLimits(null, 0.05));
    }
}
