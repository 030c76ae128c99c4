package io.github.onnxprune.step;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.prune.calibrate.ActivationCollector;
import java.util.function.Consumer;

/**
 * What a step works on.
 *
 * @param model the model as the previous steps left it
 * @param original the model as the user bundled it, before any step (the reference compensation fits toward)
 * @param calibration activations on the calibration samples, or null when the step did not ask for them or no
 *     calibration data exists
 * @param progress receives a line per finished unit of a long step (a re-fitted layer), for the build log while
 *     the step runs; lines name the unit, not the model or step (the pipeline prefixes those)
 */
public record StepInput(ModelProto model, ModelProto original, ActivationCollector calibration,
        Consumer<String> progress) {

    /** Replaces an absent progress consumer by one that drops the lines. */
    public StepInput {
        progress = progress == null ? line -> { } : progress;
    }

    /** An input whose progress lines go nowhere. */
    public StepInput(ModelProto model, ModelProto original, ActivationCollector calibration) {
        this(model, original, calibration, null);
    }
}
