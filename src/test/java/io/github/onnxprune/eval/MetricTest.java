package io.github.onnxprune.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MetricTest {

    /** Four samples of a three-class model. */
    private static final float[][] ORIGINAL = {
        {0.1f, 0.7f, 0.2f},
        {0.5f, 0.3f, 0.2f},
        {0.0f, 0.0f, 1.0f},
        {0.3f, 0.3f, 0.4f},
    };

    private static final float[][] PRUNED = {
        {0.2f, 0.6f, 0.2f}, // same argmax 1
        {0.2f, 0.5f, 0.3f}, // argmax 1 instead of 0
        {0.0f, 0.0f, 1.0f}, // identical
        {0.5f, 0.25f, 0.25f}, // argmax 0 instead of 2
    };

    private static final long[] LABELS = {1, 1, 2, 2};

    @Test
    void idsAndDirections() {
        assertEquals("accuracy", Metric.ACCURACY.id());
        assertEquals("top5", Metric.TOP5.id());
        assertEquals("agreement", Metric.AGREEMENT.id());
        assertEquals("cosine", Metric.COSINE.id());
        assertEquals("mse", Metric.MSE.id());
        assertTrue(Metric.ACCURACY.needsLabels());
        assertTrue(Metric.TOP5.needsLabels());
        assertFalse(Metric.AGREEMENT.needsLabels());
        assertFalse(Metric.COSINE.needsLabels());
        assertFalse(Metric.MSE.needsLabels());
        assertTrue(Metric.COSINE.higherIsBetter());
        assertFalse(Metric.MSE.higherIsBetter());
    }

    @Test
    void parsesIdsAndListsTheValidOnes() {
        assertEquals(Metric.TOP5, Metric.parse(" TOP5 "));
        assertEquals(Metric.MSE, Metric.parse("mse"));
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> Metric.parse("f1"));
        assertEquals("Unknown metric 'f1'. Valid metrics are: accuracy, top5, agreement, cosine, mse.",
                error.getMessage());
    }

    @Test
    void accuracyCountsTopOneHits() {
        // Pruned argmaxes 1, 1, 2, 0 against labels 1, 1, 2, 2.
        assertEquals(0.75, Metric.ACCURACY.score(ORIGINAL, PRUNED, LABELS));
        // Original argmaxes 1, 0, 2, 2.
        assertEquals(0.75, Metric.ACCURACY.score(ORIGINAL, ORIGINAL, LABELS));
        assertEquals(0.5, Metric.ACCURACY.score(null, PRUNED, new long[] {0, 1, 0, 0}));
    }

    @Test
    void topFiveCountsLabelsAmongTheFiveHighest() {
        float[][] wide = {
            {6, 5, 4, 3, 2, 1, 0}, // label 4 is fifth: hit
            {6, 5, 4, 3, 2, 1, 0}, // label 5 is sixth: miss
            {1, 1, 1, 1, 1, 1, 1}, // ties count for the label: hit
            {0, 0, 0, 0, 0, 0, Float.NaN}, // NaN output: miss
        };
        assertEquals(0.5, Metric.TOP5.score(null, wide, new long[] {4, 5, 6, 0}));
        // With three classes every label is in the top five.
        assertEquals(1.0, Metric.TOP5.score(ORIGINAL, PRUNED, LABELS));
    }

    @Test
    void agreementComparesArgmaxWithTheOriginal() {
        assertEquals(0.5, Metric.AGREEMENT.score(ORIGINAL, PRUNED, null));
        assertEquals(1.0, Metric.AGREEMENT.score(ORIGINAL, ORIGINAL, null));
    }

    @Test
    void cosineAveragesRowSimilarities() {
        float[][] original = {{1, 0}, {3, 4}, {0, 0}, {0, 0}};
        float[][] pruned = {{0, 2}, {6, 8}, {0, 0}, {1, 0}};
        // Rows: orthogonal 0, parallel 1, both zero 1, one zero 0.
        assertEquals(0.5, Metric.COSINE.score(original, pruned, null));
        assertEquals(1.0, Metric.COSINE.score(ORIGINAL, ORIGINAL, null));

        float[][] opposite = {{-1, 0}};
        assertEquals(-1.0, Metric.COSINE.score(new float[][] {{2, 0}}, opposite, null));
    }

    @Test
    void mseAveragesOverAllElements() {
        float[][] original = {{1, 2}, {3, 4}};
        float[][] pruned = {{1, 4}, {2, 4}};
        // Squared differences 0, 4, 1, 0 over four elements.
        assertEquals(1.25, Metric.MSE.score(original, pruned, null));
        assertEquals(0.0, Metric.MSE.score(ORIGINAL, ORIGINAL, null));
    }

    @Test
    void nanOutputsScoreAsTheWorstValueInsteadOfNaN() {
        float[][] original = {{1, 0}, {0, 1}};
        float[][] broken = {{Float.NaN, 0}, {0, 1}};
        assertEquals(0.5, Metric.ACCURACY.score(original, broken, new long[] {0, 1}));
        assertEquals(0.5, Metric.AGREEMENT.score(original, broken, null));
        assertEquals(0.0, Metric.COSINE.score(original, broken, null)); // (-1 + 1) / 2
        assertEquals(Double.POSITIVE_INFINITY, Metric.MSE.score(original, broken, null));
    }

    @Test
    void labelOutsideTheOutputWidthIsExplained() {
        ValidationDataException error = assertThrows(ValidationDataException.class,
                () -> Metric.ACCURACY.score(ORIGINAL, PRUNED, new long[] {1, 3, 7, 0}));
        assertEquals("Validation label 3 (sample 1) is outside the model output's 3 classes: labels must be class "
                + "indices in [0, 3). Check that the labels match the model's output order, and that the evaluated "
                + "output is the one holding one score per class.", error.getMessage());

        ValidationDataException negative = assertThrows(ValidationDataException.class,
                () -> Metric.TOP5.score(ORIGINAL, PRUNED, new long[] {0, -1, 0, 0}));
        assertTrue(negative.getMessage().startsWith("Validation label -1 (sample 1)"), negative.getMessage());
    }

    @Test
    void labelMetricsWithoutLabelsAreExplained() {
        ValidationDataException error = assertThrows(ValidationDataException.class,
                () -> Metric.ACCURACY.score(ORIGINAL, PRUNED, null));
        assertTrue(error.getMessage().startsWith("Metric 'accuracy' needs labels but the validation data has none."),
                error.getMessage());
    }

    @Test
    void comparisonMetricsRejectMismatchedOutputs() {
        assertThrows(IllegalArgumentException.class,
                () -> Metric.MSE.score(ORIGINAL, new float[][] {{1, 2}, {1, 2}, {1, 2}, {1, 2}}, null));
        assertThrows(IllegalArgumentException.class, () -> Metric.AGREEMENT.score(ORIGINAL, new float[][] {{1}}, null));
    }

    @Test
    void effectiveLabelsFallBackToTheArgmaxOfReferenceOutputs() {
        Tensor input = Tensor.ofFloats(new long[] {2, 1}, 0, 1);
        ValidationData reference = new ValidationData(Map.of("x", input), null,
                new float[][] {{0.1f, 0.9f}, {0.8f, 0.2f}}, Path.of("t"));
        assertEquals(0, java.util.Arrays.compare(new long[] {1, 0}, reference.effectiveLabels()));

        ValidationData labelled = new ValidationData(Map.of("x", input), new long[] {0, 0},
                new float[][] {{0.1f, 0.9f}, {0.8f, 0.2f}}, Path.of("t"));
        assertEquals(0, java.util.Arrays.compare(new long[] {0, 0}, labelled.effectiveLabels()));
    }
}
