package io.github.onnxprune.report;

import static io.github.onnxprune.Fixtures.fixture;

import io.github.onnxprune.eval.Metric;
import io.github.onnxprune.gate.GateLimits;
import io.github.onnxprune.pipeline.CalibrationSettings;
import io.github.onnxprune.pipeline.EvaluationSettings;
import io.github.onnxprune.pipeline.ModelPruningPipeline;
import io.github.onnxprune.pipeline.ModelTask;
import io.github.onnxprune.pipeline.PruneMethod;
import io.github.onnxprune.pipeline.PruningSettings;
import io.github.onnxprune.pipeline.Quantization;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.nodes.UnitImportance;
import io.github.onnxprune.search.SearchSettings;
import java.util.List;

/**
 * report.json of a real run that draws every part of the page: the digits fixture with units removed, then a
 * search (with its sensitivity profile) over the weights, measured by ONNX Runtime.
 */
final class SearchedReport {

    private SearchedReport() {
    }

    /** The report.json bytes as a build writes them, for plugin version 1.2.3. */
    static byte[] json() throws Exception {
        ModelTask task = new ModelTask(fixture("digits-mlp/model.onnx"), "models/digits.onnx",
                new PruningSettings(PruneMethod.WEIGHTS, 0.95, 0.25, Scope.GLOBAL, List.of(), TensorFilter.all(),
                        UnitImportance.L1, Quantization.NONE, new SearchSettings(true, 18)),
                new EvaluationSettings(fixture("digits-mlp/validation.npz"), null, Metric.ACCURACY, null, 64, 0, 3,
                        true, CalibrationSettings.defaults()),
                new GateLimits(null, 0.02));
        ModelReport produced;
        try (ModelPruningPipeline pipeline = new ModelPruningPipeline("1.2.3", 1)) {
            produced = pipeline.process(task).report();
        }
        return ReportJson.toBytes("1.2.3", List.of(produced));
    }

    /**
     * report.json of a run with {@code <sensitivity>} and no search: the digits fixture with a quarter of its units
     * removed and int8, so that the units' and int8 profiles are drawn.
     */
    static byte[] profiledJson() throws Exception {
        ModelTask task = new ModelTask(fixture("digits-mlp/model.onnx"), "models/digits.onnx",
                new PruningSettings(PruneMethod.NODES, 0.25, 0, Scope.LAYERWISE, List.of(), TensorFilter.all(),
                        UnitImportance.L1, new Quantization("int8", List.of(), true),
                        SearchSettings.OFF.withProfile(true)),
                new EvaluationSettings(fixture("digits-mlp/validation.npz"), null, Metric.ACCURACY, null, 64, 0, 3,
                        true, CalibrationSettings.defaults()),
                new GateLimits(null, 0.10));
        ModelReport produced;
        try (ModelPruningPipeline pipeline = new ModelPruningPipeline("1.2.3", 1)) {
            produced = pipeline.process(task).report();
        }
        return ReportJson.toBytes("1.2.3", List.of(produced));
    }
}
