package io.github.onnxprune.prune.nodes;

/**
 * A value inside an attention block whose units are split into heads: the projection's columns, reshaped from
 * {@code [..., heads * dim]} to {@code [..., heads, dim]} and moved around by Transpose and MatMul.
 *
 * @param columns the projection output's layout (its units are the columns, removed a head at a time)
 * @param rank the value's rank
 * @param headAxis the axis that holds the heads
 * @param dimAxis the axis holding each head's features, or -1 once they are contracted (attention scores)
 */
record HeadLayout(Layout columns, int rank, int headAxis, int dimAxis) {

    boolean isUnitAxis(int axis) {
        return axis == headAxis || axis == dimAxis;
    }
}
