package io.github.onnxprune.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.Fixtures;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.gate.GateLimits;
import io.github.onnxprune.onnx.ModelBytes;
import io.github.onnxprune.onnx.OnnxModelReader;
import io.github.onnxprune.prune.nodes.UnitImportance;
import io.github.onnxprune.report.StepSection;
import io.github.onnxprune.search.SearchReport;
import io.github.onnxprune.search.SearchSettings;
import io.github.onnxprune.search.TensorGroup;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeProfileTest {

    @Test
    void theGroupsAreTheUnitsNodePruningRemovesTogetherNamedByTheirRole() {
        ModelProto bert = OnnxModelReader.read(Fixtures.fixture("digits-bert/model.onnx"));
        List<TensorGroup> groups = NodeProfile.groups(bert, List.of(), UnitImportance.L1);
        assertEquals(List.of("block 0 attention heads", "block 0 feed-forward units", "block 1 attention heads",
                "block 1 feed-forward units"), groups.stream().map(TensorGroup::name).toList());
        // A head leaves Q, K and V together; the output projection only loses input rows, so it is not a member.
        assertEquals(List.of("onnx::MatMul_344", "onnx::MatMul_347", "onnx::MatMul_350"), groups.get(0).tensors());
        assertEquals(List.of("onnx::MatMul_355"), groups.get(1).tensors());
        // Sized by their weights alone: Q, K and V are 32x32 each, the feed-forward's first layer 32x128; their
        // biases (32 and 128 more) are not counted.
        assertEquals(List.of(1024L, 1024L, 1024L), groups.get(0).sizes());
        assertEquals(List.of(4096L), groups.get(1).sizes());
        // Block 0's heads alone at half: its Q has 16 of 32 outputs left, block 1's Q and every FFN keep theirs.
        ModelProto half = NodeProfile.pruned(bert, groups.get(0), 0.5, List.of(), UnitImportance.L1);
        io.github.onnxprune.onnx.ModelGraph graph = io.github.onnxprune.onnx.ModelGraph.of(half);
        assertEquals(List.of(32L, 16L), graph.constant("onnx::MatMul_344").orElseThrow().tensor().getDimsList());
        assertEquals(List.of(32L, 32L), graph.constant("onnx::MatMul_357").orElseThrow().tensor().getDimsList());
        assertEquals(List.of(32L, 128L), graph.constant("onnx::MatMul_355").orElseThrow().tensor().getDimsList());

        // A residual CNN: the stem's channels go with the block's second convolution that adds into them.
        ModelProto cnn = OnnxModelReader.read(Fixtures.fixture("digits-cnn/model-folded.onnx"));
        List<TensorGroup> channels = NodeProfile.groups(cnn, List.of(), UnitImportance.L1);
        assertEquals(List.of("/conv1/Conv channels", "/block/conv1/Conv channels", "/conv2/Conv channels"),
                channels.stream().map(TensorGroup::name).toList());
        assertEquals(List.of("onnx::Conv_48", "onnx::Conv_54"), channels.get(0).tensors());
    }

    @Test
    void sensitivityWithNodePruningProfilesEachGroupOfUnitsAloneAndShipsTheSameModel() throws Exception {
        ModelTask weights = ModelPruningPipelineTest.task("digits-mlp/model.onnx", "digits-mlp/validation.npz", 0.25,
                new GateLimits(null, 0.10));
        PruningSettings p = weights.pruning();
        ModelTask plain = new ModelTask(weights.file(), weights.entryName(), new PruningSettings(PruneMethod.NODES,
                p.sparsity(), 0, p.scope(), p.overrides(), p.filter(), p.importance(), p.quantization(),
                SearchSettings.OFF), weights.evaluation(), weights.limits());
        ModelTask profiled = ModelPruningPipelineTest.profiled(plain);
        List<ModelResult> results = ModelPruningPipelineTest.processed(plain, profiled);
        ModelResult without = results.get(0);
        ModelResult with = results.get(1);
        StepSection profile = with.report().step(SearchReport.PROFILE_ID).orElseThrow();
        assertEquals(List.of(), profile.items("sensitivity"));
        List<Map<String, Object>> curves = profile.items("unitSensitivity");
        assertEquals(List.of("/fc1/Gemm units", "/fc2/Gemm units"), curves.stream().map(c -> c.get("name")).toList());
        // Each group's weights alone (64x64 and 64x32), not the 4160 and 2080 with their biases.
        assertEquals(List.of(4096L, 2048L), curves.stream().map(c -> c.get("size")).toList());
        ModelProto model = OnnxModelReader.read(Fixtures.fixture("digits-mlp/model.onnx"));
        List<TensorGroup> groups = NodeProfile.groups(model, List.of(), p.importance());
        int evaluations = 0;
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            double original = Fixtures.accuracy(runtime, model, Fixtures.load("digits-mlp").data());
            for (int g = 0; g < curves.size(); g++) {
                List<?> points = (List<?>) curves.get(g).get("points");
                evaluations += points.size();
                for (Object item : points) {
                    Map<?, ?> point = (Map<?, ?>) item;
                    double level = ((Number) point.get("sparsity")).doubleValue();
                    // Measured again here: the model with only this group's units removed, plain.
                    double accuracy = Fixtures.accuracy(runtime, NodeProfile.pruned(model, groups.get(g), level,
                            List.of(), p.importance()), Fixtures.load("digits-mlp").data());
                    assertEquals(accuracy, ((Number) point.get("metric")).doubleValue(), 1e-12);
                    assertEquals(original - accuracy <= 0.10 + 1e-12, point.get("passes"));
                }
                // Up to its first failure.
                for (int i = 0; i < points.size() - 1; i++) {
                    assertEquals(Boolean.TRUE, ((Map<?, ?>) points.get(i)).get("passes"));
                }
            }
        }
        assertTrue(evaluations >= 4 && evaluations <= 8, curves.toString());
        assertEquals("2 groups of units profiled in " + evaluations + " evaluations, each alone thinned plain",
                profile.log().get(0));
        assertArrayEquals(ModelBytes.toArray(without.prunedBytes()), ModelBytes.toArray(with.prunedBytes()));
        // report.html: each point in the units' table and as a mark on their lines, apart from the weights' profile.
        String html = new String(io.github.onnxprune.report.HtmlReport.toBytes("1.2.3", List.of(with.report())),
                java.nio.charset.StandardCharsets.UTF_8);
        StringBuilder expected = new StringBuilder();
        for (Map<String, Object> curve : curves) {
            for (Object item : (List<?>) curve.get("points")) {
                Map<?, ?> point = (Map<?, ?>) item;
                String cell = "data-name=\"" + curve.get("name") + "\" data-sparsity=\"" + point.get("sparsity")
                        + "\" data-value=\"" + point.get("metric") + "\"";
                assertTrue(html.contains("<td class=\"unit-sensitivity-point" + (Boolean.TRUE.equals(point.get(
                        "passes")) ? "" : " fail") + "\" " + cell), cell);
                assertTrue(html.contains("<circle class=\"unit-sensitivity-mark\" " + cell), cell);
                expected.append('x');
            }
        }
        assertEquals(expected.length(), html.split("class=\"unit-sensitivity-point", -1).length - 1);
        assertTrue(html.contains("Sensitivity of units: the metric with only that group's units removed"));
        assertTrue(html.contains(">/fc1/Gemm units</td><td>4096</td>"), html);
        assertTrue(html.contains(">/fc2/Gemm units</td><td>2048</td>"), html);
        assertEquals(1, html.split("<polyline ", -1).length - curves.size());
    }
}
