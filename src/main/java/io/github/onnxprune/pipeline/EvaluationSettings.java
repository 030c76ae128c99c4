package io.github.onnxprune.pipeline;

import io.github.onnxprune.eval.Metric;
import java.nio.file.Path;

/**
 * How a model's accuracy and speed are measured.
 *
 * @param validationData the validation set, or null for none
 * @param labelName the labels' array or column name, or null for the format's default
 * @param metric what is measured
 * @param outputName the model output the metric reads, or null for the first
 * @param batchSize samples per inference call where the batch dimension is dynamic
 * @param warmupRuns untimed single-sample runs before timing
 * @param latencyRuns timed single-sample runs
 * @param requireValidation whether a model without validation data fails the build
 * @param calibration whether and on what data pruning is compensated
 */
public record EvaluationSettings(Path validationData, String labelName, Metric metric, String outputName,
        int batchSize, int warmupRuns, int latencyRuns, boolean requireValidation, CalibrationSettings calibration) {

    /** Settings without reconstruction, as before calibration existed (the mojo always passes its own). */
    public EvaluationSettings(Path validationData, String labelName, Metric metric, String outputName,
            int batchSize, int warmupRuns, int latencyRuns, boolean requireValidation) {
        this(validationData, labelName, metric, outputName, batchSize, warmupRuns, latencyRuns, requireValidation,
                CalibrationSettings.off());
    }

    public EvaluationSettings {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize is " + batchSize + " but must be at least 1");
        }
        if (warmupRuns < 0 || latencyRuns < 1) {
            throw new IllegalArgumentException("warmupRuns must be 0 or more and latencyRuns 1 or more, got "
                    + warmupRuns + " and " + latencyRuns);
        }
        java.util.Objects.requireNonNull(calibration, "calibration");
    }
}
