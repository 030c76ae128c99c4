package io.github.onnxprune.prune.distill;

import io.github.onnxprune.prune.distill.BlockParameters.Part;
import java.util.stream.IntStream;

/**
 * Forward and hand-written backward of one BERT encoder block as the Hugging Face export computes it: Q, K, V
 * projections (MatMul + Add), scores {@code Q K^T / divisor} per head, Softmax, context, output projection + bias
 * + residual + LayerNorm, feed-forward MatMul + Add, GELU with erf, MatMul + Add + residual + LayerNorm.
 *
 * <p>Rows are the real tokens of several sentences laid end to end ({@code lengths} per sentence). Attention
 * runs within a sentence over its real tokens only: the export adds {@code (1 - mask) * min_float} (or -10000) to
 * the scores of padded keys, whose exponent then underflows to exactly zero, so real tokens' outputs are the
 * same, and padded rows are what no pooled metric reads.
 */
final class EncoderBlock {

    private static final double ROOT_TWO = Math.sqrt(2);
    private static final double INV_ROOT_TWO_PI = 1 / Math.sqrt(2 * Math.PI);

    private EncoderBlock() {
    }

    /** A forward pass and what its backward pass needs. */
    static final class Pass {
        final int rows;
        final int[] lengths;
        final int[] starts;
        final int[] probabilityStarts;
        double[] input;
        double[] query;
        double[] key;
        double[] value;
        double[] probabilities;
        double[] context;
        double[] attentionNormalized;
        double[] attentionInverseDeviation;
        double[] attentionOutput;
        double[] intermediate;
        double[] erfs;
        double[] activated;
        double[] outputNormalized;
        double[] outputInverseDeviation;
        double[] output;

        Pass(int[] lengths, int heads) {
            this.lengths = lengths.clone();
            this.starts = new int[lengths.length + 1];
            this.probabilityStarts = new int[lengths.length + 1];
            for (int s = 0; s < lengths.length; s++) {
                starts[s + 1] = starts[s] + lengths[s];
                probabilityStarts[s + 1] = probabilityStarts[s] + heads * lengths[s] * lengths[s];
            }
            this.rows = starts[lengths.length];
        }
    }

    /** The block's output for {@code input} ({@code rows x width}, sentences of {@code lengths} end to end). */
    static Pass forward(BlockParameters p, double[] input, int[] lengths) {
        Pass pass = new Pass(lengths, p.heads);
        int n = pass.rows;
        int d = p.width;
        int projected = p.heads * p.headSize;
        if (input.length != n * d) {
            throw new IllegalArgumentException("input has " + input.length + " values, " + n + " rows of " + d
                    + " expected");
        }
        pass.input = input;
        pass.query = affine(input, n, d, p.get(Part.QUERY_WEIGHT), projected, p.get(Part.QUERY_BIAS));
        pass.key = affine(input, n, d, p.get(Part.KEY_WEIGHT), projected, p.get(Part.KEY_BIAS));
        pass.value = affine(input, n, d, p.get(Part.VALUE_WEIGHT), projected, p.get(Part.VALUE_BIAS));
        attend(p, pass);
        double[] residual = affine(pass.context, n, projected, p.get(Part.OUTPUT_WEIGHT), d,
                p.get(Part.OUTPUT_BIAS));
        for (int i = 0; i < residual.length; i++) {
            residual[i] += input[i];
        }
        pass.attentionNormalized = new double[n * d];
        pass.attentionInverseDeviation = new double[n];
        pass.attentionOutput = normalize(residual, n, d, p.attentionEpsilon, p.get(Part.ATTENTION_NORM_GAIN),
                p.get(Part.ATTENTION_NORM_BIAS), pass.attentionNormalized, pass.attentionInverseDeviation);
        pass.intermediate = affine(pass.attentionOutput, n, d, p.get(Part.INTERMEDIATE_WEIGHT), p.hidden,
                p.get(Part.INTERMEDIATE_BIAS));
        double[] u = pass.intermediate;
        pass.erfs = new double[u.length];
        pass.activated = new double[u.length];
        IntStream.range(0, n).parallel().forEach(r -> {
            for (int i = r * p.hidden; i < (r + 1) * p.hidden; i++) {
                double e = Erf.erf(u[i] / ROOT_TWO);
                pass.erfs[i] = e;
                pass.activated[i] = 0.5 * u[i] * (1 + e);
            }
        });
        double[] second = affine(pass.activated, n, p.hidden, p.get(Part.FFN_OUTPUT_WEIGHT), d,
                p.get(Part.FFN_OUTPUT_BIAS));
        for (int i = 0; i < second.length; i++) {
            second[i] += pass.attentionOutput[i];
        }
        pass.outputNormalized = new double[n * d];
        pass.outputInverseDeviation = new double[n];
        pass.output = normalize(second, n, d, p.outputEpsilon, p.get(Part.OUTPUT_NORM_GAIN),
                p.get(Part.OUTPUT_NORM_BIAS), pass.outputNormalized, pass.outputInverseDeviation);
        return pass;
    }

