package io.github.onnxprune.pipeline;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.report.Measurement;
import java.util.List;

/**
 * One run of the steps for one set of settings, measured and gated (null measurement without data).
 *
 * @param task the settings the steps ran with
 * @param ran each step with its input and result, in order
 * @param model the last step's model, or the original when none ran
 * @param measurement the model's metric against the original's, null without validation data
 * @param violations the gate's failures, empty when it passed
 * @param described what was done, as the gate's message words it
 * @param remedies what the steps suggest when the gate fails
 * @param shareRuns runs of the global scope's share choice on the calibration data
 */
record Attempt(ModelTask task, List<Ran<?>> ran, ModelProto model, Measurement measurement, List<String> violations,
        String described, List<String> remedies, int shareRuns) {

    Attempt withViolations(List<String> replaced) {
        return new Attempt(task, ran, model, measurement, replaced, described, remedies, shareRuns);
    }
}
