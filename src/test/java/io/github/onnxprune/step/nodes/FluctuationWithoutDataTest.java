package io.github.onnxprune.step.nodes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.Fixtures;
import io.github.onnxprune.onnx.OnnxModelReader;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.nodes.NodePruningResult;
import io.github.onnxprune.prune.nodes.NodePruningSettings;
import io.github.onnxprune.prune.nodes.UnitImportance;
import io.github.onnxprune.step.StepInput;
import io.github.onnxprune.step.StepResult;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Fluctuation without any data ranks as L2 norms do, and the step's log says so instead of keeping quiet. */
class FluctuationWithoutDataTest {

    private static final String L2_INSTEAD = "units ranked by L2 norms: fluctuation needs calibration or validation"
            + " data, and none was given (<calibrationData> or <validationData>)";

    @Test
    void withoutDataTheLogSaysTheUnitsWereRankedByL2NormsAndTheModelIsL2s() {
        ModelProto model = OnnxModelReader.read(Fixtures.fixture("digits-bert/model.onnx"));
        StepResult<NodePruningResult> fluctuation = prune(model, UnitImportance.FLUCTUATION);
        StepResult<NodePruningResult> l2 = prune(model, UnitImportance.L2);

        assertEquals(L2_INSTEAD, fluctuation.section().log().get(0));
        assertEquals(l2.model(), fluctuation.model());
        assertTrue(l2.section().log().stream().noneMatch(line -> line.startsWith("units ranked by")),
                l2.section().log().toString());
    }

    private static StepResult<NodePruningResult> prune(ModelProto model, UnitImportance importance) {
        NodePruningSettings settings = new NodePruningSettings(0.5, Scope.LAYERWISE, List.of(), List.of(), importance);
        return new NodePruningStep(settings, false).apply(new StepInput(model, model, null, null));
    }
}