    /**
     * The gradient of a loss with respect to every parameter, given the loss's gradient with respect to the
     * block's output; masked weights' gradients are zero.
     */
    static double[][] backward(BlockParameters p, Pass pass, double[] outputGradient) {
        int n = pass.rows;
        int d = p.width;
        int f = p.hidden;
        int projected = p.heads * p.headSize;
        double[][] g = new double[BlockParameters.PARTS][];
        double[] dSecond = normalizeBackward(outputGradient, pass.outputNormalized, pass.outputInverseDeviation,
                n, d, p.get(Part.OUTPUT_NORM_GAIN), g, Part.OUTPUT_NORM_GAIN, Part.OUTPUT_NORM_BIAS);
        g[Part.FFN_OUTPUT_WEIGHT.ordinal()] = Kernels.transposedTimes(pass.activated, n, f, dSecond, d);
        g[Part.FFN_OUTPUT_BIAS.ordinal()] = columnSums(dSecond, n, d);
        double[] dU = Kernels.timesTransposed(dSecond, n, d, p.get(Part.FFN_OUTPUT_WEIGHT), f);
        double[] u = pass.intermediate;
        IntStream.range(0, n).parallel().forEach(r -> {
            for (int i = r * f; i < (r + 1) * f; i++) {
                double derivative = 0.5 * (1 + pass.erfs[i]) + u[i] * INV_ROOT_TWO_PI * Math.exp(-0.5 * u[i] * u[i]);
                dU[i] *= derivative;
            }
        });
        g[Part.INTERMEDIATE_WEIGHT.ordinal()] = Kernels.transposedTimes(pass.attentionOutput, n, d, dU, f);
        g[Part.INTERMEDIATE_BIAS.ordinal()] = columnSums(dU, n, f);
        double[] dAttentionOutput = Kernels.timesTransposed(dU, n, f, p.get(Part.INTERMEDIATE_WEIGHT), d);
        for (int i = 0; i < dAttentionOutput.length; i++) {
            dAttentionOutput[i] += dSecond[i];
        }
        double[] dResidual = normalizeBackward(dAttentionOutput, pass.attentionNormalized,
                pass.attentionInverseDeviation, n, d, p.get(Part.ATTENTION_NORM_GAIN), g, Part.ATTENTION_NORM_GAIN,
                Part.ATTENTION_NORM_BIAS);
        g[Part.OUTPUT_WEIGHT.ordinal()] = Kernels.transposedTimes(pass.context, n, projected, dResidual, d);
        g[Part.OUTPUT_BIAS.ordinal()] = columnSums(dResidual, n, d);
        double[] dContext = Kernels.timesTransposed(dResidual, n, d, p.get(Part.OUTPUT_WEIGHT), projected);
        double[] dQuery = new double[n * projected];
        double[] dKey = new double[n * projected];
        double[] dValue = new double[n * projected];
        attendBackward(p, pass, dContext, dQuery, dKey, dValue);
        double[] inputT = Kernels.transpose(pass.input, n, d);
        g[Part.QUERY_WEIGHT.ordinal()] = Kernels.multiply(inputT, d, n, dQuery, projected);
        g[Part.QUERY_BIAS.ordinal()] = columnSums(dQuery, n, projected);
        g[Part.KEY_WEIGHT.ordinal()] = Kernels.multiply(inputT, d, n, dKey, projected);
        g[Part.KEY_BIAS.ordinal()] = columnSums(dKey, n, projected);
        g[Part.VALUE_WEIGHT.ordinal()] = Kernels.multiply(inputT, d, n, dValue, projected);
        g[Part.VALUE_BIAS.ordinal()] = columnSums(dValue, n, projected);
        for (Part part : Part.values()) {
            boolean[] mask = p.masks[part.ordinal()];
            if (mask != null) {
                double[] grad = g[part.ordinal()];
                for (int i = 0; i < grad.length; i++) {
                    if (!mask[i]) {
                        grad[i] = 0;
                    }
                }
            }
        }
        return g;
    }

    private static double[] affine(double[] x, int rows, int inner, double[] w, int cols, double[] bias) {
        double[] y = Kernels.multiply(x, rows, inner, w, cols);
        for (int r = 0; r < rows; r++) {
            int at = r * cols;
            for (int j = 0; j < cols; j++) {
                y[at + j] += bias[j];
            }
        }
        return y;
    }

