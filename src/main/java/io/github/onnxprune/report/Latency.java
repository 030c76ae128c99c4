package io.github.onnxprune.report;

/**
 * Single-sample inference time of the original and pruned model, in microseconds.
 *
 * @param baselineMedian the original model's median
 * @param baselineP95 the original model's 95th percentile
 * @param prunedMedian the pruned model's median
 * @param prunedP95 the pruned model's 95th percentile
 * @param runs timed runs per model, after warm-up
 */
public record Latency(double baselineMedian, double baselineP95, double prunedMedian, double prunedP95, int runs) {
}
