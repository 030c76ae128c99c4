package io.github.onnxprune.pipeline;

import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.eval.ValidationDataException;
import io.github.onnxprune.prune.calibrate.ActivationCollector;
import java.nio.ByteBuffer;

/**
 * The configured metric of a candidate model on the calibration samples, against the original's outputs there:
 * with their labels when they have some, else with the original's own top-1 as labels (agreement), so a
 * calibration set of inputs alone can still rank candidates. The original's outputs are computed once, on first
 * use.
 */
final class CalibrationScore {

    private final OnnxRuntimeEvaluator runtime;
    private final ValidationData samples;
    private final ByteBuffer originalBytes;
    private final EvaluationSettings evaluation;
    private final String described;
    private float[][] baseline;

    /**
     * @param described the samples' file and model for a failure message, e.g. "calibration data d.npz for model
     *     models/m.onnx"
     */
    CalibrationScore(OnnxRuntimeEvaluator runtime, ValidationData samples, ByteBuffer originalBytes,
            EvaluationSettings evaluation, String described) {
        this.runtime = runtime;
        this.samples = samples;
        this.originalBytes = originalBytes;
        this.evaluation = evaluation;
        this.described = described;
    }

    /** The metric of {@code candidate} on the calibration samples. */
    double of(ByteBuffer candidate) {
        float[][] outputs = runtime.run(candidate, samples, evaluation.outputName(), evaluation.batchSize()).rows();
        return score(outputs);
    }

    /** The metric of the original itself on the calibration samples, from which a candidate's loss is counted. */
    double original() {
        return score(baseline());
    }

    /** The same score on the first {@code count} calibration samples only (all of them when there are fewer). */
    CalibrationScore firstSamples(int count) {
        return new CalibrationScore(runtime, ActivationCollector.firstSamples(samples, count), originalBytes,
                evaluation, described);
    }

    /** How many samples it scores on. */
    int sampleCount() {
        return samples.sampleCount();
    }

    private double score(float[][] outputs) {
        long[] labels = samples.hasLabels() ? samples.effectiveLabels() : topOne(baseline());
        try {
            return evaluation.metric().score(baseline(), outputs, labels);
        } catch (ValidationDataException e) {
            // The metric knows what is wrong with the labels; the user needs to know which file.
            throw new ValidationDataException(described + ": " + e.getMessage(), e);
        }
    }

    private float[][] baseline() {
        if (baseline == null) {
            baseline = runtime.run(originalBytes, samples, evaluation.outputName(), evaluation.batchSize()).rows();
        }
        return baseline;
    }

    private static long[] topOne(float[][] rows) {
        long[] labels = new long[rows.length];
        for (int i = 0; i < rows.length; i++) {
            int best = 0;
            for (int j = 1; j < rows[i].length; j++) {
                best = rows[i][j] > rows[i][best] ? j : best;
            }
            labels[i] = best;
        }
        return labels;
    }
}
