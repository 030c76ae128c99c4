package io.github.onnxprune.eval;

import ai.onnxruntime.OrtEnvironment;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs ONNX models on validation data with ONNX Runtime and measures their latency: the one entry point, whose
 * work is done by {@link OrtSessions} (sessions), {@link ScoringRuns} (scored outputs), {@link ActivationRuns}
 * (calibration values) and {@link LatencyRuns} (timing).
 *
 * <p>ONNX Runtime's native library is loaded when the first evaluator is constructed, not when this class
 * is loaded, so builds that never evaluate never extract it. Each call creates its own session from the
 * model bytes and closes it before returning; the evaluator keeps no native state between calls, only the direct
 * buffers runs copy their inputs into, lent to one run at a time, and is safe to share between threads. ONNX
 * Runtime reads a model from a direct buffer where it is (a mapped file or a serialized model outside the heap),
 * or from a file; models given as {@code byte[]} are copied into a buffer first. {@link #close()} marks it unusable
 * and frees its spare input buffers: the process-wide environment belongs to ONNX Runtime and stays open.
 */
public final class OnnxRuntimeEvaluator implements AutoCloseable {

    /**
     * The most samples one batched-latency pass runs: enough for several batches of the default 64, small
     * enough that a pass of a small model takes milliseconds, so measuring stays a small part of a build.
     */
    public static final int BATCH_LATENCY_MAX_SAMPLES = 512;

    /** Untimed passes the pipeline runs before timing batched latency. */
    public static final int BATCH_LATENCY_WARMUP_PASSES = 2;

    /** Timed batched-latency passes the pipeline runs at most; odd, so the median is one measured pass. */
    public static final int BATCH_LATENCY_PASSES = 9;

    /**
     * Time after which batched latency stops adding timed passes (once {@value #BATCH_LATENCY_MIN_PASSES} ran),
     * and after which one warm-up pass is warm-up enough: a transformer's pass over 64 sentences takes seconds,
     * and nine of them for each model made measuring most of the build.
     */
    static final long BATCH_LATENCY_BUDGET_NANOS = 2_000_000_000L;

    /** Fewest timed batched-latency passes. */
    static final int BATCH_LATENCY_MIN_PASSES = 3;

    private final OrtSessions sessions;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** Creates an evaluator that lets ONNX Runtime choose its number of intra-op threads. */
    public OnnxRuntimeEvaluator() {
        this(0);
    }

    /**
     * Creates an evaluator, loading ONNX Runtime's native library if this is the first use in the process.
     *
     * @param intraOpThreads threads per session for parallel operators; 0 lets ONNX Runtime decide (one per
     *     physical core), 1 gives the steadiest latency numbers
     * @throws RuntimeUnavailableException when the native library cannot be loaded on this platform
     */
    public OnnxRuntimeEvaluator(int intraOpThreads) {
        if (intraOpThreads < 0) {
            throw new IllegalArgumentException("intraOpThreads must be 0 (automatic) or positive, got "
                    + intraOpThreads);
        }
        this.sessions = new OrtSessions(loadEnvironment(), intraOpThreads);
    }

    private static OrtEnvironment loadEnvironment() {
        try {
            return OrtEnvironment.getEnvironment();
        } catch (UnsatisfiedLinkError | ExceptionInInitializerError | NoClassDefFoundError | RuntimeException e) {
            // A missing or incompatible library surfaces as UnsatisfiedLinkError the first time and as
            // NoClassDefFoundError on every later attempt; an OrtException from creating the environment arrives
            // wrapped in an IllegalStateException, because getEnvironment() declares no checked exception.
            throw new RuntimeUnavailableException(unavailableMessage(e), e);
        }
    }

    static String unavailableMessage(Throwable failure) {
        String platform = System.getProperty("os.name") + " " + System.getProperty("os.arch");
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String reason = root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
        return "ONNX Runtime could not load its native library on " + platform + " (" + reason + "). "
                + "The com.microsoft.onnxruntime:onnxruntime jar ships native libraries for Linux x64 and aarch64 "
                + "(glibc; Alpine's musl is not supported), macOS x64 and arm64, and Windows x64. On a supported "
                + "platform, check that java.io.tmpdir points to a writable directory that allows executing "
                + "files (not mounted noexec), that the Microsoft Visual C++ runtime is installed on Windows, and "
                + "that onnxruntime.native.path is not set to a stale folder. On another platform, skip the "
                + "accuracy check for this build.";
    }

    /**
     * Runs a model on every validation sample and collects one output.
     *
     * <p>Samples go in batches of {@code batchSize} when every input's first dimension is dynamic. A model
     * with a fixed first dimension {@code k} runs {@code k} samples per call (one at a time for the common
     * {@code k = 1}); the number of samples must then be a multiple of {@code k}.
     *
     * <p>Each sample's values become one row as {@code output} says: as they are when they form one vector
     * ({@code [N, D]}, dimensions of size 1 aside), else flattened or mean-pooled over the mask when chosen.
     *
     * @param modelBytes the serialized model
     * @param data validation data read for this model's signature
     * @param output the output to collect and how a sample's values become its row
     * @param batchSize samples per call when the batch dimension is dynamic, at least 1
     * @return one row per sample (float64, integer and float16 outputs converted to float)
     * @throws EvaluationSetupException when the output does not exist, cannot be scored as configured, or the
     *     model's fixed batch size does not divide the samples
     * @throws EvaluationException when ONNX Runtime rejects the model or fails while running it
     */
    public ModelOutputs run(byte[] modelBytes, ValidationData data, ScoredOutput output, int batchSize) {
        return run(OrtSessions.direct(modelBytes), data, output, batchSize);
    }

    /**
     * {@link #run(byte[], ValidationData, ScoredOutput, int)} for a model held outside the heap: ONNX Runtime reads
     * the direct buffer (a mapped file or a serialized model, see {@code onnx.ModelBytes}) where it is, so no copy
     * of the model is made on the Java heap.
     */
    public ModelOutputs run(ByteBuffer model, ValidationData data, ScoredOutput output, int batchSize) {
        requireOpen();
        return ScoringRuns.run(sessions, model, data, output, batchSize);
    }

    /**
     * Runs a model on every sample and collects several outputs whole, as float32 tensors whose first
     * dimension counts samples: what calibration needs to read intermediate values (exposed as extra graph
     * outputs) in one pass. Batching follows {@link #run}.
     *
     * @param modelBytes the serialized model
     * @param data samples read for this model's signature
     * @param outputNames outputs to collect, each with the batch as its first dimension
     * @param batchSize samples per call when the batch dimension is dynamic, at least 1
     * @return per name, in the order asked, the outputs of all samples joined along the first dimension
     * @throws EvaluationException when ONNX Runtime fails, an output does not exist, is not numeric, has no
     *     batch dimension or holds NaN or infinity (a model that overflows on the data: nothing can be fitted)
     */
    public Map<String, Tensor> runOutputs(byte[] modelBytes, ValidationData data, List<String> outputNames,
            int batchSize) {
        ByteBuffer model = OrtSessions.direct(modelBytes);
        // Dropped before running: calibration serializes a model for every call, and the activations this run
        // collects fill the heap while ONNX Runtime works, so the heap copy must not stay reachable from here.
        modelBytes = null;
        return runOutputs(model, data, outputNames, batchSize);
    }

    /** {@link #runOutputs(byte[], ValidationData, List, int)} for a model in a direct buffer. */
    public Map<String, Tensor> runOutputs(ByteBuffer model, ValidationData data, List<String> outputNames,
            int batchSize) {
        requireOpen();
        return ActivationRuns.runOutputs(sessions, options -> sessions.open(model, options), data, outputNames,
                batchSize);
    }

    /**
     * {@link #runOutputs(byte[], ValidationData, List, int)} for a model in a file, which ONNX Runtime reads
     * itself: no copy of it in this process's memory but while the session is created.
     */
    public Map<String, Tensor> runOutputs(java.nio.file.Path modelFile, ValidationData data,
            List<String> outputNames, int batchSize) {
        requireOpen();
        return ActivationRuns.runOutputs(sessions, options -> sessions.open(modelFile, options), data, outputNames,
                batchSize);
    }

    /**
     * Runs the model in {@code modelFile} (read by ONNX Runtime itself) on batches on one session, the
     * {@code index}-th given by {@code batches.apply(index)} when its turn comes (null: no more), and hands each
     * batch's float32 outputs to {@code each} before the next is asked for: batches of different shapes (sentences
     * cut to their longest) without one session per batch, and without holding every batch's outputs at once.
     * What a batch is may depend on the outputs of the ones before it. The outputs are ONNX Runtime's copies,
     * handed over, not copied again.
     */
    public void runBatches(java.nio.file.Path modelFile, java.util.function.IntFunction<ValidationData> batches,
            List<String> outputNames, java.util.function.BiConsumer<Integer, Map<String, Tensor>> each) {
        requireOpen();
        ActivationRuns.runBatches(sessions, options -> sessions.open(modelFile, options), batches, outputNames,
                each);
    }

    /**
     * Measures single-sample latency: warm-up runs first (not measured), then {@code measuredRuns} timed
     * runs on one session, cycling through the validation samples.
     *
     * <p>Input tensors are prepared before timing, so the numbers cover inference only. A model with a fixed
     * first dimension {@code k > 1} runs {@code k} samples per timed call.
     *
     * @param modelBytes the serialized model
     * @param data validation data read for this model's signature
     * @param warmupRuns untimed runs first, at least 0
     * @param measuredRuns timed runs, at least 1
     * @return median and 95th percentile of the timed runs
     * @throws EvaluationException when ONNX Runtime rejects the model or fails while running it
     */
    public LatencyStats measureLatency(byte[] modelBytes, ValidationData data, int warmupRuns, int measuredRuns) {
        return measureLatency(OrtSessions.direct(modelBytes), data, warmupRuns, measuredRuns);
    }

    /** {@link #measureLatency(byte[], ValidationData, int, int)} for a model in a direct buffer. */
    public LatencyStats measureLatency(ByteBuffer model, ValidationData data, int warmupRuns, int measuredRuns) {
        requireOpen();
        return LatencyRuns.measureLatency(sessions, model, data, warmupRuns, measuredRuns);
    }

    /**
     * Measures per-sample time in batches: the first {@value #BATCH_LATENCY_MAX_SAMPLES} samples at most (fewer
     * when the data holds fewer) are turned into input tensors of {@code batchSize} samples before timing, then
     * whole passes over them run on one session: {@code warmupPasses} untimed, {@code passes} timed. A pass's
     * time is the sum of its {@code run} calls (freeing outputs excluded, as for single-sample latency).
     *
     * <p>Only a model whose every input has a dynamic first dimension can run batches; for any other, and when
     * fewer than two samples would go in a batch, nothing is measured. Slow models run fewer passes: once a
     * warm-up pass took over a second the other warm-ups are skipped, and once the timed passes took over two
     * seconds in all no more are added after an odd count of at least {@value #BATCH_LATENCY_MIN_PASSES}.
     *
     * @param modelBytes the serialized model
     * @param data validation data read for this model's signature
     * @param batchSize samples per call, at least 1
     * @param warmupPasses untimed passes first, at least 0
     * @param passes timed passes, at least 1
     * @return the median per-sample time, or empty when the model's batch dimension is fixed or the batch
     *     would hold a single sample
     * @throws EvaluationException when ONNX Runtime rejects the model or fails while running it
     */
    public Optional<BatchLatencyStats> measureBatchLatency(byte[] modelBytes, ValidationData data, int batchSize,
            int warmupPasses, int passes) {
        return measureBatchLatency(OrtSessions.direct(modelBytes), data, batchSize, warmupPasses, passes,
                BATCH_LATENCY_BUDGET_NANOS);
    }

    /** {@link #measureBatchLatency(byte[], ValidationData, int, int, int)} for a model in a direct buffer. */
    public Optional<BatchLatencyStats> measureBatchLatency(ByteBuffer model, ValidationData data, int batchSize,
            int warmupPasses, int passes) {
        return measureBatchLatency(model, data, batchSize, warmupPasses, passes, BATCH_LATENCY_BUDGET_NANOS);
    }

    /** {@link #measureBatchLatency(ByteBuffer, ValidationData, int, int, int)} with another time budget. */
    Optional<BatchLatencyStats> measureBatchLatency(byte[] modelBytes, ValidationData data, int batchSize,
            int warmupPasses, int passes, long budgetNanos) {
        return measureBatchLatency(OrtSessions.direct(modelBytes), data, batchSize, warmupPasses, passes,
                budgetNanos);
    }

    private Optional<BatchLatencyStats> measureBatchLatency(ByteBuffer model, ValidationData data, int batchSize,
            int warmupPasses, int passes, long budgetNanos) {
        requireOpen();
        return LatencyRuns.measureBatchLatency(sessions, model, data, batchSize, warmupPasses, passes, budgetNanos);
    }

    /** Marks the evaluator closed; later calls fail. The shared ONNX Runtime environment stays open. */
    @Override
    public void close() {
        closed.set(true);
        sessions.dropSpareBuffers();
    }

    /**
     * Frees the input buffers kept for later runs, at once rather than at a collection: a phase that fed large inputs
     * (calibration's stages, 24 MB a batch on MiniLM) calls it when it ends, so the runs after it (the int8 step's
     * few, with inputs of kilobytes) do not sit beside buffers they will never use.
     */
    public void releaseSpareBuffers() {
        sessions.dropSpareBuffers();
    }

    /** How many input buffers wait for a later run, for tests. */
    int spareBufferCount() {
        return sessions.spareBufferCount();
    }

    private void requireOpen() {
        if (closed.get()) {
            throw new IllegalStateException("this OnnxRuntimeEvaluator is closed");
        }
    }
}
