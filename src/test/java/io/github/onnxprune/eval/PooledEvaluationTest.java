package io.github.onnxprune.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.onnxprune.TestModels;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/** Mean pooling over the attention mask, run in ONNX Runtime on a tiny token model. */
class PooledEvaluationTest {

    private static final float[][] IDENTITY = {{1, 0}, {0, 1}};
    /** Keeps each token's first value and drops the second. */
    private static final float[][] FIRST_ONLY = {{1, 0}, {0, 0}};
    private static final ScoredOutput MEAN = new ScoredOutput("last_hidden_state", Pooling.MEAN, null);

    @AutoClose
    private static final OnnxRuntimeEvaluator evaluator = new OnnxRuntimeEvaluator(1);

    /** Three sentences of three, two and one real tokens, padded to three with id 0 (whose embedding is not 0). */
    private static ValidationData sentences(String maskName) {
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        inputs.put("input_ids", Tensor.ofLongs(new long[] {3, 3}, 0, 1, 2, 3, 2, 0, 1, 0, 0));
        inputs.put(maskName, Tensor.ofLongs(new long[] {3, 3}, 1, 1, 1, 1, 1, 0, 1, 0, 0));
        return new ValidationData(inputs, null, null, Path.of("in-memory"));
    }

    @Test
    void meanPoolsTheRealTokensAcrossBatches() {
        byte[] model = TestModels.tokens(IDENTITY).toByteArray();

        ModelOutputs outputs = evaluator.run(model, sentences("attention_mask"), MEAN, 2);

        assertEquals("last_hidden_state", outputs.outputName());
        // Mean of embeddings [1,0], [0,1], [1,1]; of [2,0], [1,1]; of [0,1] alone: the padding never counts.
        assertArrayEquals(new float[][] {{(float) (2.0 / 3), (float) (2.0 / 3)}, {1.5f, 0.5f}, {0, 1}},
                outputs.rows());
    }

    @Test
    void pooledCosineToTheOriginalIsTheSentenceTransformersScore() {
        ValidationData data = sentences("attention_mask");
        float[][] original = evaluator.run(TestModels.tokens(IDENTITY).toByteArray(), data, MEAN, 2).rows();
        float[][] pruned = evaluator.run(TestModels.tokens(FIRST_ONLY).toByteArray(), data, MEAN, 2).rows();

        double score = Metric.COSINE.score(original, pruned, null);

        // Pooled [2/3, 2/3] vs [2/3, 0], [1.5, 0.5] vs [1.5, 0], [0, 1] vs [0, 0].
        assertEquals((1 / Math.sqrt(2) + 1.5 / Math.sqrt(2.5) + 0) / 3, score, 1e-7);
        assertEquals(1.0, Metric.COSINE.score(original, original, null));
    }

    @Test
    void aConfiguredMaskInputIsRead() {
        ScoredOutput named = new ScoredOutput("last_hidden_state", Pooling.MEAN, "tokens_mask");

        float[][] rows = evaluator.run(TestModels.tokens(IDENTITY, "tokens_mask").toByteArray(),
                sentences("tokens_mask"), named, 3).rows();

        assertArrayEquals(new float[] {1.5f, 0.5f}, rows[1]);
    }

    @Test
    void tokenVectorsWithoutAChoiceFailInsteadOfBeingFlattened() {
        byte[] model = TestModels.tokens(IDENTITY).toByteArray();

        EvaluationSetupException error = assertThrows(EvaluationSetupException.class,
                () -> evaluator.run(model, sentences("attention_mask"), ScoredOutput.first(), 2));

        assertTrue(error.getMessage().startsWith("The model's output 'last_hidden_state' has shape [2, 3, 2]: each "
                + "sample holds [3, 2] values"), error.getMessage());
        // The failure asks for another <outputName> or a pooling: it lists what the model offers.
        assertTrue(error.getMessage().endsWith(" as sentence-transformers does. Its outputs are:"
                + " 'last_hidden_state'."), error.getMessage());
    }

    @Test
    void flattenScoresEveryTokenIncludingPadding() {
        byte[] model = TestModels.tokens(IDENTITY).toByteArray();

        float[][] rows = evaluator.run(model, sentences("attention_mask"),
                new ScoredOutput(null, Pooling.FLATTEN, null), 2).rows();

        assertArrayEquals(new float[] {0, 1, 1, 0, 1, 0}, rows[2]);
    }
}
