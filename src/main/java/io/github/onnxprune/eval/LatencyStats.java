package io.github.onnxprune.eval;

import java.util.Arrays;

/**
 * Single-sample inference latency of a model.
 *
 * @param medianMicros median time of one run, in microseconds
 * @param p95Micros 95th percentile (nearest rank) of one run, in microseconds
 * @param runs number of measured runs (warm-up runs excluded)
 */
public record LatencyStats(double medianMicros, double p95Micros, int runs) {

    /** Checks that the numbers describe real measurements. */
    public LatencyStats {
        if (runs < 1) {
            throw new IllegalArgumentException("runs must be at least 1, got " + runs);
        }
        if (!(medianMicros >= 0) || !(p95Micros >= medianMicros)) {
            throw new IllegalArgumentException("invalid latencies: median " + medianMicros + ", p95 " + p95Micros);
        }
    }

    /**
     * Summarises measured durations.
     *
     * @param nanos one duration per measured run, in nanoseconds
     * @return median (mean of the two middle values for an even count) and nearest-rank p95
     */
    static LatencyStats fromNanos(long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
        // Nearest rank: the smallest value with at least 95 % of the runs at or below it.
        int rank = (int) ((95L * n + 99) / 100); // ceil(0.95 n) without floating-point rounding
        double p95 = sorted[Math.max(0, rank - 1)];
        return new LatencyStats(median / 1000.0, p95 / 1000.0, n);
    }
}
