package io.github.onnxprune.eval;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

/**
 * Runs ONNX models on validation data with ONNX Runtime and measures their latency.
 *
 * <p>ONNX Runtime's native library is loaded when the first evaluator is constructed, not when this class
 * is loaded, so builds that never evaluate never extract it. Each call creates its own session from the
 * model bytes and closes it before returning; the evaluator keeps no native state between calls and is safe
 * to share between threads. ONNX Runtime reads a model from a direct buffer where it is (a mapped file or a
 * serialized model outside the heap); models given as {@code byte[]} are copied into one first. {@link #close()} only marks it unusable: the process-wide environment belongs to
 * ONNX Runtime and stays open.
 */
public final class OnnxRuntimeEvaluator implements AutoCloseable {

    /** Upper bound on distinct samples prepared for latency runs; keeps memory flat for big validation sets. */
    private static final int LATENCY_SAMPLE_POOL = 32;

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

    private final OrtEnvironment env;
    private final int intraOpThreads;
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
        this.intraOpThreads = intraOpThreads;
        this.env = loadEnvironment();
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
        return run(direct(modelBytes), data, output, batchSize);
    }

    /**
     * {@link #run(byte[], ValidationData, ScoredOutput, int)} for a model held outside the heap: ONNX Runtime reads
     * the direct buffer (a mapped file or a serialized model, see {@code onnx.ModelBytes}) where it is, so no copy
     * of the model is made on the Java heap.
     */
    public ModelOutputs run(ByteBuffer model, ValidationData data, ScoredOutput output, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
        }
        requireOpen();
        try (OrtSession.SessionOptions options = sessionOptions();
                OrtSession session = createSession(model, options)) {
            String name = resolveOutput(session, output.name());
            String maskName = SampleRows.maskInput(output, data);
            int step = samplesPerCall(session, data, batchSize);
            int samples = data.sampleCount();
            float[][] rows = new float[samples][];
            for (int from = 0; from < samples; from += step) {
                int to = Math.min(samples, from + step);
                try (Batch batch = Batch.of(env, data, from, to);
                        OrtSession.Result result = session.run(batch.tensors(), Set.of(name))) {
                    OnnxValue value = result.get(name).orElseThrow();
                    Tensor mask = maskName == null ? null : data.inputs().get(maskName).rows(from, to);
                    copyRows(value, name, to - from, rows, from, output, mask, maskName);
                } catch (OrtException e) {
                    throw new EvaluationException("ONNX Runtime failed while running the model on validation "
                            + "samples " + from + " to " + (to - 1) + " of " + data.source() + ": " + e.getMessage()
                            + ". If this is a pruned model, the pruning left the graph inconsistent (for example "
                            + "mismatched shapes); check the model with onnx.checker or prune less.", e);
                }
            }
            return new ModelOutputs(name, rows);
        } catch (OrtException e) {
            // Setting up the session options, reading input metadata or closing the session lands here.
            throw new EvaluationException("ONNX Runtime failed to set up or release a session for "
                    + data.source() + ": " + e.getMessage(), e);
        }
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
        ByteBuffer model = direct(modelBytes);
        // Dropped before running: calibration serializes a model for every call, and the activations this run
        // collects fill the heap while ONNX Runtime works, so the heap copy must not stay reachable from here.
        modelBytes = null;
        return runOutputs(model, data, outputNames, batchSize);
    }

    /** {@link #runOutputs(byte[], ValidationData, List, int)} for a model in a direct buffer. */
    public Map<String, Tensor> runOutputs(ByteBuffer model, ValidationData data, List<String> outputNames,
            int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
        }
        requireOpen();
        try (OrtSession.SessionOptions options = sessionOptions();
                OrtSession session = createSession(model, options)) {
            for (String name : outputNames) {
                resolveOutput(session, name);
            }
            int step = samplesPerCall(session, data, batchSize);
            int samples = data.sampleCount();
            // Each output's values for all samples go straight into one array sized at the first batch: joining
            // per-batch copies afterwards would need twice an activation's size (80 MB for one transformer
            // feed-forward value over 256 sentences).
            Map<String, float[]> joined = new LinkedHashMap<>();
            Map<String, long[]> shapes = new LinkedHashMap<>();
            for (int from = 0; from < samples; from += step) {
                int to = Math.min(samples, from + step);
                try (Batch batch = Batch.of(env, data, from, to);
                        OrtSession.Result result = session.run(batch.tensors(), new java.util.LinkedHashSet<>(
                                outputNames))) {
                    for (String name : outputNames) {
                        OnnxValue value = result.get(name).orElseThrow();
                        if (!(value instanceof OnnxTensor tensor)) {
                            throw new EvaluationException("The model's output '" + name + "' is a "
                                    + value.getType() + ", not a tensor.");
                        }
                        long[] shape = tensor.getInfo().getShape();
                        if (shape.length == 0 || shape[0] != to - from) {
                            throw new EvaluationException("The model's output '" + name + "' has shape "
                                    + Shapes.format(shape) + " for a batch of " + (to - from) + " samples; its "
                                    + "first dimension must be the batch.");
                        }
                        long[] whole = shapes.get(name);
                        if (whole == null) {
                            whole = shape.clone();
                            whole[0] = samples;
                            shapes.put(name, whole);
                            long perSample = 1;
                            for (int d = 1; d < shape.length; d++) {
                                perSample = Math.multiplyExact(perSample, shape[d]);
                            }
                            joined.put(name, new float[Math.toIntExact(Math.multiplyExact(samples, perSample))]);
                        } else if (!Arrays.equals(shape, 1, shape.length, whole, 1, whole.length)) {
                            throw new IllegalArgumentException("cannot join " + name + " " + Shapes.format(shape)
                                    + " to " + Shapes.format(whole));
                        }
                        float[] all = joined.get(name);
                        int offset = (int) ((long) from * (all.length / samples));
                        int count = copyFloats(tensor, name, all, offset);
                        requireFinite(all, offset, count, shape, from, name, data);
                    }
                } catch (OrtException e) {
                    throw new EvaluationException("ONNX Runtime failed while running the model on samples " + from
                            + " to " + (to - 1) + " of " + data.source() + ": " + e.getMessage(), e);
                }
            }
            Map<String, Tensor> outputs = new LinkedHashMap<>();
            // Handed over, not copied: nothing else holds these arrays.
            joined.forEach((name, values) -> outputs.put(name, Tensor.adopt(TensorKind.FLOAT, shapes.get(name),
                    values)));
            return outputs;
        } catch (OrtException e) {
            throw new EvaluationException("ONNX Runtime failed to set up or release a session for "
                    + data.source() + ": " + e.getMessage(), e);
        }
    }

    /** Copies a batch's output as floats into {@code into} from {@code offset}; returns how many. */
    private static int copyFloats(OnnxTensor tensor, String name, float[] into, int offset) {
        if (tensor.getInfo().type == ai.onnxruntime.OnnxJavaType.FLOAT) {
            FloatBuffer buffer = tensor.getFloatBuffer();
            int count = buffer.remaining();
            buffer.get(into, offset, count);
            return count;
        }
        float[] values = toFloats(tensor, name);
        System.arraycopy(values, 0, into, offset, values.length);
        return values.length;
    }

    /**
     * Fails on the first NaN or infinite value among {@code count} values from {@code offset} (one batch of the
     * given shape), naming the value, the sample and the data.
     */
    private static void requireFinite(float[] values, int offset, int count, long[] shape, int firstSample,
            String name, ValidationData data) {
        int rowLength = shape[0] == 0 ? 1 : Math.max(1, (int) (count / shape[0]));
        for (int i = 0; i < count; i++) {
            if (!Float.isFinite(values[offset + i])) {
                throw new EvaluationException("The model's value '" + name + "' is " + values[offset + i]
                        + " on sample " + (firstSample + i / rowLength) + " of " + data.source()
                        + ": the model overflows on this"
                        + " data, so nothing can be re-fitted on it. Check the model's weights and the data's"
                        + " scaling, or set <reconstruct>false</reconstruct>.");
            }
        }
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
        return measureLatency(direct(modelBytes), data, warmupRuns, measuredRuns);
    }

    /** {@link #measureLatency(byte[], ValidationData, int, int)} for a model in a direct buffer. */
    public LatencyStats measureLatency(ByteBuffer model, ValidationData data, int warmupRuns, int measuredRuns) {
        if (warmupRuns < 0 || measuredRuns < 1) {
            throw new IllegalArgumentException("need warmupRuns >= 0 and measuredRuns >= 1, got " + warmupRuns
                    + " and " + measuredRuns);
        }
        requireOpen();
        try (OrtSession.SessionOptions options = sessionOptions();
                OrtSession session = createSession(model, options)) {
            int step = samplesPerCall(session, data, 1);
            int poolSize = Math.max(1, Math.min(LATENCY_SAMPLE_POOL, data.sampleCount() / step));
            List<Batch> pool = new ArrayList<>();
            try {
                for (int i = 0; i < poolSize; i++) {
                    pool.add(Batch.of(env, data, i * step, (i + 1) * step));
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
                pool.forEach(Batch::close);
            }
        } catch (OrtException e) {
            throw new EvaluationException("ONNX Runtime failed to set up or release a session for "
                    + data.source() + ": " + e.getMessage(), e);
        }
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
        return measureBatchLatency(direct(modelBytes), data, batchSize, warmupPasses, passes,
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
        return measureBatchLatency(direct(modelBytes), data, batchSize, warmupPasses, passes, budgetNanos);
    }

    private Optional<BatchLatencyStats> measureBatchLatency(ByteBuffer model, ValidationData data, int batchSize,
            int warmupPasses, int passes, long budgetNanos) {
        if (batchSize < 1 || warmupPasses < 0 || passes < 1) {
            throw new IllegalArgumentException("need batchSize >= 1, warmupPasses >= 0 and passes >= 1, got "
                    + batchSize + ", " + warmupPasses + " and " + passes);
        }
        requireOpen();
        int samples = Math.min(BATCH_LATENCY_MAX_SAMPLES, data.sampleCount());
        int step = Math.min(batchSize, samples);
        if (step < 2) {
            return Optional.empty();
        }
        try (OrtSession.SessionOptions options = sessionOptions();
                OrtSession session = createSession(model, options)) {
            if (fixedBatchSize(session, data) > 0) {
                return Optional.empty();
            }
            List<Batch> batches = new ArrayList<>();
            try {
                for (int from = 0; from < samples; from += step) {
                    batches.add(Batch.of(env, data, from, Math.min(samples, from + step)));
                }
                for (int pass = 0; pass < warmupPasses; pass++) {
                    long start = System.nanoTime();
                    for (Batch batch : batches) {
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
                    for (Batch batch : batches) {
                        long start = System.nanoTime();
                        OrtSession.Result result = session.run(batch.tensors());
                        total += System.nanoTime() - start;
                        result.close();
                    }
                    passNanos[done++] = total;
                    spent += total;
                    if (spent > budgetNanos && done >= BATCH_LATENCY_MIN_PASSES && done % 2 == 1) {
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
                batches.forEach(Batch::close);
            }
        } catch (OrtException e) {
            throw new EvaluationException("ONNX Runtime failed to set up or release a session for "
                    + data.source() + ": " + e.getMessage(), e);
        }
    }

    /** Marks the evaluator closed; later calls fail. The shared ONNX Runtime environment stays open. */
    @Override
    public void close() {
        closed.set(true);
    }

    private void requireOpen() {
        if (closed.get()) {
            throw new IllegalStateException("this OnnxRuntimeEvaluator is closed");
        }
    }

    private OrtSession.SessionOptions sessionOptions() throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        try {
            if (intraOpThreads > 0) {
                options.setIntraOpNumThreads(intraOpThreads);
            }
            // ONNX Runtime logs straight to stderr, past Maven's logger: warnings about harmless things pruned
            // graphs contain (unused initializers) and errors that the OrtException we rethrow repeats anyway.
            options.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
            return options;
        } catch (OrtException | RuntimeException e) {
            options.close();
            throw e;
        }
    }

    /** A direct copy of heap bytes, the one form of model {@link #createSession} takes. */
    private static ByteBuffer direct(byte[] modelBytes) {
        ByteBuffer copy = ByteBuffer.allocateDirect(modelBytes.length);
        copy.put(modelBytes).flip();
        return copy;
    }

    private OrtSession createSession(ByteBuffer model, OrtSession.SessionOptions options) {
        if (!model.isDirect()) {
            throw new IllegalArgumentException("ONNX Runtime reads a model from a direct buffer only");
        }
        try {
            // From position 0: callers hand over views of a whole model, never a part of one.
            return env.createSession(model.duplicate().position(0), options);
        } catch (OrtException e) {
            throw new EvaluationException("ONNX Runtime could not load the model (" + model.limit() + " bytes): "
                    + e.getMessage() + ". If this is a pruned model, the pruning produced a graph ONNX Runtime "
                    + "rejects; check it with onnx.checker or prune less.", e);
        }
    }

    private static String resolveOutput(OrtSession session, String outputName) {
        Set<String> outputs = session.getOutputNames();
        if (outputName == null) {
            return outputs.iterator().next();
        }
        if (!outputs.contains(outputName)) {
            throw new EvaluationSetupException("The model has no output named '" + outputName + "'. Its outputs "
                    + "are: " + outputs.stream().map(n -> "'" + n + "'").collect(Collectors.joining(", "))
                    + ". Set <outputName> to one of them.");
        }
        return outputName;
    }

    /** How many samples each {@code run} call takes, from the session's declared input shapes. */
    private static int samplesPerCall(OrtSession session, ValidationData data, int batchSize) throws OrtException {
        long fixed = fixedBatchSize(session, data);
        if (fixed < 0) {
            return batchSize;
        }
        if (data.sampleCount() % fixed != 0) {
            throw new EvaluationSetupException("The model has a fixed batch size of " + fixed + " but "
                    + data.source() + " holds " + data.sampleCount() + " samples, not a multiple of it. Drop the "
                    + "extra samples (keep a multiple of " + fixed + ") or export the model with a dynamic batch "
                    + "dimension.");
        }
        return (int) fixed;
    }

    /**
     * The first dimension the model's inputs fix, or -1 when every input's first dimension is dynamic; checks
     * that the data holds every input.
     */
    private static long fixedBatchSize(OrtSession session, ValidationData data) throws OrtException {
        Map<String, NodeInfo> inputs = session.getInputInfo();
        long fixed = -1;
        for (Map.Entry<String, NodeInfo> entry : inputs.entrySet()) {
            if (!data.inputs().containsKey(entry.getKey())) {
                throw new EvaluationException("The model's input '" + entry.getKey() + "' has no validation data in "
                        + data.source() + " (it holds " + String.join(", ", data.inputs().keySet()) + "). Read the "
                        + "validation data with this model's signature.");
            }
            if (entry.getValue().getInfo() instanceof TensorInfo tensor) {
                long[] shape = tensor.getShape();
                if (shape.length > 0 && shape[0] > 0) {
                    if (fixed > 0 && fixed != shape[0]) {
                        throw new EvaluationSetupException("The model's inputs declare different fixed batch "
                                + "sizes (" + fixed + " and " + shape[0] + "), so no number of samples fits all of "
                                + "them. Export the model with one batch dimension shared by its inputs.");
                    }
                    fixed = shape[0];
                }
            }
        }
        return fixed;
    }

    /** Turns a batch's output into one row per sample, starting at {@code rows[offset]}. */
    private static void copyRows(OnnxValue value, String output, int samples, float[][] rows, int offset,
            ScoredOutput how, Tensor mask, String maskName) {
        if (!(value instanceof OnnxTensor tensor)) {
            throw new EvaluationSetupException("The model's output '" + output + "' is a " + value.getType()
                    + ", not a tensor, so it cannot be scored. Configure a tensor output with <outputName> (for "
                    + "scikit-learn classifiers converted with ZipMap, export with zipmap disabled).");
        }
        float[] flat = toFloats(tensor, output);
        long[] shape = tensor.getInfo().getShape();
        if (samples == 1 && (shape.length == 0 || shape[0] != 1)) {
            // With one sample the whole output is its row, whether or not the model keeps a batch dimension.
            long[] batched = new long[shape.length + 1];
            batched[0] = 1;
            System.arraycopy(shape, 0, batched, 1, shape.length);
            shape = batched;
        }
        if (shape.length == 0 || shape[0] != samples) {
            throw new EvaluationSetupException("The model's output '" + output + "' has shape "
                    + Shapes.format(shape) + " for a batch of " + samples + " samples; its first dimension must be "
                    + "the batch. Name an output with one entry per sample with <outputName>.");
        }
        float[][] batchRows = SampleRows.of(output, shape, flat, how, mask, maskName);
        for (int i = 0; i < samples; i++) {
            float[] row = batchRows[i];
            if (offset > 0 && rows[0] != null && rows[0].length != row.length) {
                throw new EvaluationSetupException("The model's output '" + output + "' changed width between "
                        + "batches (" + rows[0].length + " then " + row.length + " values per sample). Name an "
                        + "output with a fixed number of values per sample with <outputName>, or set "
                        + "<pooling>mean</pooling> for one vector per token.");
            }
            rows[offset + i] = row;
        }
    }

    private static float[] toFloats(OnnxTensor tensor, String output) {
        switch (tensor.getInfo().type) {
            case FLOAT, FLOAT16, BFLOAT16 -> {
                FloatBuffer buffer = tensor.getFloatBuffer();
                float[] values = new float[buffer.remaining()];
                buffer.get(values);
                return values;
            }
            case DOUBLE -> {
                DoubleBuffer buffer = tensor.getDoubleBuffer();
                float[] values = new float[buffer.remaining()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) buffer.get(i);
                }
                return values;
            }
            case INT64 -> {
                LongBuffer buffer = tensor.getLongBuffer();
                float[] values = new float[buffer.remaining()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = buffer.get(i);
                }
                return values;
            }
            case INT32 -> {
                IntBuffer buffer = tensor.getIntBuffer();
                float[] values = new float[buffer.remaining()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = buffer.get(i);
                }
                return values;
            }
            case INT8, UINT8, BOOL -> {
                ByteBuffer buffer = tensor.getByteBuffer();
                boolean unsigned = tensor.getInfo().type != ai.onnxruntime.OnnxJavaType.INT8;
                float[] values = new float[buffer.remaining()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = unsigned ? Byte.toUnsignedInt(buffer.get(i)) : buffer.get(i);
                }
                return values;
            }
            default -> throw new EvaluationException("The model's output '" + output + "' holds "
                    + tensor.getInfo().type + " values, which cannot be scored. Configure a numeric output.");
        }
    }

    /** The input tensors of one call; closing it frees them all. */
    private record Batch(Map<String, OnnxTensor> tensors) implements AutoCloseable {

        static Batch of(OrtEnvironment env, ValidationData data, int from, int to) throws OrtException {
            Map<String, OnnxTensor> tensors = new LinkedHashMap<>();
            try {
                for (Map.Entry<String, Tensor> entry : data.inputs().entrySet()) {
                    tensors.put(entry.getKey(), entry.getValue().toOnnxTensor(env, from, to));
                }
                return new Batch(tensors);
            } catch (OrtException | RuntimeException e) {
                tensors.values().forEach(OnnxTensor::close);
                throw e;
            }
        }

        @Override
        public void close() {
            tensors.values().forEach(OnnxTensor::close);
        }
    }
}
