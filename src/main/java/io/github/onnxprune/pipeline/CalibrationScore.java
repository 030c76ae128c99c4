package io.github.onnxprune.pipeline;

import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.ValidationData;
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
    private float[][] baseline;

    CalibrationScore(OnnxRuntimeEvaluator runtime, ValidationData samples, ByteBuffer originalBytes,
            EvaluationSettings evaluation) {
        this.runtime = runtime;
        this.samples = samples;
        this.originalBytes = originalBytes;
        this.evaluation = evaluation;
    }

    /** The metric of {@code candidate} on the calibration samples. */
    double of(ByteBuffer candidate) {
        float[][] outputs = runtime.run(candidate, samples, evaluation.outputName(), evaluation.batchSize()).rows();
        return evaluation.metric().score(baseline(), outputs, labels());
    }

    /** The metric of the original itself on the calibration samples, from which a candidate's loss is counted. */
    double original() {
        return evaluation.metric().score(baseline(), baseline(), labels());
    }

    /** The same score on the first {@code count} calibration samples only (all of them when there are fewer). */
    CalibrationScore firstSamples(int count) {
        return new CalibrationScore(runtime, ActivationCollector.firstSamples(samples, count), originalBytes,
                evaluation);
    }

    /** How many samples it scores on. */
    int sampleCount() {
        return samples.sampleCount();
    }

    private float[][] baseline() {
        if (baseline == null) {
            baseline = runtime.run(originalBytes, samples, evaluation.outputName(), evaluation.batchSize()).rows();
        }
        return baseline;
    }

    private long[] labels() {
        return samples.hasLabels() ? samples.effectiveLabels() : topOne(baseline());
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
