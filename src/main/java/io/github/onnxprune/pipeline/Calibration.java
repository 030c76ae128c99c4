package io.github.onnxprune.pipeline;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.eval.DataRole;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.prune.calibrate.ActivationCollector;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * The calibration samples, where they came from, and the metric of a candidate on them.
 *
 * @param collector the calibration activations the steps that re-fit read
 * @param source the file the samples came from
 * @param sameAsValidation whether that file is the validation data itself
 * @param score the metric of a candidate model on the samples
 */
record Calibration(ActivationCollector collector, String source, boolean sameAsValidation, CalibrationScore score) {

    /**
     * The calibration data, when some exists (the configured calibration set, else the validation set); null
     * otherwise, and then nothing asks {@code evaluator} for ONNX Runtime. Called only when a step asks for it.
     * Values a re-fit keeps off the heap go to scratch files in {@code scratchFolder} (null: the temporary folder).
     */
    static Calibration load(ModelTask task, ModelProto original, ByteBuffer originalBytes, ValidationData validation,
            Supplier<OnnxRuntimeEvaluator> evaluator, Path scratchFolder) {
        EvaluationSettings evaluation = task.evaluation();
        CalibrationSettings settings = evaluation.calibration();
        Path file = settings.calibrationData() != null ? settings.calibrationData() : evaluation.validationData();
        if (file == null) {
            return null;
        }
        boolean same = evaluation.validationData() != null
                && file.toAbsolutePath().normalize().equals(evaluation.validationData().toAbsolutePath().normalize());
        // Calibration needs inputs only; a labels array that happens to be there is simply not used.
        ValidationData samples = same && validation != null ? validation
                : task.readData(file, original, DataRole.CALIBRATION);
        // Padding is what the pooled metric skips: the same <maskInput> marks it for the fits.
        return new Calibration(new ActivationCollector(evaluator.get(), samples, settings.samples(),
                evaluation.batchSize(), evaluation.outputName().maskInput(), scratchFolder), file.toString(), same,
                new CalibrationScore(evaluator.get(), samples, originalBytes, evaluation, (same ? "validation data "
                        : "calibration data ") + file + " for model " + task.entryName()));
    }
}
