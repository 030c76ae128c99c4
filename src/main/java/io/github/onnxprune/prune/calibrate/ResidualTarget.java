package io.github.onnxprune.prune.calibrate;

import ai.onnx.proto.OnnxMl.NodeProto;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.onnx.NodeInput;

/**
 * The target of a layer that writes into a residual stream ({@code MatMul -> Add bias -> Add residual}, as a
 * transformer block's attention output projection and second feed-forward layer do): not the original layer's
 * output alone but the original sum less the pruned model's residual, {@code y_orig + r_orig - r_now}, so that
 * the stream after the Add matches the original's and the error earlier layers left in it is corrected here
 * instead of carried on. It is expressed as extra input columns {@code r_orig - r_now} read through an identity
 * matrix, so the least-squares fit, the mean compensation and the held-back judgement take it unchanged.
 */
final class ResidualTarget {

    private ResidualTarget() {
    }

    /**
     * The residual value added to {@code layer}'s biased output, or null when the layer is not a MatMul followed
     * by an Add of a constant bias and then an Add of a computed value of the same width.
     */
    static String residualOf(ModelGraph graph, LinearLayer layer) {
        if (!layer.opType().equals("MatMul")) {
            return null;
        }
        NodeInput biasAdd = LinearLayer.matMulBiasAdd(graph, layer.node(), layer.outputs());
        if (biasAdd == null) {
            return null;
        }
        String sum = biasAdd.node().getOutput(0);
        var readers = graph.consumers(sum);
        if (readers.size() != 1 || graph.graphOutputs().contains(sum)) {
            return null;
        }
        NodeProto add = readers.get(0).node();
        int index = readers.get(0).inputIndex();
        if (!add.getOpType().equals("Add") || add.getInputCount() != 2 || index < 0
                || !ModelGraph.isDefaultDomain(add.getDomain())) {
            return null;
        }
        String other = add.getInput(1 - index);
        return graph.constant(other).isPresent() ? null : other;
    }

    /**
     * {@code original - now}, element by element (the same rows of the original and the pruned model's residual),
     * or null when either is missing or their sizes differ.
     */
    static Features correction(Features original, Features now) {
        if (original == null || now == null || original.rows() != now.rows() || original.cols() != now.cols()) {
            return null;
        }
        float[] a = original.data();
        float[] b = now.data();
        float[] d = new float[a.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = a[i] - b[i];
        }
        return new Features(d, original.rows(), original.cols());
    }

    /** The layer's input rows followed by the correction's, row by row. */
    static Features withColumns(Features input, Features correction) {
        int cols = input.cols() + correction.cols();
        float[] data = new float[input.rows() * cols];
        for (int r = 0; r < input.rows(); r++) {
            System.arraycopy(input.data(), r * input.cols(), data, r * cols, input.cols());
            System.arraycopy(correction.data(), r * correction.cols(), data, r * cols + input.cols(),
                    correction.cols());
        }
        return new Features(data, input.rows(), cols);
    }

    /** {@code m} ({@code features x outputs}) with an identity below it: the correction passes through as is. */
    static double[] withIdentity(double[] m, int features, int outputs) {
        double[] out = java.util.Arrays.copyOf(m, (features + outputs) * outputs);
        for (int j = 0; j < outputs; j++) {
            out[(features + j) * outputs + j] = 1.0;
        }
        return out;
    }
}
