package io.github.onnxprune.eval;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * How every run of {@link OnnxRuntimeEvaluator} opens an ONNX Runtime session (one per call, from a model in a
 * direct buffer) and checks it against the data: output names, the batch dimension, input tensors per call.
 */
final class OrtSessions {

    /**
     * Most input buffers kept between runs: a run of a calibration stage feeds three token inputs and one or two
     * values, and two runs go side by side.
     */
    static final int SPARE_BUFFERS = 12;

    private final OrtEnvironment env;
    private final int intraOpThreads;
    // Input buffers given back by runs that ended, for the next ones (InputBuffers).
    private final List<ByteBuffer> spareBuffers = new java.util.ArrayList<>();

    /** Sessions in {@code env} with {@code intraOpThreads} threads each (0: ONNX Runtime decides). */
    /** A session for {@code data} could not be created or closed: ONNX Runtime's words, and which data. */
    static EvaluationException setupFailure(ValidationData data, OrtException e) {
        return new EvaluationException("ONNX Runtime failed to set up or release a session for " + data.source()
                + ": " + e.getMessage(), e);
    }

    OrtSessions(OrtEnvironment env, int intraOpThreads) {
        this.env = env;
        this.intraOpThreads = intraOpThreads;
    }

    /** The process-wide environment input tensors are created in. */
    OrtEnvironment env() {
        return env;
    }

