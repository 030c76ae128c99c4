package io.github.onnxprune.step.int8;

import static io.github.onnxprune.TestGraphs.in;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.TestGraphs;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.prune.calibrate.ActivationCollector;
import io.github.onnxprune.quantize.QuantizationSettings;
import io.github.onnxprune.quantize.QuantizedLayer;
import io.github.onnxprune.step.StepInput;
import io.github.onnxprune.step.StepResult;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A table kept to fewer bits goes back to 8 bits before float when the gate fails. */
class TableFallbackTest {

    @Test
    void aFourBitTableWithTheLargestErrorStepsBackToEightBitsThenTheNextRoundPutsALayerFloat() {
        ModelProto model = new TestGraphs().int64Input("ids", -1, 5).output("y", -1, 5, 8)
                .initializer("table", TestGraphs.random(41, 50 * 16), 50, 16)
                .initializer("w", TestGraphs.random(42, 128), 16, 8)
                .node("embed", "Gather", in("table", "ids"), "e").node("proj", "MatMul", in("e", "w"), "y")
                .model(8, 13);
        long[] ids = new long[16 * 5];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = (i * 7L) % 50;
        }
        ValidationData data = new ValidationData(Map.of("ids", Tensor.ofLongs(new long[] {16, 5}, ids)), null, null,
                Path.of("ids"));
        QuantizationStep step = new QuantizationStep(QuantizationSettings.defaults().withTableBits(4), true);
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            StepInput input = new StepInput(model, model, new ActivationCollector(runtime, data, 16, 16));
            StepResult<Int8Edits> first = step.apply(input);
            QuantizedLayer fourBits = layer(first, "embed");
            assertEquals("Int8Gather (4-bit levels)", fourBits.form());
            assertTrue(fourBits.outputError() > layer(first, "proj").outputError());

            StepResult<Int8Edits> second = step.relax(input, first, "mse 0.5000 did not pass the gate").orElseThrow();
            QuantizedLayer eightBits = layer(second, "embed");
            assertEquals(List.of(true, "Int8Gather"), List.of(eightBits.quantized(), eightBits.form()));
            // Measured again for its new form: int8's 255 levels err far less than 15.
            assertTrue(eightBits.outputError() < fourBits.outputError() / 5, eightBits.outputError() + " vs "
                    + fourBits.outputError());
            assertEquals(Map.of(), second.edits().fallback());
            assertEquals(List.of("embed"), List.copyOf(second.edits().fullBits().keySet()));
            assertEquals(List.of("embed"), second.section().fields().get("fallbackFullBitTables"));
            assertEquals(String.format(java.util.Locale.ROOT, "embed (Gather): int8 as Int8Gather, output error %.4f,"
                    + " weight 3.1 -> 1.0 KiB, back to 8 bits by the accuracy fallback (round 1; output error %.4f,"
                    + " among the largest) after mse 0.5000 did not pass the gate", eightBits.outputError(),
                    fourBits.outputError()), second.section().log().get(0));

            StepResult<Int8Edits> third = step.relax(input, second, "mse 0.5000 did not pass the gate").orElseThrow();
            assertEquals(1, third.edits().fallback().size());
            assertEquals(2, third.edits().rounds().size());
        }
    }

    private static QuantizedLayer layer(StepResult<Int8Edits> result, String name) {
        return result.edits().result().layers().stream().filter(l -> l.layer().equals(name)).findFirst()
                .orElseThrow();
    }
}
