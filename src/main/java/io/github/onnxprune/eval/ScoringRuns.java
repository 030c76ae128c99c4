package io.github.onnxprune.eval;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Set;

/** Runs a model over validation data and turns the scored output of each sample into its row. */
final class ScoringRuns {

    private ScoringRuns() {
    }

    /** {@link OnnxRuntimeEvaluator#run(ByteBuffer, ValidationData, ScoredOutput, int)}. */
    static ModelOutputs run(OrtSessions sessions, ByteBuffer model, ValidationData data, ScoredOutput output,
            int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
        }
        try (OrtSession.SessionOptions options = sessions.options();
                OrtSession session = sessions.open(model, options);
                OrtSessions.InputBuffers inputBuffers = sessions.inputBuffers()) {
            String name = OrtSessions.resolveOutput(session, output.name());
            String maskName = SampleRows.maskInput(output, data);
            int step = OrtSessions.samplesPerCall(session, data, batchSize);
            int samples = data.sampleCount();
            float[][] rows = new float[samples][];
            for (int from = 0; from < samples; from += step) {
                int to = Math.min(samples, from + step);
                try (OrtSessions.Batch batch = OrtSessions.Batch.of(sessions.env(), data, from, to,
                        inputBuffers);
                        OrtSession.Result result = session.run(batch.tensors(), Set.of(name))) {
                    OnnxValue value = result.get(name).orElseThrow();
                    Tensor mask = maskName == null ? null : data.inputs().get(maskName).rows(from, to);
                    copyRows(value, name, to - from, rows, from, output, mask, maskName);
                } catch (EvaluationSetupException e) {
                    // Most of these ask for another <outputName>: the model's outputs are the choices.
                    throw new EvaluationSetupException(e.getMessage() + " " + OrtSessions.outputList(session), e);
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
            throw OrtSessions.setupFailure(data, e);
        }
    }

    /** Turns a batch's output into one row per sample, starting at {@code rows[offset]}. */
    private static void copyRows(OnnxValue value, String output, int samples, float[][] rows, int offset,
            ScoredOutput how, Tensor mask, String maskName) {
        if (!(value instanceof OnnxTensor tensor)) {
            throw new EvaluationSetupException("The model's output '" + output + "' is a " + value.getType()
                    + ", not a tensor, so it cannot be scored. Configure a tensor output with <outputName> (for "
                    + "scikit-learn classifiers converted with ZipMap, export with zipmap disabled).");
        }
        float[] flat = OrtSessions.toFloats(tensor, output);
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
}
