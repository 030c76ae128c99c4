package io.github.onnxprune.prune.calibrate;

import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.onnx.NodeInput;
import io.github.onnxprune.prune.SmallestMagnitudes;
import io.github.onnxprune.prune.Sparsity;
import java.util.List;

/**
 * A MatMul or Gemm layer's relative output error {@code sum (X (W - W_s))^2 / sum (X W)^2} when plain magnitude
 * pruning alone removes a share of its weights: the re-fit's {@code errorBefore} without a re-fit, on rows the
 * caller collects. The layer is read as the re-fit reads it ({@link LinearLayer}: canonical
 * {@code features x outputs}, Gemm's transB and alpha); the weights removed at each share are those plain pruning
 * removes, chosen in the weight's stored order ({@link SmallestMagnitudes} over {@link FloatTensor#magnitudes}).
 */
public final class MagnitudeErrors {

    private final LinearLayer layer;
    private final FloatTensor weight;

    private MagnitudeErrors(LinearLayer layer, FloatTensor weight) {
        this.layer = layer;
        this.weight = weight;
    }

    /**
     * The layer {@code tensor} is the weight of, when it is read as the constant right operand of exactly one
     * MatMul or Gemm (not transposing its input); null otherwise (a Conv kernel, an embedding table, a shared
     * weight).
     */
    public static MagnitudeErrors of(ModelGraph graph, String tensor) {
        List<NodeInput> consumers = graph.consumers(tensor);
        if (consumers.size() != 1 || consumers.get(0).inputIndex() != 1) {
            return null;
        }
        LinearLayer layer = LinearLayer.of(graph, consumers.get(0).nodeIndex());
        if (layer == null || !layer.opType().equals("MatMul") && !layer.opType().equals("Gemm")) {
            return null;
        }
        return new MagnitudeErrors(layer, LinearLayer.floatConstant(graph, tensor));
    }

    /** The value the layer multiplies. */
    public String input() {
        return layer.input();
    }

    /** K, the features it reads. */
    public int features() {
        return layer.features();
    }

    /**
     * The relative output error at each of {@code levels} (shares of the weights removed, rising) on the rows
     * {@code x} (one array per input feature): each level's removed weights are a superset of the last level's,
     * so its error adds the newly removed weights' products to the last level's.
     */
    public double[] at(List<Double> levels, double[][] x) {
        int inputs = layer.features();
        int outputs = layer.outputs();
        double[] m = layer.canonical(weight);
        int rows = x.length == 0 ? 0 : x[0].length;
        double[][] out = new double[outputs][rows];
        for (int k = 0; k < inputs; k++) {
            for (int n = 0; n < outputs; n++) {
                add(out[n], x[k], m[k * outputs + n]);
            }
        }
        double energy = squares(out);
        // The stored layout is [N, K] when outputs are the weight's first axis (Gemm with transB), else [K, N].
        boolean outputsFirst = layer.outputAxis() == 0;
        boolean[] gone = new boolean[m.length];
        double[][] removed = new double[outputs][rows];
        double[] errors = new double[levels.size()];
        float[] magnitudes = weight.magnitudes();
        for (int l = 0; l < errors.length; l++) {
            long count = Sparsity.countToRemove(levels.get(l), m.length);
            for (int i : SmallestMagnitudes.select(magnitudes, (int) count)) {
                if (!gone[i]) {
                    gone[i] = true;
                    int k = outputsFirst ? i % inputs : i / outputs;
                    int n = outputsFirst ? i / inputs : i % outputs;
                    add(removed[n], x[k], m[k * outputs + n]);
                }
            }
            errors[l] = energy == 0 ? Double.NaN : squares(removed) / energy;
        }
        return errors;
    }

    private static void add(double[] sum, double[] column, double weight) {
        if (weight == 0) {
            return;
        }
        for (int r = 0; r < sum.length; r++) {
            sum[r] += weight * column[r];
        }
    }

    private static double squares(double[][] values) {
        double sum = 0;
        for (double[] row : values) {
            for (double value : row) {
                sum += value * value;
            }
        }
        return sum;
    }
}
