package io.github.onnxprune.prune.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.TestModels;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.eval.ValidationData;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LayerInputsTest {

    private static ValidationData tokens() {
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        inputs.put("input_ids", Tensor.ofLongs(new long[] {1, 2}, 3, 1));
        inputs.put("attention_mask", Tensor.ofLongs(new long[] {1, 2}, 1, 1));
        return new ValidationData(inputs, null, null, Path.of("in-memory"));
    }

    @Test
    void aCurrentValueIsReusedUntilAWeightUpstreamOfItChanges() {
        ModelProto model = TestModels.tokens(new float[][] {{1, 0}, {0, 1}});
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            LayerInputs inputs = new LayerInputs(new ActivationCollector(runtime, tokens(), 8, 8), model,
                    List.of("embedded", "embedded", "embedded"));

            Tensor first = inputs.current(model, "embedded");
            inputs.changed("projection");
            Tensor second = inputs.current(model, "embedded");
            inputs.changed("embeddings");
            Tensor third = inputs.current(model, "embedded");

            assertSame(first, second);
            assertNotSame(second, third);
            assertArrayEquals(new float[] {2, 0, 0, 1}, (float[]) third.data());
        }
    }

    @Test
    void denseValuesComeInGroupsInLayerOrder() {
        ModelProto model = TestModels.tokens(new float[][] {{2, 0}, {0, 2}});
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            LayerInputs inputs = new LayerInputs(new ActivationCollector(runtime, tokens(), 8, 8), model,
                    List.of("embedded", "last_hidden_state", "embedded"));

            Tensor embedded = inputs.dense("embedded", 0);
            Tensor hidden = inputs.dense("last_hidden_state", 1);

            // One run collected both; the first is still held for its last reader at position 2.
            assertSame(embedded, inputs.dense("embedded", 2));
            assertArrayEquals(new float[] {4, 0, 0, 2}, (float[]) hidden.data());
        }
    }
}
