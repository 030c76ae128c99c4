package io.github.onnxprune.quantize;

import static io.github.onnxprune.TestGraphs.in;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import io.github.onnxprune.Fixtures;
import io.github.onnxprune.TestGraphs;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.Pooling;
import io.github.onnxprune.eval.ScoredOutput;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.prune.NamePattern;
import io.github.onnxprune.prune.calibrate.ActivationCollector;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/** The int8 forms on the real fixtures and on hand-built graphs, run and optimized by ONNX Runtime itself. */
class Int8QuantizerTest {

    /** Every value of the first output, flattened per sample: the tests compare whole outputs. */
    private static final ScoredOutput EVERY_VALUE = new ScoredOutput(null, Pooling.FLATTEN, null);

    @AutoClose
    private static final OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1);

    @Test
    void matMulAndGemmFixturesBecomeDynamicQuantizeMatMulWithinOnePointOfAccuracy() throws Exception {
        Map<String, Integer> layers = Map.of("digits-mlp", 3, "wine-mlp", 2, "digits-ffn", 4);
        for (String name : List.of("digits-mlp", "wine-mlp", "digits-ffn")) {
            Fixtures.Loaded fixture = Fixtures.load(name);
            QuantizationResult result = Int8Quantizer.quantize(fixture.model(), QuantizationSettings.defaults(), null);

            assertEquals(layers.get(name), result.layers().size(), name);
            for (QuantizedLayer layer : result.layers()) {
                assertTrue(layer.quantized(), name + " " + layer);
                assertEquals(QuantizedLayer.DYNAMIC_MATMUL, layer.form());
                assertTrue(Double.isNaN(layer.outputError()), "no calibration, no error measured");
                assertTrue(layer.int8Bytes() < layer.floatBytes() / 3, layer.toString());
            }
            Map<String, Integer> written = opTypes(result.model());
            assertFalse(written.containsKey("DequantizeLinear"), "never a weight-only DequantizeLinear: " + written);
            assertFalse(written.containsKey("Gemm") || written.containsKey("MatMul"), written.toString());
            for (OptLevel level : List.of(OptLevel.EXTENDED_OPT, OptLevel.ALL_OPT)) {
                Map<String, Integer> optimized = OptimizedGraph.opTypes(result.model(), level);
                assertEquals(layers.get(name), optimized.get("DynamicQuantizeMatMul"), name + " " + optimized);
                assertFalse(optimized.containsKey("MatMulInteger") || optimized.containsKey("DynamicQuantizeLinear")
                        || optimized.containsKey("MatMulIntegerToFloat"), name + " " + optimized);
            }
            double before = Fixtures.accuracy(runtime, fixture.model(), fixture.data());
            double after = Fixtures.accuracy(runtime, result.model(), fixture.data());
            assertTrue(after >= before - 0.01, name + ": " + before + " -> " + after);
        }
    }

    @Test
    void convFixturesWithCalibrationBecomeQLinearConvAndReportEachLayersError() throws Exception {
        for (String name : List.of("digits-cnn-bn", "digits-cnn-folded")) {
            Fixtures.Loaded fixture = Fixtures.load(name);
            ActivationCollector calibration = new ActivationCollector(runtime, fixture.data(), 512, 64);
            QuantizationResult result = Int8Quantizer.quantize(fixture.model(), QuantizationSettings.defaults(),
                    calibration);

            assertEquals(List.of("Conv", "Conv", "Conv", "Conv", "Gemm"),
                    result.layers().stream().map(QuantizedLayer::opType).toList());
            for (QuantizedLayer layer : result.layers()) {
                assertTrue(layer.quantized(), layer.toString());
                assertEquals(layer.opType().equals("Conv") ? QuantizedLayer.QDQ_CONV : QuantizedLayer.DYNAMIC_MATMUL,
                        layer.form());
                assertEquals(layer.floatBytes() / 4 + 4L * (layer.opType().equals("Conv") ? channels(layer)
                        : 10), layer.int8Bytes(), "int8 weight and one float scale per output: " + layer);
                // Measured 0.002 to 0.017; 8-bit steps of these ranges cannot do much worse.
                assertTrue(layer.outputError() > 0 && layer.outputError() < 0.05, layer.toString());
            }
            Map<String, Integer> written = opTypes(result.model());
            assertFalse(written.containsKey("BatchNormalization"), "folded into the int8 weights: " + written);
            assertEquals(4, written.get("Relu"), "each Conv's Relu is kept before its output QuantizeLinear");
            for (OptLevel level : List.of(OptLevel.EXTENDED_OPT, OptLevel.ALL_OPT)) {
                Map<String, Integer> optimized = OptimizedGraph.opTypes(result.model(), level);
                assertEquals(4, optimized.get("QLinearConv"), optimized.toString());
                assertEquals(1, optimized.get("DynamicQuantizeMatMul"), optimized.toString());
                // Relu after a uint8 QuantizeLinear with zero point 0 is dropped into QLinearConv.
                assertFalse(optimized.containsKey("Conv") || optimized.containsKey("MatMulInteger")
                        || optimized.containsKey("Relu") || optimized.containsKey("BatchNormalization"),
                        optimized.toString());
            }
            double before = Fixtures.accuracy(runtime, fixture.model(), fixture.data());
            double after = Fixtures.accuracy(runtime, result.model(), fixture.data());
            assertTrue(after >= before - 0.01, name + ": " + before + " -> " + after);
        }
    }

    @Test
    void convWithoutCalibrationStaysFloatAndSaysWhy() {
        Fixtures.Loaded fixture = Fixtures.load("digits-cnn-folded");
        QuantizationResult result = Int8Quantizer.quantize(fixture.model(), QuantizationSettings.defaults(), null);

        for (QuantizedLayer layer : result.layers().subList(0, 4)) {
            assertFalse(layer.quantized());
            assertEquals("needs calibration data (static activation ranges)", layer.reason());
            assertEquals(layer.floatBytes(), layer.int8Bytes());
        }
        assertTrue(result.layers().get(4).quantized(), "the Gemm needs no calibration");
        assertEquals(4, opTypes(result.model()).get("Conv"));
    }

    @Test
    void prunedZerosStayExactZerosAndEachColumnUsesTheFullSevenBitRangeByDefault() {
        assertZerosKeptAndColumnsSpan(QuantizationSettings.defaults(), 63);
    }

    @Test
    void eightBitWeightsSpanTheFullInt8Range() {
        assertZerosKeptAndColumnsSpan(QuantizationSettings.defaults().withWeightBits(8), 127);
    }

    @Test
    void weightBitsOtherThanSevenOrEightAreRefused() {
        assertEquals("weight bits are 6 but must be 7 or 8", assertThrows(IllegalArgumentException.class,
                () -> QuantizationSettings.defaults().withWeightBits(6)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> QuantizationSettings.defaults().withWeightBits(9));
    }

    private static void assertZerosKeptAndColumnsSpan(QuantizationSettings settings, int limit) {
        Fixtures.Loaded fixture = Fixtures.load("digits-ffn");
        TensorProto weight = ModelGraph.of(fixture.model()).constant("proj_W").orElseThrow().tensor();
        int[] zeroed = new int[1024];
        for (int i = 0; i < zeroed.length; i++) {
            zeroed[i] = (i * 7) % 2048;
        }
        ModelProto pruned = ModelGraph.of(fixture.model()).withConstants(Map.of("proj_W",
                FloatTensor.of(weight).withZeros(zeroed)));
        QuantizationResult result = Int8Quantizer.quantize(pruned, settings, null);

        TensorProto int8 = ModelGraph.of(result.model()).constant("/MatMul_output_0_weight_int8").orElseThrow()
                .tensor();
        assertEquals(TensorProto.DataType.INT8_VALUE, int8.getDataType());
        assertEquals(List.of(64L, 32L), int8.getDimsList());
        byte[] values = int8.getRawData().toByteArray();
        double[] floats = FloatTensor.of(ModelGraph.of(pruned).constant("proj_W").orElseThrow().tensor()).values();
        int prunedZeros = 0;
        for (int i = 0; i < values.length; i++) {
            if (floats[i] == 0) {
                assertEquals(0, values[i], "element " + i);
                prunedZeros++;
            }
        }
        assertEquals(1024, prunedZeros);
        float[] scales = floats(ModelGraph.of(result.model()).constant("/MatMul_output_0_weight_scale").orElseThrow()
                .tensor());
        for (int column = 0; column < 32; column++) {
            double max = 0;
            int maxCode = 0;
            for (int row = 0; row < 64; row++) {
                max = Math.max(max, Math.abs(floats[row * 32 + column]));
                maxCode = Math.max(maxCode, Math.abs(values[row * 32 + column]));
            }
            assertEquals(max == 0 ? 1f : (float) (max / limit), scales[column]);
            assertEquals(max == 0 ? 0 : limit, maxCode);
        }
        assertFalse(ModelGraph.of(result.model()).constant("proj_W").isPresent(), "the float weight is dropped");
    }

    @Test
    void excludedAndKeptFloatLayersStayGemmWithTheirReasons() throws Exception {
        Fixtures.Loaded fixture = Fixtures.load("digits-mlp");
        QuantizationSettings settings = new QuantizationSettings(List.of(new NamePattern("/fc1/*")), Set.of())
                .withKeepFloat(Set.of("/fc3/Gemm"));
        QuantizationResult result = Int8Quantizer.quantize(fixture.model(), settings, null);

        assertEquals(List.of(false, true, false), result.layers().stream().map(QuantizedLayer::quantized).toList());
        assertEquals("matches the exclude pattern '/fc1/*'", result.layers().get(0).reason());
        assertEquals("kept float by the accuracy fallback", result.layers().get(2).reason());
        List<NodeProto> gemms = result.model().getGraph().getNodeList().stream()
                .filter(n -> n.getOpType().equals("Gemm")).toList();
        assertEquals(List.of("/fc1/Gemm", "/fc3/Gemm"), gemms.stream().map(NodeProto::getName).toList());
        assertTrue(ModelGraph.of(result.model()).constant("fc1.weight").isPresent());
        assertEquals(1, OptimizedGraph.opTypes(result.model(), OptLevel.EXTENDED_OPT).get("DynamicQuantizeMatMul"));
        double before = Fixtures.accuracy(runtime, fixture.model(), fixture.data());
        assertTrue(Fixtures.accuracy(runtime, result.model(), fixture.data()) >= before - 0.01);
    }

    @Test
    void sameInputGivesTheSameBytes() {
        Fixtures.Loaded fixture = Fixtures.load("digits-cnn-bn");
        byte[] first = Int8Quantizer.quantize(fixture.model(), QuantizationSettings.defaults(),
                new ActivationCollector(runtime, fixture.data(), 512, 64)).model().toByteArray();
        byte[] second = Int8Quantizer.quantize(Fixtures.load("digits-cnn-bn").model(),
                QuantizationSettings.defaults(), new ActivationCollector(runtime, fixture.data(), 512, 64)).model()
                .toByteArray();
        assertArrayEquals(first, second);
    }

    @Test
    void gemmWithTransposedInputAlphaAndBetaMatchesTheFloatGemm() throws Exception {
        ModelProto model = new TestGraphs().input("x", -1, 16).output("y", -1, 8)
                .initializer("a_to_x", new float[0]).initializer("w", TestGraphs.random(1, 128), 16, 8)
                .initializer("c", TestGraphs.random(2, 8), 8)
                .node("to_columns", "Transpose", in("x"), "xt")
                .node("gemm", "Gemm", in("xt", "w", "c"), "y", "transA", 1L, "alpha", 0.5f, "beta", 2f)
                .model(8, 13);
        model = dropInitializer(model, "a_to_x");
        QuantizationResult result = Int8Quantizer.quantize(model, QuantizationSettings.defaults(), null);

        assertTrue(result.layers().get(0).quantized(), result.layers().toString());
        assertEquals(List.of("Transpose", "Transpose", "DynamicQuantizeLinear", "MatMulInteger", "Cast", "Mul", "Mul",
                "Add"), result.model().getGraph().getNodeList().stream().map(NodeProto::getOpType).toList());
        assertClose(model, result.model(), 0.02);
    }

    @Test
    void opset9ModelOfUnchangedOpsIsRaisedTo11AndQuantized() throws Exception {
        ModelProto model = mlp(9, "Relu");
        QuantizationResult result = Int8Quantizer.quantize(model, QuantizationSettings.defaults(), null);

        assertTrue(result.anyQuantized());
        assertEquals(11, OpsetUpgrade.defaultOpset(result.model()));
        assertEquals(7, result.model().getIrVersion());
        assertEquals(2, OptimizedGraph.opTypes(result.model(), OptLevel.EXTENDED_OPT).get("DynamicQuantizeMatMul"));
        assertClose(model, result.model(), 0.02);
    }

    @Test
    void opset9ModelWithAnOpThatChangedStaysFloatWithTheReason() {
        ModelProto model = mlp(9, "Clip");
        QuantizationResult result = Int8Quantizer.quantize(model, QuantizationSettings.defaults(), null);

        assertFalse(result.anyQuantized());
        assertSame(model, result.model());
        for (QuantizedLayer layer : result.layers()) {
            assertEquals("the model's opset 9 is below 11 and Clip changed at opset 11 (node 'act'), so the opset "
                    + "cannot be raised safely", layer.reason());
        }
    }

    @Test
    void recentOpsetsStillFuse() throws Exception {
        ModelProto model = mlp(17, "Relu");
        QuantizationResult result = Int8Quantizer.quantize(model, QuantizationSettings.defaults(), null);

        assertEquals(17, OpsetUpgrade.defaultOpset(result.model()));
        assertEquals(2, OptimizedGraph.opTypes(result.model(), OptLevel.EXTENDED_OPT).get("DynamicQuantizeMatMul"));
        assertClose(model, result.model(), 0.02);
    }

    @Test
    void matMulOverTokensOfASequenceFusesAndMatchesTheFloatModel() throws Exception {
        ModelProto model = new TestGraphs().input("x", -1, 6, 16).output("y", -1, 6, 8)
                .initializer("w", TestGraphs.random(21, 128), 16, 8).initializer("b", TestGraphs.random(22, 8), 8)
                .node("proj", "MatMul", in("x", "w"), "p").node("proj_bias", "Add", in("p", "b"), "y")
                .model(8, 14);
        QuantizationResult result = Int8Quantizer.quantize(model, QuantizationSettings.defaults(), null);

        assertEquals(Map.of("DynamicQuantizeMatMul", 1),
                OptimizedGraph.opTypes(result.model(), OptLevel.EXTENDED_OPT), "the bias Add is fused too");
        ValidationData data = new ValidationData(Map.of("x", Tensor.ofFloats(new long[] {32, 6, 16},
                TestGraphs.random(23, 32 * 6 * 16))), null, null, Path.of("random tokens"));
        float[][] want = runtime.run(model.toByteArray(), data, EVERY_VALUE, 8).rows();
        float[][] got = runtime.run(result.model().toByteArray(), data, EVERY_VALUE, 8).rows();
        double error = 0;
        for (int i = 0; i < want.length; i++) {
            error = Math.max(error, LayerErrors.relativeError(want[i], got[i]));
        }
        assertTrue(error > 0 && error < 0.02, "largest relative error of a sample " + error);
    }

    @Test
    void matMulsReadingTheSameInputShareOneQuantizationOfItAndStillRunInteger() throws Exception {
        ModelProto model = new TestGraphs().input("x", -1, 16).output("y", -1, 8)
                .initializer("w1", TestGraphs.random(31, 128), 16, 8)
                .initializer("w2", TestGraphs.random(32, 128), 16, 8)
                .node("query", "MatMul", in("x", "w1"), "q").node("key", "MatMul", in("x", "w2"), "k")
                .node("sum", "Add", in("q", "k"), "y").model(8, 13);
        QuantizationResult result = Int8Quantizer.quantize(model, QuantizationSettings.defaults(), null);

        // ONNX Runtime merges the two identical DynamicQuantizeLinear nodes (common subexpression elimination);
        // each MatMul then runs as MatMulIntegerToFloat on the one quantized input.
        assertEquals(Map.of("Add", 1, "DynamicQuantizeLinear", 1, "MatMulIntegerToFloat", 2),
                OptimizedGraph.opTypes(result.model(), OptLevel.EXTENDED_OPT));
        assertClose(model, result.model(), 0.02);
    }

    @Test
    void layersSharingOneWeightStoreOneInt8Copy() throws Exception {
        ModelProto model = new TestGraphs().input("x", -1, 16).output("y", -1, 16)
                .initializer("shared", TestGraphs.random(61, 256), 16, 16)
                .node("first", "MatMul", in("x", "shared"), "h").node("act", "Relu", in("h"), "a")
                .node("second", "MatMul", in("a", "shared"), "y").model(8, 13);
        QuantizationResult result = Int8Quantizer.quantize(model, QuantizationSettings.defaults(), null);

        assertEquals(List.of(true, true), result.layers().stream().map(QuantizedLayer::quantized).toList());
        List<String> int8 = result.model().getGraph().getInitializerList().stream()
                .filter(t -> t.getDataType() == TensorProto.DataType.INT8_VALUE && t.getDimsCount() == 2)
                .map(TensorProto::getName).toList();
        assertEquals(List.of("h_weight_int8"), int8);
        assertEquals(List.of("h_weight_int8", "h_weight_int8"), result.model().getGraph().getNodeList().stream()
                .filter(n -> n.getOpType().equals("MatMulInteger")).map(n -> n.getInput(1)).toList());
        assertFalse(ModelGraph.of(result.model()).constant("shared").isPresent());
        assertClose(model, result.model(), 0.03);
    }

    @Test
    void knownErrorsAreReusedAndOnlyTheOtherLayersAreMeasured() {
        Fixtures.Loaded fixture = Fixtures.load("digits-mlp");
        ActivationCollector calibration = new ActivationCollector(runtime, fixture.data(), 64, 64);
        QuantizationResult measured = Int8Quantizer.quantize(fixture.model(), QuantizationSettings.defaults(),
                calibration);
        // An impossible error for fc2 proves it was taken, not measured; fc1 and fc3 measure as before.
        QuantizationResult reused = Int8Quantizer.quantize(fixture.model(), QuantizationSettings.defaults(),
                calibration, Map.of("/fc2/Gemm", 0.75));

        assertEquals(List.of(measured.layers().get(0).outputError(), 0.75, measured.layers().get(2).outputError()),
                reused.layers().stream().map(QuantizedLayer::outputError).toList());
        assertArrayEquals(measured.model().toByteArray(), reused.model().toByteArray());
    }

    @Test
    void relativeErrorIsTheNormOfTheDifferenceOverTheNormOfTheExactValues() {
        assertEquals(0.5, LayerErrors.relativeError(new float[] {3, 4}, new float[] {3, 6.5f}), 1e-12);
        assertEquals(0, LayerErrors.relativeError(new float[] {0, 0}, new float[] {0, 0}));
        assertEquals(Double.POSITIVE_INFINITY, LayerErrors.relativeError(new float[] {0}, new float[] {1}));
    }

    @Test
    void activationRangesIncludeZeroExactly() {
        ActivationRange relu = ActivationRange.of(new float[] {0.5f, 2.55f, 1f});
        assertEquals(0, relu.zeroPoint());
        assertEquals(0.01f, relu.scale(), 1e-7f);
        ActivationRange signed = ActivationRange.of(-1f, 3f);
        assertEquals(64, signed.zeroPoint(), "0 is code 64 of [-1, 3] in 255 steps");
        assertEquals(1f, ActivationRange.of(0f, 0f).scale(), "a constant zero still gets a usable scale");
    }

    @Test
    void float16WeightsStayFloatWithTheReason() {
        ModelProto model = mlp(13, "Relu");
        TensorProto half = TensorProto.newBuilder().setName("w1").setDataType(TensorProto.DataType.FLOAT16_VALUE)
                .addDims(16).addDims(32).setRawData(com.google.protobuf.ByteString.copyFrom(new byte[16 * 32 * 2]))
                .build();
        model = ModelGraph.of(model).withConstants(Map.of("w1", half));
        QuantizationResult result = Int8Quantizer.quantize(model, QuantizationSettings.defaults(), null);

        assertEquals("its weight is float16; only float32 weights are quantized", result.layers().get(0).reason());
        assertTrue(result.layers().get(1).quantized());
    }

    /** x[16] -> MatMul(w1) -> Add(b1) -> activation -> MatMul(w2) -> y[8], at the given opset. */
    private static ModelProto mlp(int opset, String activation) {
        TestGraphs tiny = new TestGraphs().input("x", -1, 16).output("y", -1, 8)
                .initializer("w1", TestGraphs.random(3, 16 * 32), 16, 32)
                .initializer("b1", TestGraphs.random(4, 32), 32)
                .initializer("w2", TestGraphs.random(5, 32 * 8), 32, 8)
                .node("mm1", "MatMul", in("x", "w1"), "h").node("bias1", "Add", in("h", "b1"), "hb");
        if (activation.equals("Clip")) {
            tiny.node("act", "Clip", in("hb"), "a", "min", 0f, "max", 6f);
        } else {
            tiny.node("act", activation, in("hb"), "a");
        }
        return tiny.node("mm2", "MatMul", in("a", "w2"), "y").model(opset >= 13 ? 8 : 4, opset);
    }

    private static ModelProto dropInitializer(ModelProto model, String name) {
        ModelProto.Builder builder = model.toBuilder();
        builder.getGraphBuilder().clearInitializer().addAllInitializer(model.getGraph().getInitializerList().stream()
                .filter(t -> !t.getName().equals(name)).toList());
        return builder.build();
    }

    /** Both models on 64 random rows: the relative difference of all outputs is at most {@code tolerance}. */
    private static void assertClose(ModelProto expected, ModelProto actual, double tolerance) {
        int features = (int) expected.getGraph().getInput(0).getType().getTensorType().getShape().getDim(1)
                .getDimValue();
        ValidationData data = new ValidationData(Map.of("x", Tensor.ofFloats(new long[] {64, features},
                TestGraphs.random(9, 64 * features))), null, null, Path.of("random rows"));
        float[][] want = runtime.run(expected.toByteArray(), data, EVERY_VALUE, 64).rows();
        float[][] got = runtime.run(actual.toByteArray(), data, EVERY_VALUE, 64).rows();
        double difference = 0;
        double norm = 0;
        for (int i = 0; i < want.length; i++) {
            for (int j = 0; j < want[i].length; j++) {
                difference += (got[i][j] - want[i][j]) * (double) (got[i][j] - want[i][j]);
                norm += want[i][j] * (double) want[i][j];
            }
        }
        double relative = Math.sqrt(difference / norm);
        assertTrue(relative > 0 && relative <= tolerance, "relative difference " + relative);
    }

    /** Output channels of the fixture CNN's Conv layers. */
    private static int channels(QuantizedLayer conv) {
        return conv.layer().equals("/conv2/Conv") ? 32 : 16;
    }

    private static Map<String, Integer> opTypes(ModelProto model) {
        Map<String, Integer> counts = new java.util.TreeMap<>();
        model.getGraph().getNodeList().forEach(n -> counts.merge(n.getOpType(), 1, Integer::sum));
        return counts;
    }

    private static float[] floats(TensorProto tensor) {
        ByteBuffer buffer = tensor.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        float[] values = new float[buffer.remaining() / 4];
        for (int i = 0; i < values.length; i++) {
            values[i] = buffer.getFloat(i * 4);
        }
        return values;
    }


    @Test
    void layerErrorSummedPerSampleInTheProbeModelEqualsTheErrorOfTheWholeOutputs() {
        // Opset 11 takes ReduceSum's axes as an attribute, 14 as an input; 40 samples in batches of 16 leave a
        // short last batch.
        for (int opset : new int[] {11, 14}) {
            ModelProto model = new TestGraphs().input("x", -1, 6, 16).output("y", -1, 6, 8)
                    .initializer("w", TestGraphs.random(41, 128), 16, 8)
                    .node("proj", "MatMul", in("x", "w"), "y").model(7, opset);
            ValidationData data = new ValidationData(Map.of("x", Tensor.ofFloats(new long[] {40, 6, 16},
                    TestGraphs.random(42, 40 * 6 * 16))), null, null, Path.of("random tokens"));
            ActivationCollector calibration = new ActivationCollector(runtime, data, 512, 16);

            QuantizationResult result = Int8Quantizer.quantize(model, QuantizationSettings.defaults(), calibration);

            float[] exact = (float[]) calibration.collect(model, List.of("y")).get("y").data();
            float[] int8 = (float[]) calibration.collect(result.model(), List.of("y")).get("y").data();
            double want = LayerErrors.relativeError(exact, int8);
            assertTrue(want > 0.001, "opset " + opset + ": " + want);
            assertEquals(want, result.layers().get(0).outputError(), want * 1e-12, "opset " + opset);
        }
    }

    private static PreparedLayer prepared(LayerPlan plan) {
        return new PreparedLayer(new LayerPlanner.Candidate(0, "layer", "MatMul", 0, plan, ""), null, null, null);
    }

}
