package io.github.onnxprune.prune.distill;

/**
 * The parameters of one BERT encoder block as plain arrays, weights in ONNX MatMul layout ({@code [inputs,
 * outputs]}, row-major), with a mask per weight matrix: a weight whose mask is false is a pruned zero and stays
 * zero. Heads and feed-forward units may be any count (node pruning leaves fewer); the head size stays.
 */
final class BlockParameters {

    /** Every array of a block, in the order the ONNX graph computes with them. */
    enum Part {
        QUERY_WEIGHT, QUERY_BIAS, KEY_WEIGHT, KEY_BIAS, VALUE_WEIGHT, VALUE_BIAS, OUTPUT_WEIGHT, OUTPUT_BIAS,
        ATTENTION_NORM_GAIN, ATTENTION_NORM_BIAS, INTERMEDIATE_WEIGHT, INTERMEDIATE_BIAS, FFN_OUTPUT_WEIGHT,
        FFN_OUTPUT_BIAS, OUTPUT_NORM_GAIN, OUTPUT_NORM_BIAS;

        /** Whether this is a weight matrix (masked), as against a vector. */
        boolean matrix() {
            return this == QUERY_WEIGHT || this == KEY_WEIGHT || this == VALUE_WEIGHT || this == OUTPUT_WEIGHT
                    || this == INTERMEDIATE_WEIGHT || this == FFN_OUTPUT_WEIGHT;
        }
    }

    static final int PARTS = Part.values().length;

    final int width;
    final int heads;
    final int headSize;
    final int hidden;
    /** What the attention scores are divided by. */
    final double scoreDivisor;
    final double attentionEpsilon;
    final double outputEpsilon;
    final double[][] values = new double[PARTS][];
    /** Per matrix part, true where the weight may move; null for vectors. */
    final boolean[][] masks = new boolean[PARTS][];

    BlockParameters(int width, int heads, int headSize, int hidden, double scoreDivisor, double attentionEpsilon,
            double outputEpsilon) {
        this.width = width;
        this.heads = heads;
        this.headSize = headSize;
        this.hidden = hidden;
        this.scoreDivisor = scoreDivisor;
        this.attentionEpsilon = attentionEpsilon;
        this.outputEpsilon = outputEpsilon;
    }

    /** The number of elements of {@code part}. */
    int size(Part part) {
        int projected = heads * headSize;
        return switch (part) {
            case QUERY_WEIGHT, KEY_WEIGHT, VALUE_WEIGHT, OUTPUT_WEIGHT -> width * projected;
            case QUERY_BIAS, KEY_BIAS, VALUE_BIAS -> projected;
            case INTERMEDIATE_WEIGHT, FFN_OUTPUT_WEIGHT -> width * hidden;
            case INTERMEDIATE_BIAS -> hidden;
            default -> width;
        };
    }

    double[] get(Part part) {
        return values[part.ordinal()];
    }

    /** Sets {@code part}'s values and, for a matrix, its mask from where they are non-zero. */
    void set(Part part, double[] data) {
        if (data.length != size(part)) {
            throw new IllegalArgumentException(part + " needs " + size(part) + " values, got " + data.length);
        }
        values[part.ordinal()] = data;
        if (part.matrix()) {
            boolean[] mask = new boolean[data.length];
            for (int i = 0; i < data.length; i++) {
                mask[i] = data[i] != 0;
            }
            masks[part.ordinal()] = mask;
        }
    }

    /** A deep copy (values and masks). */
    BlockParameters copy() {
        BlockParameters copy = new BlockParameters(width, heads, headSize, hidden, scoreDivisor, attentionEpsilon,
                outputEpsilon);
        for (int i = 0; i < PARTS; i++) {
            copy.values[i] = values[i].clone();
            copy.masks[i] = masks[i] == null ? null : masks[i].clone();
        }
        return copy;
    }

    /** Weights this block may move, masked ones excluded. */
    long freeParameters() {
        long count = 0;
        for (Part part : Part.values()) {
            boolean[] mask = masks[part.ordinal()];
            if (mask == null) {
                count += values[part.ordinal()].length;
            } else {
                for (boolean free : mask) {
                    count += free ? 1 : 0;
                }
            }
        }
        return count;
    }
}
