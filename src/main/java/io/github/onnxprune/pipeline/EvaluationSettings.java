package io.github.onnxprune.pipeline;

import io.github.onnxprune.eval.Metric;
import io.github.onnxprune.eval.ScoredOutput;
import java.nio.file.Path;

/**
 * How a model's accuracy and speed are measured.
 *
 * @param validationData the validation set, or null for none
 * @param labelName the labels' array or column name, or null for the format's default
 * @param metric what is measured
 * @param outputName the model output the metric reads, by name (null for the first), and how each sample's
 *     values become the row it scores; null for the first output as it is
 * @param batchSize samples per inference call where the batch dimension is dynamic
 * @param warmupRuns untimed single-sample runs before timing
 * @param latencyRuns timed single-sample runs; 0 measures no latency at all (neither single-sample nor batched)
 * @param requireValidation whether a model without validation data fails the build
 * @param calibration whether and on what data pruning is compensated
 */
public record EvaluationSettings(Path validationData, String labelName, Metric metric, ScoredOutput outputName,
        int batchSize, int warmupRuns, int latencyRuns, boolean requireValidation, CalibrationSettings calibration) {

    /** Settings without reconstruction, as before calibration existed (the mojo always passes its own). */
    public EvaluationSettings(Path validationData, String labelName, Metric metric, ScoredOutput outputName,
            int batchSize, int warmupRuns, int latencyRuns, boolean requireValidation) {
        this(validationData, labelName, metric, outputName, batchSize, warmupRuns, latencyRuns, requireValidation,
                CalibrationSettings.off());
    }

    /** Checks the counts, and that pooling is only asked of a metric that compares vectors. */
    public EvaluationSettings {
        if (outputName == null) {
            outputName = ScoredOutput.first();
        }
        if (outputName.pooling() != null && metric != null && metric.scoresClasses()) {
            throw new IllegalArgumentException("pooling " + outputName.pooling().id() + " is set, but metric "
                    + metric.id() + " reads one score per class and pools nothing. Leave <pooling> out, or use "
                    + "metric cosine or mse, which compare pooled vectors");
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize is " + batchSize + " but must be at least 1");
        }
        if (warmupRuns < 0 || latencyRuns < 0) {
            throw new IllegalArgumentException("warmupRuns and latencyRuns must be 0 or more, got "
                    + warmupRuns + " and " + latencyRuns);
        }
        java.util.Objects.requireNonNull(calibration, "calibration");
    }
}