    /** Options for one session: the evaluator's thread count, ONNX Runtime's own logging silenced. */
    OrtSession.SessionOptions options() throws OrtException {
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

    /**
     * Options for a calibration session ({@link ActivationRuns}): those of {@link #options()}, without ONNX
     * Runtime's memory pattern. The int8 step's error probes run batches of one shape, and with the pattern each
     * probe session on MiniLM grew in a second step at its second batch (our reading: the planned block taken in
     * one piece beside what the first batch left in the arena), 0.2-0.35 GB more resident than without it
     * (docs/reconstruction.md, session 21). The pattern only places buffers, so the values are the same.
     */
    OrtSession.SessionOptions calibrationOptions() throws OrtException {
        OrtSession.SessionOptions options = options();
        try {
            options.setMemoryPatternOptimization(false);
            return options;
        } catch (OrtException | RuntimeException e) {
            options.close();
            throw e;
        }
    }

    /** A direct copy of heap bytes, the one form of model {@link #open} takes. */
    static ByteBuffer direct(byte[] modelBytes) {
        ByteBuffer copy = ByteBuffer.allocateDirect(modelBytes.length);
        copy.put(modelBytes).flip();
        return copy;
    }

    /** A session on {@code model}, a whole model in a direct buffer (read from position 0). */
    OrtSession open(ByteBuffer model, OrtSession.SessionOptions options) {
        if (!model.isDirect()) {
            throw new IllegalArgumentException("ONNX Runtime reads a model from a direct buffer only");
        }
        try {
            // From position 0: callers hand over views of a whole model, never a part of one.
            return env.createSession(model.duplicate().position(0), options);
        } catch (OrtException e) {
            throw cannotLoad(model.limit() + " bytes", e);
        }
    }

    /** A session on the model in {@code file}, which ONNX Runtime reads itself. */
    OrtSession open(java.nio.file.Path file, OrtSession.SessionOptions options) {
        try {
            return env.createSession(file.toString(), options);
        } catch (OrtException e) {
            throw cannotLoad(file.toString(), e);
        }
    }

    /** ONNX Runtime refused the model ({@code which}: its size or file): its words, and what to do. */
    private static EvaluationException cannotLoad(String which, OrtException e) {
        return new EvaluationException("ONNX Runtime could not load the model (" + which + "): " + e.getMessage()
                + ". If this is a pruned model, the pruning produced a graph ONNX Runtime rejects; check it with"
                + " onnx.checker or prune less.", e);
    }

    /** {@code outputName} when the session has it, its first output when null; a worded failure otherwise. */
    static String resolveOutput(OrtSession session, String outputName) {
        Set<String> outputs = session.getOutputNames();
        if (outputName == null) {
            return outputs.iterator().next();
        }
        if (!outputs.contains(outputName)) {
            throw new EvaluationSetupException("The model has no output named '" + outputName + "'. "
                    + outputList(session) + " Set <outputName> to one of them.");
        }
        return outputName;
    }

    /** The session's outputs as a sentence, "Its outputs are: 'a', 'b'.", for messages that ask for one. */
    static String outputList(OrtSession session) {
        return "Its outputs are: " + session.getOutputNames().stream().map(n -> "'" + n + "'")
                .collect(Collectors.joining(", ")) + ".";
    }

    /** How many samples each {@code run} call takes, from the session's declared input shapes. */
    static int samplesPerCall(OrtSession session, ValidationData data, int batchSize) throws OrtException {
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
    static long fixedBatchSize(OrtSession session, ValidationData data) throws OrtException {
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

    /** A tensor's values as floats, whatever numeric type it holds. */
    static float[] toFloats(OnnxTensor tensor, String output) {
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

    /**
     * The direct buffers one run's inputs are copied into, one per input, borrowed from {@link #spareBuffers} and
     * given back when the run closes it: a direct buffer's memory is returned only when the collector finds the
     * buffer unreachable, which a heap with little garbage (the int8 step's error runs, a large heap) rarely
     * needs, so one new buffer per input and run piled up outside the heap.
     */
    final class InputBuffers implements AutoCloseable {

        private final Map<String, ByteBuffer> held = new java.util.HashMap<>();

        /**
         * A buffer of at least {@code bytes} for input {@code name}, cleared, native order: the one this run
         * holds for it when large enough, else a larger one (twice the one held at least, so batches that grow
         * one by one, as sentences sorted by length do, take few).
         */
        ByteBuffer forInput(String name, int bytes) {
            ByteBuffer buffer = held.get(name);
            if (buffer == null || buffer.capacity() < bytes) {
                if (buffer != null) {
                    giveBack(buffer);
                }
                buffer = borrow(buffer == null ? bytes : (int) Math.min(Integer.MAX_VALUE - 8,
                        Math.max(bytes, 2L * buffer.capacity())));
                held.put(name, buffer);
            }
            return buffer.clear();
        }

        @Override
        public void close() {
            held.values().forEach(OrtSessions.this::giveBack);
            held.clear();
        }
    }

    /** Buffers for one run's inputs ({@link InputBuffers}); close it when the run ends. */
    InputBuffers inputBuffers() {
        return new InputBuffers();
    }

    /**
     * Frees the spare input buffers' memory now, not when a collection finds them: the int8 step after the re-fit
     * makes little garbage, and on MiniLM's 2800 sentences the re-fit's spares (190 MB) stayed resident through it
     * (docs/reconstruction.md, session 20). Spare buffers are lent to no run, so no tensor reads them any more.
     */
    void dropSpareBuffers() {
        List<ByteBuffer> dropped;
        synchronized (spareBuffers) {
            dropped = List.copyOf(spareBuffers);
            spareBuffers.clear();
        }
        dropped.forEach(DirectMemory::free);
    }

    /** How many input buffers wait for a run, for tests. */
    int spareBufferCount() {
        synchronized (spareBuffers) {
            return spareBuffers.size();
        }
    }

    /** The smallest spare buffer of at least {@code bytes}, or a new one. */
    private ByteBuffer borrow(int bytes) {
        // By index: a buffer's equals compares its contents, so remove(Object) could take another buffer.
        synchronized (spareBuffers) {
            int best = -1;
            for (int i = 0; i < spareBuffers.size(); i++) {
                int capacity = spareBuffers.get(i).capacity();
                if (capacity >= bytes && (best < 0 || capacity < spareBuffers.get(best).capacity())) {
                    best = i;
                }
            }
            if (best >= 0) {
                return spareBuffers.remove(best);
            }
        }
        return ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
    }

    /** Keeps {@code buffer} for a later run; the smallest spare goes when more than {@link #SPARE_BUFFERS} wait. */
    private void giveBack(ByteBuffer buffer) {
        synchronized (spareBuffers) {
            spareBuffers.add(buffer);
            if (spareBuffers.size() > SPARE_BUFFERS) {
                int smallest = 0;
                for (int i = 1; i < spareBuffers.size(); i++) {
                    smallest = spareBuffers.get(i).capacity() < spareBuffers.get(smallest).capacity() ? i : smallest;
                }
                spareBuffers.remove(smallest);
            }
        }
    }

    /** The input tensors of one call; closing it frees them all. */
    record Batch(Map<String, OnnxTensor> tensors) implements AutoCloseable {

        /** The samples {@code [from, to)} of {@code data}'s inputs, each in a direct buffer of its own. */
        static Batch of(OrtEnvironment env, ValidationData data, int from, int to) throws OrtException {
            return of(env, data, from, to, (InputBuffers) null);
        }

        /**
         * As {@link #of(OrtEnvironment, ValidationData, int, int)}, copying each input into its buffer in
         * {@code reused} ({@link InputBuffers#forInput}) when it is not null. For calls one after the other that
         * close each batch before the next: one new buffer per input and call (a transformer's feed-forward value
         * fed back in calibration, 24 MB a batch) piled up to 1.28 GB between collections in MiniLM's
         * 2800-sentence re-fit at the default heap (docs/minilm-benchmark.md, "Peak memory").
         */
        static Batch of(OrtEnvironment env, ValidationData data, int from, int to, InputBuffers reused)
                throws OrtException {
            Map<String, OnnxTensor> tensors = new LinkedHashMap<>();
            try {
                for (Map.Entry<String, Tensor> entry : data.inputs().entrySet()) {
                    Tensor input = entry.getValue();
                    if (reused == null) {
                        tensors.put(entry.getKey(), input.toOnnxTensor(env, from, to));
                        continue;
                    }
                    ByteBuffer buffer = reused.forInput(entry.getKey(), input.sliceBytes(from, to));
                    tensors.put(entry.getKey(), input.toOnnxTensor(env, from, to, buffer));
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
