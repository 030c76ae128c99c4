package io.github.onnxprune.pipeline;

import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.eval.TensorKind;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.prune.calibrate.ActivationCollector;
import io.github.onnxprune.prune.calibrate.MagnitudeErrors;
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
 * at most {@link #ROWS} of its rows, no model run per level ({@link MagnitudeErrors}). A tensor read other than
 * as the constant right operand of one MatMul or Gemm (a Conv kernel, an embedding table) has no signal, nor has
 * its group: those are measured.
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
        Map<String, MagnitudeErrors> layers = new HashMap<>();
        Set<String> inputs = new LinkedHashSet<>();
        for (TensorGroup group : groups) {
            for (String tensor : group.tensors()) {
                MagnitudeErrors layer = MagnitudeErrors.of(graph, tensor);
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
                MagnitudeErrors layer = layers.get(tensor);
                double[][] x = layer == null ? null : rows.get(layer.input());
                double[] errors = x == null || x.length != layer.features() ? null
                        : layer.at(SensitivityProfile.LEVELS, x);
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
}
