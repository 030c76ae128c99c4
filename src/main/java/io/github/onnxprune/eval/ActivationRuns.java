package io.github.onnxprune.eval;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Runs a model over samples and collects several of its values whole, for calibration. */
final class ActivationRuns {

    private ActivationRuns() {
    }

    /** {@link OnnxRuntimeEvaluator#runOutputs(ByteBuffer, ValidationData, List, int)}. */
    static Map<String, Tensor> runOutputs(OrtSessions sessions,
            java.util.function.Function<OrtSession.SessionOptions, OrtSession> model, ValidationData data,
            List<String> outputNames, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
        }
        try (OrtSession.SessionOptions options = sessions.calibrationOptions();
                OrtSession session = model.apply(options);
                OrtSessions.InputBuffers inputBuffers = sessions.inputBuffers()) {
            for (String name : outputNames) {
                OrtSessions.resolveOutput(session, name);
            }
            int step = OrtSessions.samplesPerCall(session, data, batchSize);
            int samples = data.sampleCount();
            // Each output's values for all samples go straight into one array sized at the first batch: joining
            // per-batch copies afterwards would need twice an activation's size (80 MB for one transformer
            // feed-forward value over 256 sentences).
            Map<String, float[]> joined = new LinkedHashMap<>();
            Map<String, long[]> shapes = new LinkedHashMap<>();
            for (int from = 0; from < samples; from += step) {
                int to = Math.min(samples, from + step);
                try (OrtSessions.Batch batch = OrtSessions.Batch.of(sessions.env(), data, from, to,
                        inputBuffers);
                        OrtSession.Result result = session.run(batch.tensors(), new java.util.LinkedHashSet<>(
                                outputNames))) {
                    for (String name : outputNames) {
                        OnnxTensor tensor = batchOutput(result, name, to - from);
                        long[] shape = tensor.getInfo().getShape();
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
            throw OrtSessions.setupFailure(data, e);
        }
    }

    /** {@link OnnxRuntimeEvaluator#runBatches}. */
    static void runBatches(OrtSessions sessions,
            java.util.function.Function<OrtSession.SessionOptions, OrtSession> model,
            java.util.function.IntFunction<ValidationData> batches, List<String> outputNames,
            java.util.function.BiConsumer<Integer, Map<String, Tensor>> each) {
        try (OrtSession.SessionOptions options = sessions.calibrationOptions();
                OrtSession session = model.apply(options);
                OrtSessions.InputBuffers inputBuffers = sessions.inputBuffers()) {
            for (String name : outputNames) {
                OrtSessions.resolveOutput(session, name);
            }
            for (int index = 0;; index++) {
                ValidationData data = batches.apply(index);
                if (data == null) {
                    break;
                }
                int samples = data.sampleCount();
                Map<String, Tensor> outputs = new LinkedHashMap<>();
                try (OrtSessions.Batch batch = OrtSessions.Batch.of(sessions.env(), data, 0, samples, inputBuffers);
                        OrtSession.Result result = session.run(batch.tensors(), new java.util.LinkedHashSet<>(
                                outputNames))) {
                    for (String name : outputNames) {
                        OnnxTensor tensor = batchOutput(result, name, samples);
                        long[] shape = tensor.getInfo().getShape();
                        float[] values = floats(tensor, name);
                        requireFinite(values, 0, values.length, shape, 0, name, data);
                        outputs.put(name, Tensor.adopt(TensorKind.FLOAT, shape, values));
                    }
                } catch (OrtException e) {
                    throw new EvaluationException("ONNX Runtime failed while running the model on a batch of "
                            + samples + " samples of " + data.source() + ": " + e.getMessage(), e);
                }
                each.accept(index, outputs);
            }
        } catch (OrtException e) {
            throw new EvaluationException("ONNX Runtime cannot load the calibration stage: " + e.getMessage(), e);
        }
    }

    /** Output {@code name} of a batch of {@code samples}: a tensor whose first dimension is that batch. */
    private static OnnxTensor batchOutput(OrtSession.Result result, String name, int samples) {
        OnnxValue value = result.get(name).orElseThrow();
        if (!(value instanceof OnnxTensor tensor)) {
            throw new EvaluationException("The model's output '" + name + "' is a " + value.getType()
                    + ", not a tensor.");
        }
        long[] shape = tensor.getInfo().getShape();
        if (shape.length == 0 || shape[0] != samples) {
            throw new EvaluationException("The model's output '" + name + "' has shape " + Shapes.format(shape)
                    + " for a batch of " + samples + " samples; its first dimension must be the batch.");
        }
        return tensor;
    }

    /**
     * A batch's output as floats: for float32, the array of ONNX Runtime's own heap copy
     * ({@code getFloatBuffer}), taken as it is instead of copied once more.
     */
    private static float[] floats(OnnxTensor tensor, String name) {
        if (tensor.getInfo().type == ai.onnxruntime.OnnxJavaType.FLOAT) {
            FloatBuffer buffer = tensor.getFloatBuffer();
            if (buffer.hasArray() && buffer.arrayOffset() == 0 && buffer.position() == 0
                    && buffer.remaining() == buffer.array().length) {
                return buffer.array();
            }
            float[] values = new float[buffer.remaining()];
            buffer.get(values);
            return values;
        }
        return OrtSessions.toFloats(tensor, name);
    }

    /** Copies a batch's output as floats into {@code into} from {@code offset}; returns how many. */
    private static int copyFloats(OnnxTensor tensor, String name, float[] into, int offset) {
        if (tensor.getInfo().type == ai.onnxruntime.OnnxJavaType.FLOAT) {
            FloatBuffer buffer = tensor.getFloatBuffer();
            int count = buffer.remaining();
            buffer.get(into, offset, count);
            return count;
        }
        float[] values = OrtSessions.toFloats(tensor, name);
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
}
