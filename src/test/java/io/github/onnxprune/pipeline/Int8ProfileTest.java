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
import io.github.onnxprune.prune.calibrate.ActivationCollector;
import io.github.onnxprune.quantize.Int8Quantizer;
import io.github.onnxprune.quantize.QuantizationSettings;
import io.github.onnxprune.report.HtmlReport;
import io.github.onnxprune.report.StepSection;
import io.github.onnxprune.search.SearchReport;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class Int8ProfileTest {

    @Test
    void sensitivityWithInt8QuantizesEachLayerAloneAndShipsTheSameModel() throws Exception {
        ModelTask weights = ModelPruningPipelineTest.task("digits-mlp/model.onnx", "digits-mlp/validation.npz", 0.5,
                new GateLimits(null, 0.02));
        Quantization int8 = new Quantization("int8", List.of(), true);
        ModelTask plain = new ModelTask(weights.file(), weights.entryName(), weights.pruning().withQuantization(int8),
                weights.evaluation(), weights.limits());
        ModelTask profiled = ModelPruningPipelineTest.profiled(plain);
        List<ModelResult> results = ModelPruningPipelineTest.processed(plain, profiled);
        ModelResult without = results.get(0);
        ModelResult with = results.get(1);
        StepSection profile = with.report().step(SearchReport.PROFILE_ID).orElseThrow();
        List<Map<String, Object>> groups = profile.items("int8Sensitivity");
        // One group per layer: an MLP has no transformer blocks.
        assertEquals(3, groups.size(), groups.toString());
        ModelProto model = OnnxModelReader.read(Fixtures.fixture("digits-mlp/model.onnx"));
        Fixtures.Loaded fixture = Fixtures.load("digits-mlp");
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            double original = Fixtures.accuracy(runtime, model, fixture.data());
            List<String> layers = groups.stream().map(g -> (String) ((List<?>) g.get("layers")).get(0)).toList();
            for (Map<String, Object> group : groups) {
                assertEquals(List.of(group.get("name")), group.get("layers"));
                // Measured again here: only this layer in int8, calibrated on the same validation samples.
                Set<String> others = new java.util.HashSet<>(layers);
                others.remove(group.get("name"));
                ModelProto alone = Int8Quantizer.quantize(model, new QuantizationSettings(List.of(), others,
                        8), new ActivationCollector(runtime, fixture.data(), 64, 64)).model();
                double accuracy = Fixtures.accuracy(runtime, alone, fixture.data());
                assertEquals(accuracy, ((Number) group.get("metric")).doubleValue(), 1e-12, group.toString());
                assertEquals(original - accuracy <= 0.02 + 1e-12, group.get("passes"));
                double error = ((Number) group.get("outputError")).doubleValue();
                assertTrue(error > 0 && error < 0.1, group.toString());
            }
        }
        assertTrue(profile.log().stream().anyMatch(l -> l.startsWith("3 groups of layers each alone in int8 in 3"
                + " evaluations (")), profile.log().toString());
        assertArrayEquals(ModelBytes.toArray(without.prunedBytes()), ModelBytes.toArray(with.prunedBytes()));
        String html = new String(HtmlReport.toBytes("1.2.3", List.of(with.report())), StandardCharsets.UTF_8);
        for (Map<String, Object> group : groups) {
            assertTrue(html.contains("data-name=\"" + group.get("name") + "\" data-value=\"" + group.get("metric")
                    + "\""), group.toString());
        }
        assertEquals(3, html.split("class=\"int8-sensitivity-point", -1).length - 1);
    }
}
