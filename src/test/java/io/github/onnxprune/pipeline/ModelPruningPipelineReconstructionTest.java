package io.github.onnxprune.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.onnxprune.eval.Metric;
import io.github.onnxprune.gate.GateLimits;
import io.github.onnxprune.onnx.ModelBytes;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.nodes.UnitImportance;
import io.github.onnxprune.report.ReportJson;
import io.github.onnxprune.report.ReportTable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelPruningPipelineReconstructionTest {

    private static final Path FIXTURES = Path.of("src/test/resources/fixtures");

    static ModelTask task(PruneMethod method, String data, CalibrationSettings calibration) {
        return new ModelTask(FIXTURES.resolve("digits-mlp/model.onnx"), "models/m.onnx",
                new PruningSettings(method, 0.5, 0, Scope.LAYERWISE, List.of(), TensorFilter.all(), UnitImportance.L1),
                new EvaluationSettings(data == null ? null : FIXTURES.resolve(data), null, Metric.ACCURACY, null, 64,
                        0, 1, data != null, calibration),
                new GateLimits(null, 0.05));
    }

    private static ModelResult run(ModelTask task) throws Exception {
        try (ModelPruningPipeline pipeline = new ModelPruningPipeline("1.2.3", 1)) {
            return pipeline.process(task);
        }
    }

    @Test
    void nodePruningWithReconstructionKeepsAccuracyAndSaysItWasMeasuredOnCalibrationData() throws Exception {
        ModelResult plain = run(task(PruneMethod.NODES, "digits-mlp/validation.npz", CalibrationSettings.off()));
        ModelResult fitted = run(task(PruneMethod.NODES, "digits-mlp/validation.npz",
                CalibrationSettings.defaults()));
        ModelResult again = run(task(PruneMethod.NODES, "digits-mlp/validation.npz",
                CalibrationSettings.defaults()));

        assertArrayEquals(ModelBytes.toArray(fitted.prunedBytes()), ModelBytes.toArray(again.prunedBytes()));
        assertNull(plain.report().reconstruction());
        assertEquals(283 / 360.0, plain.report().measurement().pruned(), 1e-12);
        // Measured: 78.6% without, 96.9% with reconstruction at 50% of units.
        assertTrue(fitted.report().measurement().pruned() >= 0.95, "" + fitted.report().measurement());
        assertTrue(fitted.report().reconstruction().metricOnCalibrationData());
        assertEquals(360, fitted.report().reconstruction().samples());
        assertFalse(fitted.report().reconstruction().layers().isEmpty());
        String json = new String(ReportJson.toBytes("1.2.3", List.of(fitted.report())), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"reconstruction\""), json);
        assertTrue(json.contains("\"metricOnCalibrationData\" : true"), json);
        assertTrue(String.join("\n", ReportTable.lines(List.of(fitted.report()))).contains("(on calibration data)"));
    }

    @Test
    void aSeparateCalibrationSetIsNotFlaggedAndSampleCountIsCapped() throws Exception {
        ModelResult fitted = run(task(PruneMethod.WEIGHTS, "digits-mlp/validation.npz",
                new CalibrationSettings(true, FIXTURES.resolve("digits-mlp/npy"), 100)));
        assertFalse(fitted.report().reconstruction().metricOnCalibrationData());
        assertEquals(100, fitted.report().reconstruction().samples());
        // Weight pruning keeps its exact zero count with reconstruction.
        assertEquals(0.5, fitted.report().sparsity(), 0.001);
        assertEquals(0.5, (Double) fitted.report().step("weights").orElseThrow().fields().get("sparsityReached"),
                0.001);
        assertTrue(fitted.report().measurement().pruned() > 0.95, "" + fitted.report().measurement());
    }

    @Test
    void withoutDataPruningWorksAsBefore() throws Exception {
        ModelResult result = run(task(PruneMethod.NODES, null, CalibrationSettings.defaults()));
        assertNull(result.report().reconstruction());
        assertNull(result.report().measurement());
    }
}
