package io.github.onnxprune.pipeline;

import static io.github.onnxprune.Fixtures.fixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.onnxprune.eval.Metric;
import io.github.onnxprune.gate.GateLimits;
import io.github.onnxprune.onnx.ModelBytes;
import io.github.onnxprune.onnx.OnnxModelReader;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.nodes.UnitImportance;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Which way the pipeline serializes a pruned model ({@link ShippedBytes}), and that both ways ship what a whole
 * serialization gives.
 */
class ShippedSerializationTest {

    private static ModelTask task(PruneMethod method) {
        return new ModelTask(fixture("digits-mlp/model.onnx"), "models/m.onnx",
                new PruningSettings(method, 0.5, 0, Scope.LAYERWISE, List.of(), TensorFilter.all(), UnitImportance.L2),
                new EvaluationSettings(null, null, Metric.ACCURACY, null, 64, 1, 3, false), new GateLimits(null, null));
    }

    private static List<String> shipped(ModelTask task, List<String> debug) throws Exception {
        try (ModelPruningPipeline pipeline = new ModelPruningPipeline("1.2.3", 1, new RunLog(null, null, debug::add),
                null)) {
            ModelResult result = pipeline.process(task);
            // Whatever the way, the bytes are those protobuf writes for the model they hold.
            assertArrayEquals(ModelBytes.toArray(ModelBytes.serialize(OnnxModelReader.parse(task.file(),
                    result.prunedBytes()))), ModelBytes.toArray(result.prunedBytes()));
            assertEquals("1.2.3", OnnxModelReader.parse(task.file(), result.prunedBytes()).getMetadataPropsList()
                    .stream().filter(e -> e.getKey().equals(ModelStamp.VERSION_KEY)).findFirst().orElseThrow()
                    .getValue());
        }
        return debug;
    }

    @Test
    void prunedWeightsAreWrittenFromTheOriginalsBytes() throws Exception {
        List<String> debug = shipped(task(PruneMethod.WEIGHTS), new ArrayList<>());

        assertEquals(1, debug.size());
        assertTrue(debug.get(0).matches("Model models/m\\.onnx: written from the original's bytes, patched the values"
                + " of 3 of 6 initializers and appended \\d+ metadata entries"), debug.get(0));
    }

    @Test
    void prunedNodesAreSerializedWhole() throws Exception {
        List<String> debug = shipped(task(PruneMethod.NODES), new ArrayList<>());

        assertEquals(1, debug.size());
        assertTrue(debug.get(0).startsWith("Model models/m.onnx: serialized whole, as the original's bytes could not"
                + " be patched: "), debug.get(0));
    }
}
