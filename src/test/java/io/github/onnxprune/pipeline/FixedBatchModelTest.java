package io.github.onnxprune.pipeline;

import static io.github.onnxprune.Fixtures.fixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import io.github.onnxprune.eval.Metric;
import io.github.onnxprune.gate.GateLimits;
import io.github.onnxprune.onnx.OnnxModelReader;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.nodes.UnitImportance;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Models exported with a fixed batch of one (common for mobile) go through every step one sample at a time. */
class FixedBatchModelTest {

    @TempDir
    Path folder;

    @Test
    void aBatchOfOneModelIsPrunedReconstructedAndMeasuredSampleBySample() throws Exception {
        ModelProto dynamic = OnnxModelReader.read(fixture("digits-mlp/model.onnx"));
        ModelProto.Builder fixed = dynamic.toBuilder();
        fixed.getGraphBuilder().clearValueInfo();
        for (ValueInfoProto.Builder value : fixed.getGraphBuilder().getInputBuilderList()) {
            fixBatch(value);
        }
        for (ValueInfoProto.Builder value : fixed.getGraphBuilder().getOutputBuilderList()) {
            fixBatch(value);
        }
        Path model = folder.resolve("fixed.onnx");
        Files.write(model, fixed.build().toByteArray());

        ModelTask task = new ModelTask(model, "models/fixed.onnx",
                new PruningSettings(PruneMethod.WEIGHTS, 0.5, 0.25, Scope.LAYERWISE, List.of(), TensorFilter.all(),
                        UnitImportance.L1),
                new EvaluationSettings(fixture("digits-mlp/validation.npz"), null, Metric.ACCURACY, null, 64, 1, 3,
                        true, CalibrationSettings.defaults()),
                new GateLimits(null, 0.05));
        ModelResult result;
        try (ModelPruningPipeline pipeline = new ModelPruningPipeline("1.2.3", 1)) {
            result = pipeline.process(task);
        }
        assertEquals(350 / 360.0, result.report().measurement().baseline(), 1e-12);
        assertEquals(360, result.report().measurement().samples());
        assertTrue(result.passed(), result.report().violations().toString());
        assertTrue(result.report().reconstruction().samples() > 0);
        assertNull(result.report().latency().batched(), "no batched figure for a fixed batch dimension");
        assertEquals(2, result.report().step("nodes").orElseThrow().items("layers").stream()
                .filter(l -> (Long) l.get("unitsAfter") < (Long) l.get("unitsBefore")).count());
    }

    private static void fixBatch(ValueInfoProto.Builder value) {
        TensorShapeProto.Dimension.Builder first = value.getTypeBuilder().getTensorTypeBuilder().getShapeBuilder()
                .getDimBuilder(0);
        first.clearDimParam();
        first.setDimValue(1);
    }
}
