package io.github.onnxprune.step.int8;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.prune.NamePattern;
import io.github.onnxprune.prune.calibrate.ActivationCollector;
import io.github.onnxprune.quantize.QuantizationResult;
import io.github.onnxprune.quantize.QuantizedLayer;
import io.github.onnxprune.step.StepInput;
import io.github.onnxprune.step.StepResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The int8 step's own report (a line per layer for small models, a summary for big ones) and its fallback: which
 * layers go back first, how many per round, errors measured once.
 */
class QuantizationStepTest {

    /** A chain of {@code names.length} MatMul layers of 4x4 weights, opset 13. */
    private static ModelProto chain(String... names) {
        GraphProto.Builder graph = GraphProto.newBuilder().setName("chain").addInput(info("x"));
        String value = "x";
        for (int i = 0; i < names.length; i++) {
            TensorProto.Builder weight = TensorProto.newBuilder().setName("w" + i)
                    .setDataType(TensorProto.DataType.FLOAT_VALUE).addDims(4).addDims(4);
            for (int k = 0; k < 16; k++) {
                weight.addFloatData((k * 7 + i) % 5 - 2f);
            }
            graph.addInitializer(weight);
            String out = i == names.length - 1 ? "y" : "h" + i;
            graph.addNode(NodeProto.newBuilder().setName(names[i]).setOpType("MatMul").addInput(value)
                    .addInput("w" + i).addOutput(out));
            value = out;
        }
        graph.addOutput(info("y"));
        return ModelProto.newBuilder().setIrVersion(8)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13)).setGraph(graph).build();
    }

    private static ValueInfoProto info(String name) {
        TensorShapeProto shape = TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("batch"))
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(4)).build();
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(shape))).build();
    }

    private static StepResult<Int8Edits> quantize(ModelProto model, String exclude) {
        return new QuantizationStep(List.of(new NamePattern(exclude)), true).apply(new StepInput(model, model, null));
    }

    @Test
    void aSmallModelGetsALinePerLayer() {
        StepResult<Int8Edits> result = quantize(chain("a", "b", "skip"), "skip");

        assertEquals("int8 layers:", result.section().logHeading());
        assertEquals(List.of("a (MatMul): int8 as DynamicQuantizeMatMul, weight 0.1 -> 0.0 KiB",
                "b (MatMul): int8 as DynamicQuantizeMatMul, weight 0.1 -> 0.0 KiB",
                "skip (MatMul): float, matches the exclude pattern 'skip'"), result.section().log());
        assertEquals("int8", result.section().metadata().get("onnx-prune.quantize"));
        assertEquals("2/3", result.section().metadata().get("onnx-prune.quantizedLayers"));
    }

    @Test
    void aBigModelGetsASummaryAndEveryLayerStaysInReportJson() {
        String[] names = new String[QuantizationStep.MAX_LOGGED_LAYERS + 2];
        for (int i = 0; i < names.length; i++) {
            names[i] = (i < 9 ? "m" : "e") + i;
        }
        StepResult<Int8Edits> result = quantize(chain(names), "e*");

        List<String> log = result.section().log();
        assertEquals(2, log.size(), log.toString());
        assertTrue(log.get(0).startsWith("9 of 14 layers int8 (9 as DynamicQuantizeMatMul), weights 0.6 -> "),
                log.get(0));
        assertEquals("5 float, matches the exclude pattern 'e*': e9, e10, e11 and 2 more", log.get(1));
        assertEquals(14, result.section().items("quantizedLayers").size());
    }

    private static QuantizedLayer layer(String name, double error, long floatBytes, long int8Bytes) {
        return new QuantizedLayer(name, "MatMul", true, QuantizedLayer.DYNAMIC_MATMUL, "", floatBytes, int8Bytes,
                error);
    }

    @Test
    void theLargestOutputErrorGoesBackFirstWhateverItsSize() {
        // MiniLM's shapes and errors: an FFN output (1536x384), attention projections (384x384), the position table.
        QuantizedLayer ffn = layer("ffn", 0.0526, 2359296, 591360);
        QuantizedLayer value = layer("value", 0.0431, 589824, 148992);
        QuantizedLayer output = layer("output", 0.0341, 589824, 148992);
        QuantizedLayer positions = new QuantizedLayer("positions", "Gather", true, QuantizedLayer.INT8_GATHER, "",
                786432, 198656, 0.0113);
        QuantizedLayer unmeasured = layer("unmeasured", Double.NaN, 4096, 1100);
        QuantizedLayer floatAlready = new QuantizedLayer("float", "MatMul", false, "", "why", 64, 64, Double.NaN);

        assertEquals(List.of("ffn", "value", "output", "positions", "unmeasured"),
                QuantizationStep.fallbackOrder(List.of(positions, output, floatAlready, unmeasured, ffn, value))
                        .stream().map(QuantizedLayer::layer).toList());
        // At equal errors the later layer goes first, whatever the sizes.
        assertEquals(List.of("second", "first"), QuantizationStep.fallbackOrder(List.of(
                layer("first", 0.04, 2000, 1000), layer("second", 0.04, 3000, 1000))).stream()
                .map(QuantizedLayer::layer).toList());
    }

    @Test
    void eachRoundPutsBackHalfAsManyLayersAsAreAlreadyFloatAndAtLeastOne() {
        List<Integer> counts = new ArrayList<>();
        for (int alreadyFloat : new int[] {0, 1, 2, 3, 4, 6, 9, 13, 19, 28}) {
            counts.add(QuantizationStep.layersPerRound(alreadyFloat));
        }
        assertEquals(List.of(1, 1, 1, 1, 2, 3, 4, 6, 9, 14), counts);
    }

    @Test
    void theFallbackRunsSevenRoundsForTenLayersAndMeasuresEachLayerOnce() {
        String[] names = new String[10];
        for (int i = 0; i < names.length; i++) {
            names[i] = "m" + i;
        }
        ModelProto model = chain(names);
        float[] x = new float[32 * 4];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i * 13 % 17) / 8f - 1f;
        }
        ValidationData samples = new ValidationData(Map.of("x", Tensor.ofFloats(new long[] {32, 4}, x)), null, null,
                Path.of("samples"));
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            StepInput input = new StepInput(model, model, new ActivationCollector(runtime, samples, 32, 32));
            QuantizationStep step = new QuantizationStep(List.of(), true);
            StepResult<Int8Edits> first = step.apply(input);
            List<QuantizedLayer> measured = first.edits().result().layers();
            assertTrue(measured.stream().allMatch(l -> l.outputError() > 0), measured.toString());

            // A made-up error in the first result: a round that measured again would replace it.
            List<QuantizedLayer> planted = new ArrayList<>(measured);
            QuantizedLayer m0 = planted.get(0);
            planted.set(0, new QuantizedLayer(m0.layer(), m0.opType(), true, m0.form(), "", m0.floatBytes(),
                    m0.int8Bytes(), 1e-9));
            StepResult<Int8Edits> result = new StepResult<>(first.model(), new Int8Edits(new QuantizationResult(
                    first.edits().result().model(), planted), Map.of(), List.of(), first.edits().startNanos()),
                    first.section(), null, "");
            List<Integer> putBack = new ArrayList<>();
            for (Optional<StepResult<Int8Edits>> next = step.relax(input, result, "mse 0.5000 did not pass the gate");
                    next.isPresent(); next = step.relax(input, result, "mse 0.5000 did not pass the gate")) {
                result = next.get();
                putBack.add(result.edits().rounds().get(result.edits().rounds().size() - 1).putBack());
                result.edits().result().layers().stream().filter(QuantizedLayer::quantized).forEach(l ->
                        assertEquals(l.layer().equals("m0") ? 1e-9 : measured.stream()
                                .filter(m -> m.layer().equals(l.layer())).findFirst().orElseThrow().outputError(),
                                l.outputError(), 0.0, l.layer()));
            }

            assertEquals(List.of(1, 1, 1, 1, 2, 3, 1), putBack);
            assertEquals("m0", new ArrayList<>(result.edits().fallback().keySet()).get(9),
                    "the planted error is the smallest: m0 goes back last");
            assertEquals(7, result.edits().rounds().size());
            assertTrue(result.edits().fallback().values().stream().allMatch(r -> r.matches("put back to float by"
                    + " the accuracy fallback \\(round \\d; output error 0\\.\\d{4}, among the largest; 0\\.0 KiB"
                    + " more in float\\) after mse 0\\.5000 did not pass the gate")),
                    result.edits().fallback().toString());
            List<String> rounds = QuantizationStep.roundLines(result.edits());
            assertEquals(7, rounds.size());
            assertTrue(rounds.get(4).matches("fallback round 5: mse 0\\.5000 did not pass the gate; 2 layers put back,"
                    + " 6 float in all, \\d+\\.\\d s since int8 started"), rounds.get(4));
            assertEquals(7, result.section().items("fallbackRounds").size());
            assertTrue(result.section().log().containsAll(rounds), result.section().log().toString());
            assertTrue(result.edits().result().layers().stream().noneMatch(QuantizedLayer::quantized));
        }
    }
}
