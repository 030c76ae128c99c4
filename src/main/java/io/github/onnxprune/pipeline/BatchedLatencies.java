package io.github.onnxprune.pipeline;

import io.github.onnxprune.eval.BatchLatencyStats;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.report.BatchedLatency;
import java.nio.ByteBuffer;
import java.util.Optional;

/** Per-sample latency of the original and the pruned model run in batches. */
final class BatchedLatencies {

    private BatchedLatencies() {
    }

    /**
     * Per-sample time in batches of both models, or null when either cannot run batches (fixed batch dimension,
     * or batches of one): a few passes over at most 512 samples, so it costs little next to the evaluation.
     */
    static BatchedLatency measure(OnnxRuntimeEvaluator runtime, ByteBuffer original, ByteBuffer pruned,
            ValidationData data, int batchSize) {
        Optional<BatchLatencyStats> before = runtime.measureBatchLatency(original, data, batchSize,
                OnnxRuntimeEvaluator.BATCH_LATENCY_WARMUP_PASSES, OnnxRuntimeEvaluator.BATCH_LATENCY_PASSES);
        if (before.isEmpty()) {
            return null;
        }
        Optional<BatchLatencyStats> after = runtime.measureBatchLatency(pruned, data, batchSize,
                OnnxRuntimeEvaluator.BATCH_LATENCY_WARMUP_PASSES, OnnxRuntimeEvaluator.BATCH_LATENCY_PASSES);
        return after.map(a -> new BatchedLatency(before.get().medianMicrosPerSample(), a.medianMicrosPerSample(),
                a.batchSize(), a.samples(), a.passes())).orElse(null);
    }
}
