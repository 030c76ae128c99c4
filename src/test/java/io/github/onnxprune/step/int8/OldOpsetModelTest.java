package io.github.onnxprune.step.int8;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.step.StepInput;
import io.github.onnxprune.step.StepResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The committed opset-9 model of the old-opset integration test, and what the int8 step does with it. */
class OldOpsetModelTest {

    private static final Path COMMITTED = Path.of("src/it/quantize-old-opset/src/main/resources/models/old.onnx");

    @Test
    void theCommittedFileIsWhatTheGeneratorWrites() throws Exception {
        assertArrayEquals(OldOpsetModel.model().toByteArray(), Files.readAllBytes(COMMITTED));
    }

    @Test
    void aModelWhoseOpsetCannotBeRaisedStaysFloatWithTheReason() {
        ModelProto model = OldOpsetModel.model();
        StepResult<Int8Edits> result = new QuantizationStep(List.of(), true).apply(new StepInput(model, model, null));

        assertSame(model, result.model());
        List<Map<String, Object>> layers = result.section().items("quantizedLayers");
        assertEquals(List.of("mm1", "mm2"), layers.stream().map(l -> l.get("layer")).toList());
        for (Map<String, Object> layer : layers) {
            assertEquals(false, layer.get("quantized"));
            assertEquals("the model's opset 9 is below 11 and Slice changed at opset 10 (node 'slice'), so the"
                    + " opset cannot be raised safely", layer.get("reason"));
        }
        assertEquals("none", result.section().metadata().get("onnx-prune.quantize"));
        assertEquals("no layer quantized (mm1: the model's opset 9 is below 11 and Slice changed at opset 10 (node"
                + " 'slice'), so the opset cannot be raised safely)", result.unchangedReason());
    }
}
