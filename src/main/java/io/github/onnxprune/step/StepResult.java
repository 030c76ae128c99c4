package io.github.onnxprune.step;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.prune.calibrate.LayerReconstruction;
import io.github.onnxprune.report.StepSection;
import java.util.List;

/**
 * What a step did.
 *
 * @param model the new model; the input instance itself when nothing changed
 * @param edits exactly what the step changed, in its own terms
 * @param section its part of the report
 * @param refitted layers it re-fitted on calibration data, or null when it did not try to (no data, or the step
 *     does not re-fit)
 * @param unchangedReason when the model did not change, why (for the "nothing was pruned" warning); else empty
 * @param <E> the step's record of its edits
 */
public record StepResult<E>(ModelProto model, E edits, StepSection section, List<LayerReconstruction> refitted,
        String unchangedReason) {

    public StepResult {
        refitted = refitted == null ? null : List.copyOf(refitted);
    }
}
