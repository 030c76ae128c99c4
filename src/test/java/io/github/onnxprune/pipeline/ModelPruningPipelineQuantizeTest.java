package io.github.onnxprune.pipeline;

import static io.github.onnxprune.Fixtures.fixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import io.github.onnxprune.eval.Pooling;
import io.github.onnxprune.eval.ScoredOutput;
import io.github.onnxprune.eval.Metric;
import io.github.onnxprune.eval.ModelSignature;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.eval.ValidationDataReader;
import io.github.onnxprune.gate.GateLimits;
import io.github.onnxprune.onnx.ModelBytes;
import io.github.onnxprune.prune.NamePattern;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.nodes.UnitImportance;
import io.github.onnxprune.report.ModelReport;
import io.github.onnxprune.report.ReportJson;
import io.github.onnxprune.report.ReportTable;
import io.github.onnxprune.report.StepSection;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Int8 quantization as the pipeline's last step: what is gated is what is shipped, and the fallback. */
class ModelPruningPipelineQuantizeTest {

    /** Every value of the first output, flattened per sample: the tests compare whole outputs. */
    private static final ScoredOutput EVERY_VALUE = new ScoredOutput(null, Pooling.FLATTEN, null);

    private static ModelTask task(double sparsity, Metric metric, GateLimits limits, Quantization quantization) {
        return new ModelTask(fixture("digits-mlp/model.onnx"), "models/m.onnx",
                new PruningSettings(PruneMethod.WEIGHTS, sparsity, 0, Scope.LAYERWISE, List.of(), TensorFilter.all(),
                        UnitImportance.L1, quantization),
                new EvaluationSettings(fixture("digits-mlp/validation.npz"), null, metric, null, 64, 1, 3, true,
                        CalibrationSettings.defaults()),
                limits);
    }

    private static ModelResult process(ModelTask task) throws Exception {
        try (ModelPruningPipeline pipeline = new ModelPruningPipeline("1.2.3", 1)) {
            return pipeline.process(task);
        }
    }

    private static List<Map<String, Object>> layers(ModelReport report) {
        return report.step("int8").orElseThrow().items("quantizedLayers");
    }

    private static List<String> opTypes(byte[] model) throws Exception {
        return ModelProto.parseFrom(model).getGraph().getNodeList().stream().map(NodeProto::getOpType).toList();
    }

