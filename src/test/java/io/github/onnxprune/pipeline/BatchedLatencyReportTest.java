package io.github.onnxprune.pipeline;

import static io.github.onnxprune.Fixtures.fixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.gate.GateLimits;
import io.github.onnxprune.report.BatchedLatency;
import io.github.onnxprune.report.ModelReport;
import io.github.onnxprune.report.ReportJson;
import io.github.onnxprune.report.ReportTable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Batched latency is reported exactly when the model's batch dimension is dynamic; values are not asserted. */
class BatchedLatencyReportTest {

    @TempDir
    Path folder;

    @Test
    void aDynamicBatchDimensionGetsBatchedFiguresInTheReportAndTheTable() throws Exception {
        ModelReport report = process(ModelPruningPipelineTest.task("digits-mlp/model.onnx",
                "digits-mlp/validation.npz", 0.5, new GateLimits(null, null)));

        BatchedLatency batched = report.latency().batched();
        assertNotNull(batched);
        assertEquals(64, batched.batchSize());
        assertEquals(360, batched.samples());
        assertEquals(OnnxRuntimeEvaluator.BATCH_LATENCY_PASSES, batched.passes());
        String json = new String(ReportJson.toBytes("1.2.3", List.of(report)), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"baselineBatchedPerSample\" : "), json);
        assertTrue(json.contains("\"prunedBatchedPerSample\" : "), json);
        assertTrue(json.contains("\"batchSize\" : 64,"), json);
        assertTrue(json.contains("\"batchedSamples\" : 360,"), json);
        List<String> table = ReportTable.lines(List.of(report));
        assertTrue(table.get(0).contains("latency median (us)  batched (us/sample)"), table.get(0));
        assertTrue(table.get(1).matches(".*  \\d+\\.\\d -> \\d+\\.\\d  +\\d+\\.\\d\\d -> \\d+\\.\\d\\d  .*"),
                table.get(1));
    }

    @Test
    void aFixedBatchDimensionHasSingleSampleFiguresOnly() throws Exception {
        Path fixed = folder.resolve("fixed.onnx");
        Files.write(fixed, withBatchOfOne(ModelProto.parseFrom(Files.readAllBytes(
                fixture("digits-mlp/model.onnx")))).toByteArray());
        ModelTask dynamic = ModelPruningPipelineTest.task("digits-mlp/model.onnx", "digits-mlp/validation.npz", 0.5,
                new GateLimits(null, null));

        ModelReport report = process(new ModelTask(fixed, "models/m.onnx", dynamic.pruning(), dynamic.evaluation(),
                dynamic.limits()));

        assertNotNull(report.latency());
        assertNull(report.latency().batched());
        String json = new String(ReportJson.toBytes("1.2.3", List.of(report)), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"prunedMedian\" : "), json);
        assertFalse(json.contains("Batched"), json);
        assertFalse(json.contains("batchSize"), json);
        List<String> table = ReportTable.lines(List.of(report));
        assertTrue(table.get(1).matches(".*  \\d+\\.\\d -> \\d+\\.\\d  +-  .*"), table.get(1));
    }

    @Test
    void noLatencyRunsMeasuresNoLatencyAtAllButStillTheMetric() throws Exception {
        ModelTask measured = ModelPruningPipelineTest.task("digits-mlp/model.onnx", "digits-mlp/validation.npz", 0.5,
                new GateLimits(null, null));
        EvaluationSettings e = measured.evaluation();

        ModelReport report = process(new ModelTask(measured.file(), measured.entryName(), measured.pruning(),
                new EvaluationSettings(e.validationData(), e.labelName(), e.metric(), e.outputName(), e.batchSize(),
                        e.warmupRuns(), 0, e.requireValidation(), e.calibration()), measured.limits()));

        assertNull(report.latency());
        assertNotNull(report.measurement());
        assertEquals(360, report.measurement().samples());
        String json = new String(ReportJson.toBytes("1.2.3", List.of(report)), StandardCharsets.UTF_8);
        assertFalse(json.contains("Median"), json);
        assertFalse(json.contains("Batched"), json);
        List<String> table = ReportTable.lines(List.of(report));
        assertTrue(table.get(1).matches(".*accuracy \\d\\.\\d{4} -> \\d\\.\\d{4}  +-  +-  .*"), table.get(1));
    }

    private static ModelReport process(ModelTask task) throws Exception {
        try (ModelPruningPipeline pipeline = new ModelPruningPipeline("1.2.3", 1)) {
            return pipeline.process(task).report();
        }
    }

    /** The model with the first dimension of every graph input and output fixed to 1. */
    private static ModelProto withBatchOfOne(ModelProto model) {
        GraphProto.Builder graph = model.getGraph().toBuilder();
        for (int i = 0; i < graph.getInputCount(); i++) {
            graph.setInput(i, batchOfOne(graph.getInput(i)));
        }
        for (int i = 0; i < graph.getOutputCount(); i++) {
            graph.setOutput(i, batchOfOne(graph.getOutput(i)));
        }
        return model.toBuilder().setGraph(graph).build();
    }

    private static ValueInfoProto batchOfOne(ValueInfoProto value) {
        ValueInfoProto.Builder builder = value.toBuilder();
        builder.getTypeBuilder().getTensorTypeBuilder().getShapeBuilder()
                .setDim(0, TensorShapeProto.Dimension.newBuilder().setDimValue(1));
        return builder.build();
    }
}
