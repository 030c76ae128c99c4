package io.github.onnxprune.eval;

import java.util.Arrays;

/**
 * Turns one batch of a model output into one row per sample, as a {@link ScoredOutput} says: the sample's
 * values as they are when they form one vector, else flattened or mean-pooled when the user chose so, else a
 * failure that says how to choose.
 */
final class SampleRows {

    /** sentence-transformers' floor on the mask count: a sample without any marked token pools to zeros. */
    private static final double MIN_MASK_COUNT = 1e-9;

    private SampleRows() {
    }

    /**
     * The mask input mean pooling reads for this data: the configured one, else {@value
     * ScoredOutput#DEFAULT_MASK_INPUT} when the data holds it, else null (every position counts).
     *
     * @throws EvaluationSetupException when the configured mask input is not among the data's inputs
     */
    static String maskInput(ScoredOutput how, ValidationData data) {
        if (how.pooling() != Pooling.MEAN) {
            return null;
        }
        if (how.maskInput() != null) {
            if (!data.inputs().containsKey(how.maskInput())) {
                throw new EvaluationSetupException("The mask input '" + how.maskInput() + "' configured for mean "
                        + "pooling is not an input of the model (its inputs are " + String.join(", ",
                        data.inputs().keySet()) + "). Set <maskInput> to the input that marks real tokens with 1 "
                        + "and padding with 0, or leave it out to use " + ScoredOutput.DEFAULT_MASK_INPUT
                        + " when present.");
            }
            return how.maskInput();
        }
        return data.inputs().containsKey(ScoredOutput.DEFAULT_MASK_INPUT) ? ScoredOutput.DEFAULT_MASK_INPUT : null;
    }

    /**
     * Splits a batch's output into rows.
     *
     * @param output the output's name, for messages
     * @param shape the batch's output shape, batch first
     * @param values the output's values in C order
     * @param how the scoring choice
     * @param mask for mean pooling, the mask input's rows of this batch ({@code [samples, tokens]}), or null when
     *     every position counts
     * @param maskName the mask input's name, for messages
     * @return {@code shape[0]} rows
     * @throws EvaluationSetupException when the output cannot be scored as configured
     */
    static float[][] of(String output, long[] shape, float[] values, ScoredOutput how, Tensor mask, String maskName) {
        int samples = (int) shape[0];
        long[] sample = Arrays.copyOfRange(shape, 1, shape.length);
        if (how.pooling() == Pooling.MEAN) {
            return meanPooled(output, shape, values, mask, maskName);
        }
        if (how.pooling() == null && dimensionsAbove1(sample) > 1) {
            throw new EvaluationSetupException("The model's output '" + output + "' has shape "
                    + Shapes.format(shape) + ": each sample holds " + Shapes.format(sample) + " values, not one "
                    + "score per class or one vector, and scoring it flattened would be a guess. Classification "
                    + "metrics (accuracy, top5, agreement) need an output of shape [N, classes] (dimensions of "
                    + "size 1 after the classes are dropped): name such an output with <outputName>. For cosine or "
                    + "mse, choose how a sample's values become one vector: <pooling>flatten</pooling> compares "
                    + "them all, <pooling>mean</pooling> averages the vectors along the second dimension (tokens), "
                    + "counting only the positions where <maskInput> (default " + ScoredOutput.DEFAULT_MASK_INPUT
                    + ") is not 0, as sentence-transformers does.");
        }
        int width = samples == 0 ? 0 : values.length / samples;
        float[][] rows = new float[samples][];
        for (int i = 0; i < samples; i++) {
            rows[i] = Arrays.copyOfRange(values, i * width, (i + 1) * width);
        }
        return rows;
    }

    private static float[][] meanPooled(String output, long[] shape, float[] values, Tensor mask, String maskName) {
        if (shape.length < 3) {
            throw new EvaluationSetupException("Mean pooling averages one vector per token, but the model's output '"
                    + output + "' has shape " + Shapes.format(shape) + ", which is already one vector per sample. "
                    + "Leave <pooling> out for this output, or name the output of token vectors ([N, tokens, "
                    + "features]) with <outputName>.");
        }
        int samples = (int) shape[0];
        int tokens = (int) shape[1];
        int width = Shapes.elementCount(Arrays.copyOfRange(shape, 2, shape.length));
        boolean[] counted = counted(mask, samples, tokens, output, shape, maskName);
        float[][] rows = new float[samples][];
        double[] sum = new double[width];
        for (int i = 0; i < samples; i++) {
            Arrays.fill(sum, 0);
            int count = 0;
            for (int t = 0; t < tokens; t++) {
                if (!counted[i * tokens + t]) {
                    continue;
                }
                count++;
                int base = (i * tokens + t) * width;
                for (int j = 0; j < width; j++) {
                    sum[j] += values[base + j];
                }
            }
            double divisor = Math.max(count, MIN_MASK_COUNT);
            float[] row = new float[width];
            for (int j = 0; j < width; j++) {
                row[j] = (float) (sum[j] / divisor);
            }
            rows[i] = row;
        }
        return rows;
    }

    /** Which positions count, sample by sample: the mask's non-zero entries, or all without a mask. */
    private static boolean[] counted(Tensor mask, int samples, int tokens, String output, long[] shape,
            String maskName) {
        boolean[] counted = new boolean[samples * tokens];
        if (mask == null) {
            Arrays.fill(counted, true);
            return counted;
        }
        long[] maskShape = mask.shape();
        if (maskShape.length != 2 || maskShape[0] != samples || maskShape[1] != tokens) {
            throw new EvaluationSetupException("Mean pooling of the model's output '" + output + "' (shape "
                    + Shapes.format(shape) + ") needs the mask input '" + maskName + "' to hold one value per "
                    + "token, shape [" + samples + ", " + tokens + "] for this batch, but it has shape "
                    + Shapes.format(maskShape) + ". Set <maskInput> to the input that marks real tokens, or name "
                    + "the output of token vectors with <outputName>.");
        }
        Object data = mask.data();
        for (int k = 0; k < counted.length; k++) {
            counted[k] = switch (mask.elementType()) {
                case INT64 -> ((long[]) data)[k] != 0;
                case INT32 -> ((int[]) data)[k] != 0;
                case FLOAT -> ((float[]) data)[k] != 0;
                case DOUBLE -> ((double[]) data)[k] != 0;
                default -> ((byte[]) data)[k] != 0;
            };
        }
        return counted;
    }

    private static int dimensionsAbove1(long[] dims) {
        int count = 0;
        for (long dim : dims) {
            if (dim > 1) {
                count++;
            }
        }
        return count;
    }
}
