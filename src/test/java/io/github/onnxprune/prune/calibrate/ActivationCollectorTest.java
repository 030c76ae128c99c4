package io.github.onnxprune.prune.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import io.github.onnxprune.TestModels;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.eval.ValidationData;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ActivationCollectorTest {

    private static final float[][] PROJECTION = {{2, 0.25f}, {0.5f, 1}};

    @Test
    void aValueEarlyInTheGraphRunsOnlyTheNodesItDependsOn() {
        ModelProto model = TestModels.tokens(PROJECTION);

        ModelProto truncated = ModelCut.withOutputs(model, List.of("embedded"));

        assertEquals(List.of("lookup"), truncated.getGraph().getNodeList().stream().map(NodeProto::getName).toList());
        assertEquals(List.of("embeddings"),
                truncated.getGraph().getInitializerList().stream().map(TensorProto::getName).toList());
        assertEquals(List.of("embedded"),
                truncated.getGraph().getOutputList().stream().map(ValueInfoProto::getName).toList());
        // Every input stays declared: the samples feed all of them.
        assertEquals(List.of("input_ids", "attention_mask"),
                truncated.getGraph().getInputList().stream().map(ValueInfoProto::getName).toList());
    }

    @Test
    void collectsTheSameValuesFromTheTruncatedGraph() {
        ValidationData data = paddedSentences();
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            ActivationCollector collector = new ActivationCollector(runtime, data, 16, 1);

            Map<String, Tensor> values = collector.collect(TestModels.tokens(PROJECTION),
                    List.of("embedded", "last_hidden_state"));

            assertArrayEquals(new float[] {2, 0, 0, 1, 1, 1, 1, 0}, (float[]) values.get("embedded").data());
            // Token 3 is [2, 0]: projected [4, 0.5]; token 1 is [0, 1]: [0.5, 1]; token 2 [2.5, 1.25]; token 0 [2,
            // 0.25].
            assertArrayEquals(new float[] {4, 0.5f, 0.5f, 1, 2.5f, 1.25f, 2, 0.25f},
                    (float[]) values.get("last_hidden_state").data());
        }
    }

    @Test
    void paddedPositionsLeaveTheRowsAndTheVariance() {
        ValidationData data = paddedSentences();
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            ActivationCollector collector = new ActivationCollector(runtime, data, 16, 1);
            Tensor hidden = Tensor.ofFloats(new long[] {2, 2, 2}, 4, 0.5f, 0.5f, 1, 2.5f, 1.25f, 2, 0.25f);

            Tensor rows = collector.maskedRows(hidden);

            // The second sample's second token is padding: three rows remain, in order.
            assertArrayEquals(new long[] {3, 2}, rows.shape());
            assertArrayEquals(new float[] {4, 0.5f, 0.5f, 1, 2.5f, 1.25f}, (float[]) rows.data());
            // Variance over the three real tokens: projected first features 4, 0.5, 2.5; second 0.5, 1, 1.25.
            double[] variance;
            try (FeatureVariances variances = new FeatureVariances(collector, TestModels.tokens(PROJECTION))) {
                variance = variances.of("last_hidden_state");
            }
            assertEquals(variance(4, 0.5, 2.5), variance[0], 1e-9);
            assertEquals(variance(0.5, 1, 1.25), variance[1], 1e-9);
            // A value without the token axis is left as it is.
            Tensor flat = Tensor.ofFloats(new long[] {2, 2}, 1, 2, 3, 4);
            assertEquals(flat, collector.maskedRows(flat));
        }
    }

    @Test
    void theConfiguredMaskInputMarksThePadding() {
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        inputs.put("input_ids", Tensor.ofLongs(new long[] {2, 2}, 3, 1, 2, 0));
        inputs.put("attention_mask", Tensor.ofLongs(new long[] {2, 2}, 1, 1, 1, 1));
        inputs.put("tokens_kept", Tensor.ofLongs(new long[] {2, 2}, 0, 1, 1, 1));
        ValidationData data = new ValidationData(inputs, null, null, Path.of("in-memory"));
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            Tensor hidden = Tensor.ofFloats(new long[] {2, 2, 2}, 4, 0.5f, 0.5f, 1, 2.5f, 1.25f, 2, 0.25f);

            Tensor rows = new ActivationCollector(runtime, data, 16, 1, "tokens_kept").maskedRows(hidden);
            Tensor byDefault = new ActivationCollector(runtime, data, 16, 1).maskedRows(hidden);

            // tokens_kept drops the first sample's first token; attention_mask (all ones) drops nothing.
            assertArrayEquals(new long[] {3, 2}, rows.shape());
            assertArrayEquals(new float[] {0.5f, 1, 2.5f, 1.25f, 2, 0.25f}, (float[]) rows.data());
            assertArrayEquals(new long[] {4, 2}, byDefault.shape());
        }
    }

    private static double variance(double... values) {
        double mean = java.util.Arrays.stream(values).average().orElseThrow();
        return java.util.Arrays.stream(values).map(v -> (v - mean) * (v - mean)).sum() / values.length;
    }

    @Test
    void dependenciesAreTheValuesAndWeightsUpstream() {
        ModelProto model = TestModels.tokens(PROJECTION);

        assertEquals(java.util.Set.of("embedded", "embeddings", "input_ids"),
                ModelCut.dependencies(model.getGraph(), "embedded"));
        assertEquals(java.util.Set.of("last_hidden_state", "projection", "embedded", "embeddings", "input_ids"),
                ModelCut.dependencies(model.getGraph(), "last_hidden_state"));
    }

    /** Two sentences of two tokens, the second one's last token padding. */
    private static ValidationData paddedSentences() {
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        inputs.put("input_ids", Tensor.ofLongs(new long[] {2, 2}, 3, 1, 2, 0));
        inputs.put("attention_mask", Tensor.ofLongs(new long[] {2, 2}, 1, 1, 1, 0));
        return new ValidationData(inputs, null, null, Path.of("in-memory"));
    }
}
