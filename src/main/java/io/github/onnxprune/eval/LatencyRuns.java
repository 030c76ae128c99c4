package io.github.onnxprune.eval;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Times a model on one session: single samples, and passes of batches. */
final class LatencyRuns {

    /** Upper bound on distinct samples prepared for latency runs; keeps memory flat for big validation sets. */
    private static final int LATENCY_SAMPLE_POOL = 32;

    private LatencyRuns() {
    }

    /** {@link OnnxRuntimeEvaluator#measureLatency(ByteBuffer, ValidationData, int, int)}. */
    static LatencyStats measureLatency(OrtSessions sessions, ByteBuffer model, ValidationData data, int warmupRuns,
            int measuredRuns) {
        if (warmupRuns < 0 || measuredRuns < 1) {
            throw new IllegalArgumentException("need warmupRuns >= 0 and measuredRuns >= 1, got " + warmupRuns
                    + " and " + measuredRuns);
        }
        try (OrtSession.SessionOptions options = sessions.options();
                OrtSession session = sessions.open(model, options)) {
            int step = OrtSessions.samplesPerCall(session, data, 1);
            int poolSize = Math.max(1, Math.min(LATENCY_SAMPLE_POOL, data.sampleCount() / step));
            List<OrtSessions.Batch> pool = new ArrayList<>();
            try {
                for (int i = 0; i < poolSize; i++) {
                    pool.add(OrtSessions.Batch.of(sessions.env(), data, i * step, (i + 1) * step));
                }
                for (int run = 0; run < warmupRuns; run++) {
                    session.run(pool.get(run % poolSize).tensors()).close();
                }
                long[] nanos = new long[measuredRuns];
                for (int run = 0; run < measuredRuns; run++) {
                    Map<String, OnnxTensor> inputs = pool.get(run % poolSize).tensors();
                    long start = System.nanoTime();
                    OrtSession.Result result = session.run(inputs);
                    nanos[run] = System.nanoTime() - start;
                    // Freeing the outputs is bookkeeping, not inference: it stays out of the timing.
                    result.close();
                }
                return LatencyStats.fromNanos(nanos);
            } catch (OrtException e) {
                throw new EvaluationException("ONNX Runtime failed while measuring the model's latency on "
                        + data.source() + ": " + e.getMessage() + ". If this is a pruned model, the pruning left the "
                        + "graph inconsistent; check the model with onnx.checker or prune less.", e);
            } finally {
                pool.forEach(OrtSessions.Batch::close);
            }
        } catch (OrtException e) {
            throw OrtSessions.setupFailure(data, e);
        }
    }

    /**
     * {@link OnnxRuntimeEvaluator#measureBatchLatency(ByteBuffer, ValidationData, int, int, int)} with a time
     * budget for the timed passes.
     */
    static Optional<BatchLatencyStats> measureBatchLatency(OrtSessions sessions, ByteBuffer model,
            ValidationData data, int batchSize, int warmupPasses, int passes, long budgetNanos) {
        if (batchSize < 1 || warmupPasses < 0 || passes < 1) {
            throw new IllegalArgumentException("need batchSize >= 1, warmupPasses >= 0 and passes >= 1, got "
                    + batchSize + ", " + warmupPasses + " and " + passes);
        }
        int samples = Math.min(OnnxRuntimeEvaluator.BATCH_LATENCY_MAX_SAMPLES, data.sampleCount());
        int step = Math.min(batchSize, samples);
        if (step < 2) {
            return Optional.empty();
        }
        try (OrtSession.SessionOptions options = sessions.options();
                OrtSession session = sessions.open(model, options)) {
            if (OrtSessions.fixedBatchSize(session, data) > 0) {
                return Optional.empty();
            }
            List<OrtSessions.Batch> batches = new ArrayList<>();
            try {
                for (int from = 0; from < samples; from += step) {
                    batches.add(OrtSessions.Batch.of(sessions.env(), data, from, Math.min(samples, from + step)));
                }
                for (int pass = 0; pass < warmupPasses; pass++) {
                    long start = System.nanoTime();
                    for (OrtSessions.Batch batch : batches) {
                        session.run(batch.tensors()).close();
                    }
                    if (System.nanoTime() - start > budgetNanos / 2) {
                        break;
                    }
                }
                long[] passNanos = new long[passes];
                long spent = 0;
                int done = 0;
                while (done < passes) {
                    long total = 0;
                    for (OrtSessions.Batch batch : batches) {
                        long start = System.nanoTime();
                        OrtSession.Result result = session.run(batch.tensors());
                        total += System.nanoTime() - start;
                        result.close();
                    }
                    passNanos[done++] = total;
                    spent += total;
                    if (spent > budgetNanos && done >= OnnxRuntimeEvaluator.BATCH_LATENCY_MIN_PASSES && done % 2 == 1) {
                        break;
                    }
                }
                return Optional.of(BatchLatencyStats.fromPassNanos(Arrays.copyOf(passNanos, done), step,
                        samples));
            } catch (OrtException e) {
                throw new EvaluationException("ONNX Runtime failed while measuring the model's batched latency on "
                        + data.source() + " in batches of " + step + ": " + e.getMessage() + ". If the model only "
                        + "accepts one sample per call despite its dynamic batch dimension, set <batchSize>1"
                        + "</batchSize>.", e);
            } finally {
                batches.forEach(OrtSessions.Batch::close);
            }
        } catch (OrtException e) {
            throw OrtSessions.setupFailure(data, e);
        }
    }
}
