package io.github.onnxprune.report;

/**
 * Inference time of the original and pruned model, in microseconds: single-sample, and per sample in batches
 * where the model's batch dimension is dynamic.
 *
 * @param baselineMedian the original model's single-sample median
 * @param baselineP95 the original model's single-sample 95th percentile
 * @param prunedMedian the pruned model's single-sample median
 * @param prunedP95 the pruned model's single-sample 95th percentile
 * @param runs timed single-sample runs per model, after warm-up
 * @param batched per-sample time in batches, or null when the batch dimension is fixed (or batches hold one
 *     sample)
 */
public record Latency(double baselineMedian, double baselineP95, double prunedMedian, double prunedP95, int runs,
        BatchedLatency batched) {

    /** Single-sample figures only. */
    public Latency(double baselineMedian, double baselineP95, double prunedMedian, double prunedP95, int runs) {
        this(baselineMedian, baselineP95, prunedMedian, prunedP95, runs, null);
    }
}
