package io.github.onnxprune.prune.calibrate;

import io.github.onnxprune.eval.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the real tokens of padded calibration sentences are, when every sentence's mask is a run of ones from its
 * first token ({@code [samples, tokens]}, padding at the end): a token sequence value is then kept as its real
 * tokens' rows only, in sample and token order (the rows {@link ActivationCollector#keptPositions} picks), and
 * ONNX Runtime computes it in batches of sentences of similar length cut to their longest. On MiniLM's 2800
 * calibration sentences (55,936 real tokens padded to 60: 168,000 positions) that is a third of the positions.
 *
 * @param tokens the padded length, the samples' second dimension
 * @param lengths each sample's real tokens
 * @param rowStarts the first row of each sample among all samples' real tokens, and their total last
 */
record TokenRows(int tokens, int[] lengths, long[] rowStarts) {

    /** The layout of a mask's elements ({@code [samples, tokens]}, C order), or null when one is not a prefix. */
    static TokenRows of(int samples, int tokens, java.util.function.IntToLongFunction mask) {
        int[] lengths = new int[samples];
        long[] starts = new long[samples + 1];
        for (int s = 0; s < samples; s++) {
            int length = 0;
            while (length < tokens && mask.applyAsLong(s * tokens + length) != 0) {
                length++;
            }
            for (int t = length; t < tokens; t++) {
                if (mask.applyAsLong(s * tokens + t) != 0) {
                    return null;
                }
            }
            lengths[s] = length;
            starts[s + 1] = starts[s] + length;
        }
        return new TokenRows(tokens, lengths, starts);
    }

    /** Real tokens of samples {@code from} to {@code to} (exclusive). */
    int rows(int from, int to) {
        return (int) (rowStarts[to] - rowStarts[from]);
    }

    /**
     * The batches ONNX Runtime runs samples {@code from} to {@code to} in: ordered by length (then by index), in
     * groups of {@code batchSize}, so each is cut to a length close to all of its sentences'. The same samples
     * and batch size always give the same batches.
     */
    List<int[]> batches(int from, int to, int batchSize) {
        Integer[] order = new Integer[to - from];
        for (int i = 0; i < order.length; i++) {
            order[i] = from + i;
        }
        java.util.Arrays.sort(order, (a, b) -> lengths[a] != lengths[b] ? Integer.compare(lengths[a], lengths[b])
                : Integer.compare(a, b));
        List<int[]> batches = new ArrayList<>();
        for (int start = 0; start < order.length; start += batchSize) {
            int[] batch = new int[Math.min(batchSize, order.length - start)];
            for (int i = 0; i < batch.length; i++) {
                batch[i] = order[start + i];
            }
            batches.add(batch);
        }
        return batches;
    }

    /** The longest of these samples, at least one token (ONNX Runtime runs no empty sequence). */
    int longest(int[] samples) {
        int longest = 1;
        for (int s : samples) {
            longest = Math.max(longest, lengths[s]);
        }
        return longest;
    }

    /**
     * The real tokens' rows of {@code samples} laid out padded, {@code [samples.length, length, width]} with
     * padding zero: {@code rows} holds {@code width} floats per row from row {@code firstRow} of all samples'.
     */
    Tensor padded(java.nio.FloatBuffer rows, long firstRow, int[] samples, int length, int width) {
        float[] padded = new float[samples.length * length * width];
        for (int i = 0; i < samples.length; i++) {
            int row = (int) (rowStarts[samples[i]] - firstRow);
            rows.get(row * width, padded, i * length * width, lengths[samples[i]] * width);
        }
        return Tensor.ofFloats(new long[] {samples.length, length, width}, padded);
    }

    /**
     * The row among all real tokens of the first real token at or after padded position {@code position}
     * ({@code sample * tokens + token}); {@code rowStarts} of the next sample when the rest of it is padding.
     */
    long rowAtOrAfter(long position) {
        int sample = (int) (position / tokens);
        if (sample >= lengths.length) {
            return rowStarts[lengths.length];
        }
        int token = (int) (position % tokens);
        return rowStarts[sample] + Math.min(token, lengths[sample]);
    }

    /** The row of padded position {@code position}, or -1 when it is padding. */
    long rowOf(long position) {
        int sample = (int) (position / tokens);
        int token = (int) (position % tokens);
        return token < lengths[sample] ? rowStarts[sample] + token : -1;
    }
}
