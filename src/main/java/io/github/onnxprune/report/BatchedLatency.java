package io.github.onnxprune.report;

/**
 * Per-sample inference time in batches of the original and pruned model, in microseconds: where removing units
 * shows, since ONNX Runtime's fixed cost per call dominates single-sample figures of small models.
 *
 * @param baselinePerSample the original model's median time per sample
 * @param prunedPerSample the pruned model's median time per sample
 * @param batchSize samples per call
 * @param samples samples per timed pass
 * @param passes timed passes per model, after warm-up
 */
public record BatchedLatency(double baselinePerSample, double prunedPerSample, int batchSize, int samples,
        int passes) {
}
