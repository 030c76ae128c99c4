package io.github.onnxprune.eval;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * How a pruned model's outputs are scored, against labels or against the original model's outputs.
 *
 * <p>Scores never come out as NaN, so a gate comparing them with a threshold cannot be fooled: a row
 * holding NaN counts as a wrong prediction, scores a cosine similarity of -1 (the worst) and makes the MSE
 * positive infinity.
 */
public enum Metric {
    /** Fraction of samples whose top-1 prediction equals the label. */
    ACCURACY("accuracy", "top-1 accuracy", true, true),
    /** Fraction of samples whose label is among the five highest outputs (ties count in the label's favour). */
    TOP5("top5", "top-5 accuracy", true, true),
    /** Fraction of samples where the pruned model's top-1 prediction equals the original model's. */
    AGREEMENT("agreement", "top-1 agreement with the original model", false, true),
    /** Mean cosine similarity between each pruned output row and the original's row. */
    COSINE("cosine", "mean cosine similarity to the original outputs", false, true),
    /** Mean squared difference between pruned and original outputs over all elements. */
    MSE("mse", "mean squared error against the original outputs", false, false);

    private final String id;
    private final String description;
    private final boolean needsLabels;
    private final boolean higherIsBetter;

    Metric(String id, String description, boolean needsLabels, boolean higherIsBetter) {
        this.id = id;
        this.description = description;
        this.needsLabels = needsLabels;
        this.higherIsBetter = higherIsBetter;
    }

    /** The identifier users configure, for example {@code accuracy}. */
    public String id() {
        return id;
    }

    /** A short human description for reports, for example {@code top-1 accuracy}. */
    public String description() {
        return description;
    }

    /** Whether the metric compares against labels (and so needs validation data with labels). */
    public boolean needsLabels() {
        return needsLabels;
    }

    /**
     * Whether the metric reads one score per class (accuracy, top5, agreement), so the output must have shape
     * {@code [N, classes]} and cannot be pooled.
     */
    public boolean scoresClasses() {
        return this == ACCURACY || this == TOP5 || this == AGREEMENT;
    }

    /** Whether a larger score is better; false only for {@link #MSE}. */
    public boolean higherIsBetter() {
        return higherIsBetter;
    }

    /**
     * Finds a metric by its id, ignoring case and surrounding spaces.
     *
     * @param id the configured id
     * @return the metric
     * @throws IllegalArgumentException when no metric has that id; the message lists the valid ones
     */
    public static Metric parse(String id) {
        String wanted = id == null ? "" : id.trim().toLowerCase(Locale.ROOT);
        for (Metric metric : values()) {
            if (metric.id.equals(wanted)) {
                return metric;
            }
        }
        throw new IllegalArgumentException("Unknown metric '" + id + "'. Valid metrics are: "
                + Arrays.stream(values()).map(Metric::id).collect(Collectors.joining(", ")) + ".");
    }

    /**
     * Scores the pruned model's outputs. For the original model's own score pass its outputs twice:
     * {@code score(original, original, labels)} (agreement and cosine then give 1.0, mse 0.0).
     *
     * @param original the original model's output rows, one per sample (may be {@code null} for
     *     {@link #ACCURACY} and {@link #TOP5}, which do not use them)
     * @param pruned the scored model's output rows, one per sample
     * @param labels one class index per sample; required when {@link #needsLabels()}, ignored otherwise
     * @return the score
     * @throws ValidationDataException when labels are needed but missing, or a label is not a valid index
     *     into the output row
     * @throws IllegalArgumentException when the row counts or widths of the arguments disagree
     */
    public double score(float[][] original, float[][] pruned, long[] labels) {
        Objects.requireNonNull(pruned, "pruned");
        if (pruned.length == 0) {
            throw new IllegalArgumentException("cannot score zero samples");
        }
        if (needsLabels) {
            requireLabels(pruned, labels);
        } else {
            requireSameShape(original, pruned);
        }
        return switch (this) {
            case ACCURACY -> accuracy(pruned, labels);
            case TOP5 -> top5(pruned, labels);
            case AGREEMENT -> agreement(original, pruned);
            case COSINE -> cosine(original, pruned);
            case MSE -> mse(original, pruned);
        };
    }

    private static double accuracy(float[][] pruned, long[] labels) {
        int correct = 0;
        for (int i = 0; i < pruned.length; i++) {
            if (argmax(pruned[i]) == labels[i]) {
                correct++;
            }
        }
        return (double) correct / pruned.length;
    }

