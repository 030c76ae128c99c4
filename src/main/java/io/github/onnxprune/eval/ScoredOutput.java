package io.github.onnxprune.eval;

/**
 * Which model output a metric reads, and how each sample's values of it become the one row the metric scores.
 *
 * @param name the output's name, or null for the model's first output
 * @param pooling how an output with several dimensions per sample becomes one vector, or null when none was
 *     chosen (such an output then fails to score instead of being flattened silently)
 * @param maskInput with {@link Pooling#MEAN}: the model input whose non-zero values mark the positions that
 *     count; null for the input named {@value #DEFAULT_MASK_INPUT} when the data has one, else every position
 */
public record ScoredOutput(String name, Pooling pooling, String maskInput) {

    /** The mask input mean pooling reads when none is configured: what BERT-family exports call it. */
    public static final String DEFAULT_MASK_INPUT = "attention_mask";

    /** Checks that a mask input is only given to mean pooling, and turns blank names into null. */
    public ScoredOutput {
        name = blankToNull(name);
        maskInput = blankToNull(maskInput);
        if (maskInput != null && pooling != Pooling.MEAN) {
            throw new IllegalArgumentException("maskInput '" + maskInput + "' is only read by mean pooling; set "
                    + "<pooling>mean</pooling> or leave <maskInput> out");
        }
    }

    /** The model's first output, one vector per sample. */
    public static ScoredOutput first() {
        return new ScoredOutput(null, null, null);
    }

    /** The output with this name (null for the first), one vector per sample. */
    public static ScoredOutput named(String name) {
        return new ScoredOutput(name, null, null);
    }

    private static String blankToNull(String text) {
        return text == null || text.isBlank() ? null : text.trim();
    }
}
