package io.github.onnxprune.report;

import static io.github.onnxprune.Fixtures.fixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.onnxprune.eval.Metric;
import io.github.onnxprune.gate.GateLimits;
import io.github.onnxprune.pipeline.CalibrationSettings;
import io.github.onnxprune.pipeline.EvaluationSettings;
import io.github.onnxprune.pipeline.ModelPruningPipeline;
import io.github.onnxprune.pipeline.ModelTask;
import io.github.onnxprune.pipeline.PruneMethod;
import io.github.onnxprune.pipeline.PruningSettings;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.calibrate.LayerReconstruction;
import io.github.onnxprune.prune.nodes.UnitImportance;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** report.json reads back into the same reports, so a reused result shows exactly what was measured. */
class ReportJsonTest {

    @Test
    void realReportsRoundTripByteForByte() throws Exception {
        List<ModelReport> reports = new ArrayList<>();
        try (ModelPruningPipeline pipeline = new ModelPruningPipeline("1.2.3", 1)) {
            // Weights with a failed gate, nodes with reconstruction and an unpruned layer, a CNN, no data at all.
            reports.add(pipeline.process(task("digits-mlp/model.onnx", "digits-mlp/validation.npz",
                    PruneMethod.WEIGHTS, 0.9, true)).report());
            reports.add(pipeline.process(task("digits-ffn/model.onnx", "digits-ffn/validation.npz",
                    PruneMethod.NODES, 0.5, true)).report());
            reports.add(pipeline.process(task("digits-cnn/model-bn.onnx", "digits-cnn/validation.npz",
                    PruneMethod.NODES, 0.25, false)).report());
            reports.add(pipeline.process(task("digits-mlp/model.onnx", null, PruneMethod.WEIGHTS, 0.5, false))
                    .report());
        }
        byte[] written = ReportJson.toBytes("1.2.3", reports);

        List<ModelReport> read = ReportJson.read(written);

        assertEquals(reports.size(), read.size());
        assertArrayEquals(written, ReportJson.toBytes("1.2.3", read), new String(written, StandardCharsets.UTF_8));
        assertEquals(ReportTable.lines(reports), ReportTable.lines(read));
        assertEquals(reports.get(0).violations(), read.get(0).violations());
        assertEquals(1, reports.get(0).violations().size());
    }

    @Test
    void valuesJsonCannotHoldAndOptionalPartsRoundTrip() throws Exception {
        StepSection step = new StepSection("weights", JsonFields.object()
                .put("tensors", List.of(JsonFields.object().put("name", "w").put("shape", new long[] {2, 3})
                        .put("error", Double.NaN).put("ratio", 0.5).put("kept", true).build()))
                .put("nothing", null).build(), 1, 0.5, false, "tensors:", List.of("w: 3 of 6 zeroed"),
                Map.of("onnx-prune.x", "y"));
        ModelReport report = new ModelReport("m.onnx", "weights", 0.5, 6, 6,
                new Measurement("mse", 0.0, Double.POSITIVE_INFINITY, 10),
                new Latency(1.5, 2.5, 1.25, 2.0, 7, new BatchedLatency(0.5, 0.25, 4, 10, 3)),
                new FileSizes(100, 90, 80, 70), List.of(step),
                new Reconstruction("cal.npz", 10, true, List.of(
                        new LayerReconstruction("fc", "Gemm", "least squares", "", 10, 0.5, 0.125),
                        new LayerReconstruction("fc2", "Gemm", "skipped", "too wide", 0, Double.NaN, Double.NaN))),
                List.of("Model m.onnx: nothing was pruned."), List.of("Model m.onnx: broken."));
        byte[] written = ReportJson.toBytes("1.2.3", List.of(report));

        ModelReport read = ReportJson.read(written).get(0);

        assertArrayEquals(written, ReportJson.toBytes("1.2.3", List.of(read)));
        assertEquals(Double.POSITIVE_INFINITY, read.measurement().pruned());
        assertEquals(report.latency(), read.latency());
        assertEquals(report.reconstruction().layers().get(0), read.reconstruction().layers().get(0));
        assertEquals(Double.NaN, read.reconstruction().layers().get(1).errorBefore());
        assertEquals(report.warnings(), read.warnings());
        StepSection readStep = read.step("weights").orElseThrow();
        assertEquals(List.of("w: 3 of 6 zeroed"), readStep.log());
        assertEquals(Map.of("onnx-prune.x", "y"), readStep.metadata());
        assertEquals(0.5, readStep.sparsity());
        assertEquals(List.of(2L, 3L), readStep.items("tensors").get(0).get("shape"));
        assertEquals(ReportTable.lines(List.of(report)), ReportTable.lines(List.of(read)));
    }

    @Test
    void somethingElseIsAnIOException() {
        assertThrows(IOException.class, () -> ReportJson.read("{\"tool\":\"x\"}".getBytes(StandardCharsets.UTF_8)));
        assertThrows(IOException.class, () -> ReportJson.read("{\"tool\":\"onnx-prune-maven-plugin\","
                .getBytes(StandardCharsets.UTF_8)));
        assertThrows(IOException.class, () -> ReportJson.read(("{\"tool\":\"onnx-prune-maven-plugin\","
                + "\"models\":[{\"model\":\"m\"}]}").getBytes(StandardCharsets.UTF_8)));
        assertThrows(IOException.class, () -> ReportJson.read(new byte[0]));
    }

    private static ModelTask task(String model, String data, PruneMethod method, double sparsity,
            boolean reconstruct) {
        return new ModelTask(fixture(model), "models/" + model,
                new PruningSettings(method, sparsity, 0, Scope.LAYERWISE, List.of(), TensorFilter.all(),
                        UnitImportance.L1),
                new EvaluationSettings(data == null ? null : fixture(data), null, Metric.ACCURACY, null, 64, 1, 3,
                        data != null, new CalibrationSettings(reconstruct, null, 128)),
                new GateLimits(null, 0.01));
    }
}
