package io.github.onnxprune.report;

/**
 * The metric of the original and pruned model, measured on the validation data.
 *
 * @param metric the metric's configuration name
 * @param baseline the original model's value
 * @param pruned the pruned model's value
 * @param samples how many validation samples were run
 */
public record Measurement(String metric, double baseline, double pruned, int samples) {
}