    private static double top5(float[][] pruned, long[] labels) {
        int correct = 0;
        for (int i = 0; i < pruned.length; i++) {
            float[] row = pruned[i];
            if (hasNaN(row)) {
                continue;
            }
            float labelScore = row[(int) labels[i]];
            int higher = 0;
            for (float value : row) {
                if (value > labelScore) {
                    higher++;
                }
            }
            if (higher < 5) {
                correct++;
            }
        }
        return (double) correct / pruned.length;
    }

    private static double agreement(float[][] original, float[][] pruned) {
        int same = 0;
        for (int i = 0; i < pruned.length; i++) {
            int expected = argmax(original[i]);
            if (expected >= 0 && expected == argmax(pruned[i])) {
                same++;
            }
        }
        return (double) same / pruned.length;
    }

    private static double cosine(float[][] original, float[][] pruned) {
        double sum = 0;
        for (int i = 0; i < pruned.length; i++) {
            sum += cosine(original[i], pruned[i]);
        }
        return sum / pruned.length;
    }

    private static double cosine(float[] a, float[] b) {
        if (!allFinite(a) || !allFinite(b)) {
            return -1.0;
        }
        if (Arrays.equals(a, b)) {
            // Exactly 1 even for an all-zero row, and free of rounding for the original's self-score.
            return 1.0;
        }
        double dot = 0;
        double normA = 0;
        double normB = 0;
        for (int j = 0; j < a.length; j++) {
            dot += (double) a[j] * b[j];
            normA += (double) a[j] * a[j];
            normB += (double) b[j] * b[j];
        }
        if (normA == 0 || normB == 0) {
            // One row is all zeros and the other is not: no direction in common.
            return 0.0;
        }
        double similarity = dot / Math.sqrt(normA * normB);
        // Rounding can push the ratio a hair outside [-1, 1].
        return Math.max(-1.0, Math.min(1.0, similarity));
    }

    private static double mse(float[][] original, float[][] pruned) {
        double sum = 0;
        long count = 0;
        for (int i = 0; i < pruned.length; i++) {
            for (int j = 0; j < pruned[i].length; j++) {
                double difference = (double) pruned[i][j] - original[i][j];
                sum += difference * difference;
            }
            count += pruned[i].length;
        }
        if (count == 0) {
            return 0.0;
        }
        double mean = sum / count;
        return Double.isNaN(mean) ? Double.POSITIVE_INFINITY : mean;
    }

    /**
     * Index of the largest value (the first one on ties, like numpy), or -1 when the row holds NaN or is
     * empty: a NaN output is no prediction at all.
     */
    static int argmax(float[] row) {
        if (row.length == 0 || hasNaN(row)) {
            return -1;
        }
        int best = 0;
        for (int j = 1; j < row.length; j++) {
            if (row[j] > row[best]) {
                best = j;
            }
        }
        return best;
    }

    private static boolean hasNaN(float[] row) {
        for (float value : row) {
            if (Float.isNaN(value)) {
                return true;
            }
        }
        return false;
    }

    private static boolean allFinite(float[] row) {
        for (float value : row) {
            if (!Float.isFinite(value)) {
                return false;
            }
        }
        return true;
    }

    private void requireLabels(float[][] pruned, long[] labels) {
        if (labels == null) {
            throw new ValidationDataException("Metric '" + id + "' needs labels but the validation data has none. "
                    + "Add labels (labels.npy next to the inputs, a 'labels' array in the .npz, a label column in "
                    + "the .csv, or output_0.pb in ONNX test data), or choose a metric that compares with the "
                    + "original model instead: agreement, cosine or mse.");
        }
        if (labels.length != pruned.length) {
            throw new IllegalArgumentException(labels.length + " labels for " + pruned.length + " output rows");
        }
        int width = pruned[0].length;
        for (int i = 0; i < labels.length; i++) {
            if (pruned[i].length != width) {
                throw new IllegalArgumentException("output row " + i + " has " + pruned[i].length
                        + " values, row 0 has " + width);
            }
            if (labels[i] < 0 || labels[i] >= width) {
                throw new ValidationDataException("Validation label " + labels[i] + " (sample " + i
                        + ") is outside the model output's " + width + " classes: labels must be class indices "
                        + "in [0, " + width + "). Check that the labels match the model's output order, and that "
                        + "the evaluated output is the one holding one score per class.");
            }
        }
    }

    private static void requireSameShape(float[][] original, float[][] pruned) {
        Objects.requireNonNull(original, "original");
        if (original.length != pruned.length) {
            throw new IllegalArgumentException("the original model produced " + original.length
                    + " output rows but the pruned one " + pruned.length);
        }
        for (int i = 0; i < pruned.length; i++) {
            if (original[i].length != pruned[i].length) {
                throw new IllegalArgumentException("output row " + i + " has " + original[i].length
                        + " values from the original model but " + pruned[i].length + " from the pruned one");
            }
        }
    }
}
