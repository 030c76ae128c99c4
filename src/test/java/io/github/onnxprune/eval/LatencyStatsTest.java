package io.github.onnxprune.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LatencyStatsTest {

    @Test
    void medianAndNearestRankPercentile() {
        long[] nanos = new long[20];
        for (int i = 0; i < nanos.length; i++) {
            nanos[i] = (20 - i) * 1000L; // 1 to 20 microseconds, shuffled by reversal
        }

        LatencyStats stats = LatencyStats.fromNanos(nanos);

        assertEquals(10.5, stats.medianMicros());
        assertEquals(19.0, stats.p95Micros()); // ceil(0.95 * 20) = 19th smallest
        assertEquals(20, stats.runs());
    }

    @Test
    void singleRun() {
        LatencyStats stats = LatencyStats.fromNanos(new long[] {1500});

        assertEquals(1.5, stats.medianMicros());
        assertEquals(1.5, stats.p95Micros());
    }
}
