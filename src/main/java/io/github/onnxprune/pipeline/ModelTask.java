package io.github.onnxprune.pipeline;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.eval.DataRole;
import io.github.onnxprune.eval.ModelSignature;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.eval.ValidationDataException;
import io.github.onnxprune.eval.ValidationDataReader;
import io.github.onnxprune.gate.GateLimits;
import io.github.onnxprune.prune.nodes.UnitImportance;
import java.nio.file.Path;

/**
 * One model to prune, with every setting resolved.
 *
 * @param file the model file as the build produced it (never modified)
 * @param entryName its path inside the artifact, with forward slashes
 * @param pruning how to prune it
 * @param evaluation how to measure it
 * @param limits the accuracy it must keep
 */
public record ModelTask(Path file, String entryName, PruningSettings pruning, EvaluationSettings evaluation,
        GateLimits limits) {

    /**
     * Fails when the settings ask for what this model's data cannot give ({@link MeasuredShares#check}, a
     * compensated ranking without any data).
     */
    public ModelTask {
        MeasuredShares.check(pruning, evaluation);
        checkCompensatedRanking(pruning, evaluation);
    }

    /**
     * The compensated ranking measures each unit on calibration data: with none it fails rather than fall back to
     * a norm (as fluctuation does), since the user asked for the ranking by name and pays for it in build time.
     */
    private static void checkCompensatedRanking(PruningSettings pruning, EvaluationSettings evaluation) {
        if (pruning.importance() == UnitImportance.COMPENSATED && pruning.unitFraction() > 0
                && evaluation.calibration().calibrationData() == null && evaluation.validationData() == null) {
            throw new IllegalArgumentException("<importance>compensated</importance> (property"
                    + " onnx-prune.importance) ranks units by the output error their removal leaves once the layer"
                    + " reading them is re-fitted, measured on calibration data, but this model has neither"
                    + " <calibrationData> nor <validationData>. Set <calibrationData> to samples like the ones the"
                    + " model will see (or <validationData>, which it then also calibrates on), or use"
                    + " <importance>l2</importance>, which needs no data");
        }
    }

    /**
     * Reads {@code data} for {@code model} in its {@code role}. The reader's message names the file and what to
     * do; several models may share one file, so a failure also names this one.
     */
    ValidationData readData(Path data, ModelProto model, DataRole role) {
        try {
            return ValidationDataReader.read(data, ModelSignature.of(model), evaluation.labelName(), role);
        } catch (ValidationDataException e) {
            throw new ValidationDataException("Model " + entryName + ": " + e.getMessage(), e);
        }
    }
}