    @Test
    void prunedThenQuantizedIsGatedAndShippedAsOneGraph() throws Exception {
        ModelResult result = process(task(0.5, Metric.ACCURACY, new GateLimits(null, 0.01),
                new Quantization("int8", List.of(), true)));

        assertTrue(result.passed(), result.report().violations().toString());
        assertEquals("weights+int8", result.report().method());
        assertEquals(List.of(true, true, true), layers(result.report()).stream().map(l -> l.get("quantized")).toList());
        assertEquals(3, opTypes(ModelBytes.toArray(result.prunedBytes())).stream().filter("MatMulInteger"::equals).count());
        Map<String, String> metadata = ModelProto.parseFrom(ModelBytes.toArray(result.prunedBytes())).getMetadataPropsList().stream()
                .collect(Collectors.toMap(StringStringEntryProto::getKey, StringStringEntryProto::getValue));
        assertEquals("weights+int8", metadata.get("onnx-prune.method"));
        assertEquals("int8", metadata.get("onnx-prune.quantize"));
        assertEquals("3/3", metadata.get("onnx-prune.quantizedLayers"));
        assertEquals("0.5000", metadata.get("onnx-prune.sparsity"));
        // The shipped bytes score what the report says: the gate measured this very graph.
        ValidationData data = ValidationDataReader.read(fixture("digits-mlp/validation.npz"),
                ModelSignature.of(ModelProto.parseFrom(ModelBytes.toArray(result.prunedBytes()))), null);
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            float[][] original = runtime.run(java.nio.file.Files.readAllBytes(fixture("digits-mlp/model.onnx")),
                    data, EVERY_VALUE, 64).rows();
            float[][] shipped = runtime.run(ModelBytes.toArray(result.prunedBytes()), data, EVERY_VALUE, 64).rows();
            assertEquals(result.report().measurement().pruned(),
                    Metric.ACCURACY.score(original, shipped, data.effectiveLabels()), 1e-12);
        }
        // Int8 weights are a quarter of the float ones, and pruned zeros deflate on top.
        assertTrue(result.report().sizes().after() < result.report().sizes().before() * 0.45,
                result.report().sizes().toString());
        assertTrue(result.report().sizes().deflatedAfter() < result.report().sizes().deflatedBefore() * 0.3,
                result.report().sizes().toString());
        List<String> table = ReportTable.lines(List.of(result.report()));
        assertTrue(table.get(1).startsWith("models/m.onnx  weights+int8  3 "), table.get(1));
        assertTrue(table.contains("models/m.onnx int8 layers:"), table.toString());
        assertTrue(table.stream().anyMatch(l -> l.startsWith("  /fc1/Gemm (Gemm): int8 as DynamicQuantizeMatMul,"
                + " output error 0.0")), table.toString());
        byte[] json = ReportJson.toBytes("1.2.3", List.of(result.report()));
        assertArrayEquals(json, ReportJson.toBytes("1.2.3", ReportJson.read(json)));
        assertTrue(new String(json, StandardCharsets.UTF_8).contains("\"form\" : \"DynamicQuantizeMatMul\""));
    }

    @Test
    void aFailedGatePutsTheWorstLayerBackToFloatUntilItPasses() throws Exception {
        // All three layers in seven-bit int8 raise the MSE by about 0.0035, the first two alone by about 0.0013; the
        // last layer's own output error is the largest, so it goes back first.
        ModelResult result = process(task(0.0, Metric.MSE, new GateLimits(null, 0.002),
                new Quantization("int8", List.of(), true)));

        assertTrue(result.passed(), result.report().violations().toString());
        List<Map<String, Object>> layers = layers(result.report());
        assertEquals(List.of(true, true, false), layers.stream().map(l -> l.get("quantized")).toList());
        assertTrue(((String) layers.get(2).get("reason")).startsWith("put back to float by the accuracy fallback"
                + " (round 1; output error 0.00"), layers.get(2).toString());
        assertTrue(((String) layers.get(2).get("reason")).endsWith(" did not pass the gate"));
        StepSection int8 = result.report().step("int8").orElseThrow();
        assertEquals(List.of("/fc3/Gemm"), int8.fields().get("fallbackLayers"));
        assertEquals("2/3", int8.metadata().get("onnx-prune.quantizedLayers"));
        assertEquals(2, opTypes(ModelBytes.toArray(result.prunedBytes())).stream().filter("MatMulInteger"::equals).count());
        assertTrue(result.report().measurement().pruned() <= 0.002);
    }

    @Test
    void withoutTheFallbackTheQuantizedGraphFailsTheGate() throws Exception {
        ModelResult result = process(task(0.0, Metric.MSE, new GateLimits(null, 0.001),
                new Quantization("int8", List.of(), false)));

        assertFalse(result.passed());
        assertTrue(result.report().violations().get(0).contains("after pruning weights to sparsity 0.00 (layerwise)"
                + " and quantizing to int8 (the original"), result.report().violations().get(0));
        // Nothing was pruned, so the only remedies are int8's.
        assertTrue(result.report().violations().get(0).endsWith(" is 0.0010. Leave the layers with the largest output"
                + " error float with <quantizeExcludes> or let <quantizeFallback> choose them, or relax the limit if"
                + " the loss is acceptable."), result.report().violations().get(0));
        assertTrue(result.report().measurement().pruned() > 0.001);
        assertEquals(List.of(true, true, true), layers(result.report()).stream().map(l -> l.get("quantized")).toList());
    }

    @Test
    void aModelQuantizedElsewhereIsShippedUnchangedWithAWarning(@org.junit.jupiter.api.io.TempDir java.nio.file.Path
            folder) throws Exception {
        ModelResult int8 = process(task(0.0, Metric.ACCURACY, new GateLimits(null, null),
                new Quantization("int8", List.of(), true)));
        // The same int8 graph without this plugin's marks, as another tool would have written it.
        ModelProto foreign = ModelProto.parseFrom(ModelBytes.toArray(int8.prunedBytes())).toBuilder().clearMetadataProps().build();
        java.nio.file.Path file = folder.resolve("int8.onnx");
        java.nio.file.Files.write(file, foreign.toByteArray());
        ModelTask plain = task(0.5, Metric.ACCURACY, new GateLimits(null, 0.01),
                new Quantization("int8", List.of(), true));

        ModelResult result = process(new ModelTask(file, "models/m.onnx", plain.pruning(), plain.evaluation(),
                plain.limits()));

        assertArrayEquals(foreign.toByteArray(), ModelBytes.toArray(result.prunedBytes()));
        assertEquals(List.of("Model models/m.onnx: nothing was pruned (weights: no weight of Conv, ConvTranspose,"
                + " Gemm, MatMul that it may change; int8: no MatMul, Gemm, Conv or constant-table Gather layer); it is"
                + " shipped unchanged, without onnx-prune metadata."), result.report().warnings());
        assertTrue(result.passed());
        // No layer to re-fit: the log has no "reconstruction: 0 of 0 layers re-fitted" line to read past.
        List<String> table = ReportTable.lines(List.of(result.report()));
        assertTrue(table.stream().noneMatch(line -> line.contains(" reconstruction: ")), String.join("\n", table));
    }

    @Test
    void excludedLayersStayFloatWithTheirPattern() throws Exception {
        ModelResult result = process(task(0.5, Metric.ACCURACY, new GateLimits(null, 0.01),
                new Quantization("int8", List.of(new NamePattern("/fc1/*")), true)));

        List<Map<String, Object>> layers = layers(result.report());
        assertEquals(List.of(false, true, true), layers.stream().map(l -> l.get("quantized")).toList());
        assertEquals("matches the exclude pattern '/fc1/*'", layers.get(0).get("reason"));
        assertTrue(ReportTable.lines(List.of(result.report()))
                .contains("  /fc1/Gemm (Gemm): float, matches the exclude pattern '/fc1/*'"));
    }
}