    private static double[] columnSums(double[] x, int rows, int cols) {
        double[] sums = new double[cols];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                sums[j] += x[r * cols + j];
            }
        }
        return sums;
    }

    /** Scores, Softmax and context per sentence and head. */
    private static void attend(BlockParameters p, Pass pass) {
        int dh = p.headSize;
        int projected = p.heads * dh;
        pass.probabilities = new double[pass.probabilityStarts[pass.lengths.length]];
        pass.context = new double[pass.rows * projected];
        double[] q = pass.query;
        double[] k = pass.key;
        double[] v = pass.value;
        IntStream.range(0, pass.lengths.length * p.heads).parallel().forEach(job -> {
            int s = job / p.heads;
            int h = job % p.heads;
            int length = pass.lengths[s];
            int start = pass.starts[s];
            int probs = pass.probabilityStarts[s] + h * length * length;
            for (int i = 0; i < length; i++) {
                int qi = (start + i) * projected + h * dh;
                int row = probs + i * length;
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < length; j++) {
                    int kj = (start + j) * projected + h * dh;
                    double score = 0;
                    for (int t = 0; t < dh; t++) {
                        score += q[qi + t] * k[kj + t];
                    }
                    score /= p.scoreDivisor;
                    pass.probabilities[row + j] = score;
                    max = Math.max(max, score);
                }
                double sum = 0;
                for (int j = 0; j < length; j++) {
                    double e = Math.exp(pass.probabilities[row + j] - max);
                    pass.probabilities[row + j] = e;
                    sum += e;
                }
                for (int j = 0; j < length; j++) {
                    double prob = pass.probabilities[row + j] / sum;
                    pass.probabilities[row + j] = prob;
                    int vj = (start + j) * projected + h * dh;
                    for (int t = 0; t < dh; t++) {
                        pass.context[qi + t] += prob * v[vj + t];
                    }
                }
            }
        });
    }

    private static void attendBackward(BlockParameters p, Pass pass, double[] dContext, double[] dQuery,
            double[] dKey, double[] dValue) {
        int dh = p.headSize;
        int projected = p.heads * dh;
        double[] q = pass.query;
        double[] k = pass.key;
        double[] v = pass.value;
        // Each job writes only its own sentence's rows of its own head's columns.
        IntStream.range(0, pass.lengths.length * p.heads).parallel().forEach(job -> {
            int s = job / p.heads;
            int h = job % p.heads;
            int length = pass.lengths[s];
            int start = pass.starts[s];
            int probs = pass.probabilityStarts[s] + h * length * length;
            double[] dScores = new double[length];
            for (int i = 0; i < length; i++) {
                int ci = (start + i) * projected + h * dh;
                int row = probs + i * length;
                double weighted = 0;
                for (int j = 0; j < length; j++) {
                    int vj = (start + j) * projected + h * dh;
                    double dp = 0;
                    for (int t = 0; t < dh; t++) {
                        dp += dContext[ci + t] * v[vj + t];
                    }
                    double prob = pass.probabilities[row + j];
                    dScores[j] = dp;
                    weighted += dp * prob;
                    for (int t = 0; t < dh; t++) {
                        dValue[vj + t] += prob * dContext[ci + t];
                    }
                }
                for (int j = 0; j < length; j++) {
                    double ds = pass.probabilities[row + j] * (dScores[j] - weighted) / p.scoreDivisor;
                    if (ds == 0) {
                        continue;
                    }
                    int kj = (start + j) * projected + h * dh;
                    for (int t = 0; t < dh; t++) {
                        dQuery[ci + t] += ds * k[kj + t];
                        dKey[kj + t] += ds * q[ci + t];
                    }
                }
            }
        });
    }

    /**
     * LayerNorm as the export decomposes it: {@code (x - mean) / sqrt(mean((x - mean)^2) + eps) * gain + bias},
     * keeping the normalized values and each row's {@code 1 / sqrt(var + eps)}.
     */
    private static double[] normalize(double[] x, int rows, int width, double epsilon, double[] gain,
            double[] bias, double[] normalized, double[] inverseDeviation) {
        double[] y = new double[rows * width];
        IntStream.range(0, rows).parallel().forEach(r -> {
            int at = r * width;
            double mean = 0;
            for (int j = 0; j < width; j++) {
                mean += x[at + j];
            }
            mean /= width;
            double variance = 0;
            for (int j = 0; j < width; j++) {
                double c = x[at + j] - mean;
                variance += c * c;
            }
            variance /= width;
            double inverse = 1 / Math.sqrt(variance + epsilon);
            inverseDeviation[r] = inverse;
            for (int j = 0; j < width; j++) {
                double z = (x[at + j] - mean) * inverse;
                normalized[at + j] = z;
                y[at + j] = z * gain[j] + bias[j];
            }
        });
        return y;
    }

    private static double[] normalizeBackward(double[] dy, double[] normalized, double[] inverseDeviation,
            int rows, int width, double[] gain, double[][] g, Part gainPart, Part biasPart) {
        double[] dGain = new double[width];
        double[] dBias = new double[width];
        double[] dx = new double[rows * width];
        for (int r = 0; r < rows; r++) {
            int at = r * width;
            double meanDz = 0;
            double meanDzZ = 0;
            for (int j = 0; j < width; j++) {
                double z = normalized[at + j];
                double dz = dy[at + j] * gain[j];
                dGain[j] += dy[at + j] * z;
                dBias[j] += dy[at + j];
                meanDz += dz;
                meanDzZ += dz * z;
            }
            meanDz /= width;
            meanDzZ /= width;
            for (int j = 0; j < width; j++) {
                double dz = dy[at + j] * gain[j];
                dx[at + j] = inverseDeviation[r] * (dz - meanDz - normalized[at + j] * meanDzZ);
            }
        }
        g[gainPart.ordinal()] = dGain;
        g[biasPart.ordinal()] = dBias;
        return dx;
    }
}
