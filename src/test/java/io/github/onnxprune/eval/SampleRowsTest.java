package io.github.onnxprune.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SampleRowsTest {

    /** Two samples of three tokens of two values: token t of sample i holds {@code [6i + 2t, 6i + 2t + 1]}. */
    private static final long[] TOKENS = {2, 3, 2};
    private static final float[] VALUES = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    private static final ScoredOutput MEAN = new ScoredOutput("h", Pooling.MEAN, null);

    @Test
    void meanPoolingAveragesOnlyTheMaskedTokens() {
        Tensor mask = Tensor.ofLongs(new long[] {2, 3}, 1, 1, 0, 1, 0, 0);

        float[][] rows = SampleRows.of("h", TOKENS, VALUES, MEAN, mask, "attention_mask");

        assertArrayEquals(new float[][] {{1, 2}, {6, 7}}, rows);
    }

    @Test
    void meanPoolingWithoutAMaskAveragesEveryToken() {
        assertArrayEquals(new float[][] {{2, 3}, {8, 9}}, SampleRows.of("h", TOKENS, VALUES, MEAN, null, null));
    }

    @Test
    void aSampleWithoutAnyMaskedTokenPoolsToZeros() {
        Tensor mask = Tensor.ofInts(new long[] {2, 3}, 0, 0, 0, 0, 0, 1);

        float[][] rows = SampleRows.of("h", TOKENS, VALUES, MEAN, mask, "attention_mask");

        assertArrayEquals(new float[][] {{0, 0}, {10, 11}}, rows);
    }

    @Test
    void pooledCosineOfHandBuiltVectorsIsExact() {
        Tensor mask = Tensor.ofLongs(new long[] {2, 3}, 1, 1, 0, 1, 0, 0);
        float[][] original = SampleRows.of("h", TOKENS, VALUES, MEAN, mask, "m");
        // The same tokens with the second value of every token zeroed: pooled [1, 0] and [6, 0].
        float[] pruned = VALUES.clone();
        for (int k = 1; k < pruned.length; k += 2) {
            pruned[k] = 0;
        }
        float[][] prunedRows = SampleRows.of("h", TOKENS, pruned, MEAN, mask, "m");

        double score = Metric.COSINE.score(original, prunedRows, null);

        assertEquals((1 / Math.sqrt(5) + 6 / Math.sqrt(85)) / 2, score, 1e-15);
    }

    @Test
    void flattenKeepsEveryValueOfTheSample() {
        float[][] rows = SampleRows.of("h", TOKENS, VALUES, new ScoredOutput("h", Pooling.FLATTEN, null), null, null);

        assertArrayEquals(new float[][] {{0, 1, 2, 3, 4, 5}, {6, 7, 8, 9, 10, 11}}, rows);
    }

    @Test
    void dimensionsOfSizeOneAreNotAmbiguous() {
        float[][] rows = SampleRows.of("logits", new long[] {2, 3, 1}, new float[] {1, 2, 3, 4, 5, 6},
                ScoredOutput.first(), null, null);

        assertArrayEquals(new float[][] {{1, 2, 3}, {4, 5, 6}}, rows);
    }

    @Test
    void severalDimensionsPerSampleWithoutAChoiceFail() {
        EvaluationSetupException error = assertThrows(EvaluationSetupException.class,
                () -> SampleRows.of("h", new long[] {1, 3, 4}, new float[12], ScoredOutput.first(), null, null));

        assertTrue(error.getMessage().startsWith("The model's output 'h' has shape [1, 3, 4]: each sample holds "
                + "[3, 4] values, not one score per class or one vector"), error.getMessage());
        assertTrue(error.getMessage().contains("name such an output with <outputName>"), error.getMessage());
        assertTrue(error.getMessage().contains("<pooling>flatten</pooling>"), error.getMessage());
        assertTrue(error.getMessage().contains("<pooling>mean</pooling>"), error.getMessage());
    }

    @Test
    void meanPoolingOfOneVectorPerSampleFails() {
        EvaluationSetupException error = assertThrows(EvaluationSetupException.class,
                () -> SampleRows.of("emb", new long[] {2, 384}, new float[768], MEAN, null, null));

        assertTrue(error.getMessage().startsWith("Mean pooling averages one vector per token, but the model's output "
                + "'emb' has shape [2, 384], which is already one vector per sample."), error.getMessage());
    }

    @Test
    void aMaskOfTheWrongLengthFails() {
        Tensor mask = Tensor.ofLongs(new long[] {2, 2}, 1, 1, 1, 1);

        EvaluationSetupException error = assertThrows(EvaluationSetupException.class,
                () -> SampleRows.of("h", TOKENS, VALUES, MEAN, mask, "attention_mask"));

        assertTrue(error.getMessage().contains("needs the mask input 'attention_mask' to hold one value per token, "
                + "shape [2, 3] for this batch, but it has shape [2, 2]"), error.getMessage());
    }

    @Test
    void theMaskInputIsTheConfiguredOneElseAttentionMaskWhenPresent() {
        Tensor ids = Tensor.ofLongs(new long[] {1, 2}, 1, 2);
        ValidationData bert = new ValidationData(Map.of("input_ids", ids, "attention_mask", ids, "m", ids), null,
                null, Path.of("in-memory"));
        ValidationData plain = new ValidationData(Map.of("input_ids", ids), null, null, Path.of("in-memory"));

        assertEquals("attention_mask", SampleRows.maskInput(MEAN, bert));
        assertEquals("m", SampleRows.maskInput(new ScoredOutput(null, Pooling.MEAN, "m"), bert));
        assertNull(SampleRows.maskInput(MEAN, plain));
        assertNull(SampleRows.maskInput(new ScoredOutput(null, Pooling.FLATTEN, null), bert));
        EvaluationSetupException error = assertThrows(EvaluationSetupException.class,
                () -> SampleRows.maskInput(new ScoredOutput(null, Pooling.MEAN, "mask"), plain));
        assertTrue(error.getMessage().startsWith("The mask input 'mask' configured for mean pooling is not an input "
                + "of the model (its inputs are input_ids)."), error.getMessage());
    }

    @Test
    void poolingIdsParseAndAMaskNeedsMeanPooling() {
        assertEquals(Pooling.MEAN, Pooling.parse(" Mean "));
        assertNull(Pooling.parse(""));
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> Pooling.parse("max"));
        assertEquals("Unknown pooling 'max'. Valid poolings are: flatten, mean.", unknown.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ScoredOutput(null, Pooling.FLATTEN, "attention_mask"));
    }
}
