package io.github.onnxprune.eval;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Validation samples ready to feed a model: one tensor per model input plus optional labels.
 *
 * @param inputs one tensor per model input in the model's input order; all share the first dimension, the
 *     number of samples
 * @param labels one class index per sample, or {@code null} when the data has none
 * @param referenceOutputs one expected output row per sample (ONNX test data with float outputs), or
 *     {@code null}
 * @param source the file or directory the data came from, for messages
 */
public record ValidationData(Map<String, Tensor> inputs, long[] labels, float[][] referenceOutputs, Path source) {

    /** Checks that every part holds the same number of samples and copies everything. */
    public ValidationData {
        Objects.requireNonNull(inputs, "inputs");
        Objects.requireNonNull(source, "source");
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException("validation data needs at least one input");
        }
        int samples = -1;
        for (Map.Entry<String, Tensor> entry : inputs.entrySet()) {
            int rows = entry.getValue().sampleCount();
            if (samples >= 0 && rows != samples) {
                throw new IllegalArgumentException("input '" + entry.getKey() + "' has " + rows
                        + " samples, the others " + samples);
            }
            samples = rows;
        }
        if (labels != null && labels.length != samples) {
            throw new IllegalArgumentException(labels.length + " labels for " + samples + " samples");
        }
        if (referenceOutputs != null && referenceOutputs.length != samples) {
            throw new IllegalArgumentException(referenceOutputs.length + " reference outputs for " + samples
                    + " samples");
        }
        inputs = Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
        labels = labels == null ? null : labels.clone();
        referenceOutputs = referenceOutputs == null ? null : Shapes.deepCopy(referenceOutputs);
    }

    /** Number of samples (the shared first dimension of all inputs). */
    public int sampleCount() {
        return inputs.values().iterator().next().sampleCount();
    }

    /** The labels (a copy), or {@code null} when the data has none. */
    @Override
    public long[] labels() {
        return labels == null ? null : labels.clone();
    }

    /** The reference outputs (a copy), or {@code null} when the data has none. */
    @Override
    public float[][] referenceOutputs() {
        return referenceOutputs == null ? null : Shapes.deepCopy(referenceOutputs);
    }

    /**
     * The labels metrics should use: the explicit labels when present, otherwise the argmax of each
     * reference output row, otherwise {@code null}.
     *
     * @return one class index per sample, or {@code null}
     */
    public long[] effectiveLabels() {
        if (labels != null) {
            return labels.clone();
        }
        if (referenceOutputs == null) {
            return null;
        }
        long[] derived = new long[referenceOutputs.length];
        for (int i = 0; i < derived.length; i++) {
            derived[i] = Metric.argmax(referenceOutputs[i]);
        }
        return derived;
    }

    /** Whether {@link #effectiveLabels()} returns labels. */
    public boolean hasLabels() {
        return labels != null || referenceOutputs != null;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ValidationData that
                && inputs.equals(that.inputs)
                && Arrays.equals(labels, that.labels)
                && Arrays.deepEquals(referenceOutputs, that.referenceOutputs)
                && source.equals(that.source);
    }

    @Override
    public int hashCode() {
        return Objects.hash(inputs, Arrays.hashCode(labels), Arrays.deepHashCode(referenceOutputs), source);
    }

    @Override
    public String toString() {
        return "ValidationData[" + sampleCount() + " samples from " + source + ", inputs " + inputs.values()
                + (labels != null ? ", labels" : "") + (referenceOutputs != null ? ", reference outputs" : "")
                + "]";
    }
}
