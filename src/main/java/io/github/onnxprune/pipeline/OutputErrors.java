package io.github.onnxprune.pipeline;

import ai.onnx.proto.OnnxMl.NodeProto;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.eval.TensorKind;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.onnx.NodeAttributes;
import io.github.onnxprune.onnx.NodeInput;
import io.github.onnxprune.prune.SmallestMagnitudes;
import io.github.onnxprune.prune.Sparsity;
import io.github.onnxprune.prune.calibrate.ActivationCollector;
import io.github.onnxprune.search.SensitivityProfile;
import io.github.onnxprune.search.TensorGroup;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The sensitivity profile's cheap signal: for each group and level, the relative squared output error
 * {@code sum (X (W - W_s))^2 / sum (X W)^2} of its layers pruned alone by plain magnitude (the same measure as
 * the re-fit's {@code errorBefore}, here on the dense model's inputs), summed over the group's tensors. One run of
 * the dense model on the first {@link #SAMPLES} samples collects every layer's input; the rest is arithmetic on
 * at most {@link #ROWS} of its rows, no model run per level. A tensor read other than as the constant right
 * operand of one MatMul or Gemm (a Conv kernel, an embedding table) has no signal, nor has its group: those are
 * measured.
 */
final class OutputErrors {

    /** How many samples the layers' inputs are collected on. */
    static final int SAMPLES = 64;

    /** The most input rows (tokens, or samples) an error is computed on, evenly spread. */
    static final int ROWS = 256;

    private OutputErrors() {
    }

    /**
     * The signal of every group of {@code groups} (first index) at every {@link SensitivityProfile#LEVELS} level
     * (second), NaN for a group with a tensor that has none.
     */
    static double[][] of(ModelGraph graph, List<TensorGroup> groups, OnnxRuntimeEvaluator runtime,
            ValidationData data, int batchSize, String maskInput) {
        Map<String, Layer> layers = new HashMap<>();
        Set<String> inputs = new LinkedHashSet<>();
        for (TensorGroup group : groups) {
            for (String tensor : group.tensors()) {
                Layer layer = Layer.of(graph, tensor);
                if (layer != null) {
                    layers.put(tensor, layer);
                    inputs.add(layer.input());
                }
            }
        }
        double[][] signals = new double[groups.size()][SensitivityProfile.LEVELS.size()];
        for (double[] row : signals) {
            Arrays.fill(row, Double.NaN);
        }
        if (layers.isEmpty()) {
            return signals;
        }
        ActivationCollector collector = new ActivationCollector(runtime, data, SAMPLES, batchSize, maskInput);
        Map<String, Tensor> values = collector.collect(graph.model(), List.copyOf(inputs));
        Map<String, double[][]> rows = new HashMap<>();
        for (String input : inputs) {
            rows.put(input, columns(collector.maskedRows(values.get(input))));
        }
        for (int g = 0; g < groups.size(); g++) {
            double[] sum = new double[SensitivityProfile.LEVELS.size()];
            for (String tensor : groups.get(g).tensors()) {
                Layer layer = layers.get(tensor);
                double[][] x = layer == null ? null : rows.get(layer.input());
                double[] errors = x == null || x.length != layer.inputs() ? null : layer.errors(x);
                for (int l = 0; l < sum.length; l++) {
                    sum[l] += errors == null ? Double.NaN : errors[l];
                }
            }
            signals[g] = sum;
        }
        return signals;
    }

    /**
     * The rows of a {@code [rows, features]} float activation (or {@code [samples, positions, features]}, every
     * position a row), at most {@link #ROWS} of them evenly spread, as one array per feature; null for any other
     * shape.
     */
    static double[][] columns(Tensor activation) {
        long[] shape = activation.shape();
        if (activation.elementType() != TensorKind.FLOAT || shape.length < 2 || shape.length > 3) {
            return null;
        }
        int features = (int) shape[shape.length - 1];
        int count = features == 0 ? 0 : activation.elementCount() / features;
        int kept = Math.min(ROWS, count);
        double[][] columns = new double[features][kept];
        FloatBuffer view = activation.floatView();
        for (int r = 0; r < kept; r++) {
            int row = (int) ((long) r * count / kept);
            for (int f = 0; f < features; f++) {
                columns[f][r] = view.get(row * features + f);
            }
        }
        return columns;
    }

    /**
     * A weight read as the constant right operand of exactly one MatMul or Gemm (not transposing its input).
     *
     * @param input the value it multiplies
     * @param weights its values in C order
     * @param magnitudes their magnitudes as plain pruning ranks them ({@link FloatTensor#magnitudes})
     * @param inputs K, the features it reads
     * @param outputs N, the units it writes
     * @param transposed whether the weight is stored {@code [N, K]} (Gemm with transB)
     */
    private record Layer(String input, double[] weights, float[] magnitudes, int inputs, int outputs,
            boolean transposed) {

        static Layer of(ModelGraph graph, String tensor) {
            List<NodeInput> consumers = graph.consumers(tensor);
            if (consumers.size() != 1 || consumers.get(0).inputIndex() != 1) {
                return null;
            }
            NodeProto node = consumers.get(0).node();
            boolean gemm = node.getOpType().equals("Gemm") && ModelGraph.isDefaultDomain(node.getDomain());
            boolean matMul = node.getOpType().equals("MatMul") && ModelGraph.isDefaultDomain(node.getDomain());
            if (!gemm && !matMul || gemm && NodeAttributes.intValue(node, "transA", 0) != 0) {
                return null;
            }
            FloatTensor weight = graph.constant(tensor).filter(c -> FloatTensor.isSupported(c.tensor()))
                    .map(c -> FloatTensor.of(c.tensor())).orElse(null);
            if (weight == null || weight.dims().length != 2) {
                return null;
            }
            boolean transposed = gemm && NodeAttributes.intValue(node, "transB", 0) != 0;
            long[] dims = weight.dims();
            return new Layer(node.getInput(0), weight.values(), weight.magnitudes(), (int) dims[transposed ? 1 : 0],
                    (int) dims[transposed ? 0 : 1], transposed);
        }

        /**
         * The relative output error at each level on the rows {@code x} (one array per input feature): each
         * level's weights are those plain pruning removes ({@link SmallestMagnitudes}, ties by position), a superset
         * of the last level's, so its error adds the newly removed weights' products to the last level's.
         */
        double[] errors(double[][] x) {
            int rows = x.length == 0 ? 0 : x[0].length;
            double[][] out = new double[outputs][rows];
            for (int k = 0; k < inputs; k++) {
                for (int n = 0; n < outputs; n++) {
                    add(out[n], x[k], weights[index(k, n)]);
                }
            }
            double energy = squares(out);
            boolean[] gone = new boolean[weights.length];
            double[][] removed = new double[outputs][rows];
            double[] errors = new double[SensitivityProfile.LEVELS.size()];
            for (int l = 0; l < errors.length; l++) {
                long count = Sparsity.countToRemove(SensitivityProfile.LEVELS.get(l), weights.length);
                for (int i : SmallestMagnitudes.select(magnitudes, (int) count)) {
                    if (!gone[i]) {
                        gone[i] = true;
                        int k = transposed ? i % inputs : i / outputs;
                        int n = transposed ? i / inputs : i % outputs;
                        add(removed[n], x[k], weights[i]);
                    }
                }
                errors[l] = energy == 0 ? Double.NaN : squares(removed) / energy;
            }
            return errors;
        }

        private int index(int k, int n) {
            return transposed ? n * inputs + k : k * outputs + n;
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
}
