package io.github.onnxprune.step;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.prune.calibrate.ActivationCollector;

/**
 * What a step works on.
 *
 * @param model the model as the previous steps left it
 * @param original the model as the user bundled it, before any step (the reference compensation fits toward)
 * @param calibration activations on the calibration samples, or null when the step did not ask for them or no
 *     calibration data exists
 */
public record StepInput(ModelProto model, ModelProto original, ActivationCollector calibration) {
}
