package io.github.onnxprune.eval;

import java.util.Arrays;

/**
 * Per-sample inference time when a model runs whole batches on one session: what throughput-bound callers see,
 * without ONNX Runtime's fixed cost per call hiding the model's own work.
 *
 * @param medianMicrosPerSample median over the timed passes of a pass's time divided by its samples, in
 *     microseconds
 * @param batchSize samples per call (the last call of a pass may hold fewer)
 * @param samples samples per pass
 * @param passes timed passes (warm-up passes excluded)
 */
public record BatchLatencyStats(double medianMicrosPerSample, int batchSize, int samples, int passes) {

    /** Checks that the numbers describe real measurements. */
    public BatchLatencyStats {
        if (!(medianMicrosPerSample >= 0)) {
            throw new IllegalArgumentException("invalid per-sample time " + medianMicrosPerSample);
        }
        if (batchSize < 1 || samples < batchSize || passes < 1) {
            throw new IllegalArgumentException("need 1 <= batchSize <= samples and passes >= 1, got " + batchSize
                    + ", " + samples + " and " + passes);
        }
    }

    /**
     * Summarises timed passes.
     *
     * @param passNanos the inference time of each pass, in nanoseconds
     * @param batchSize samples per call
     * @param samples samples per pass
     * @return the median pass divided by its samples
     */
    static BatchLatencyStats fromPassNanos(long[] passNanos, int batchSize, int samples) {
        long[] sorted = passNanos.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
        return new BatchLatencyStats(median / samples / 1000.0, batchSize, samples, n);
    }
}
