package io.github.onnxprune.prune.calibrate;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelGraph;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A LayerNorm's per-channel scale and shift re-fitted after the layers before it were pruned, so that its output
 * on the calibration rows matches the dense model's: per channel c, the least squares {@code min over g, b of
 * sum over rows (g x_c + b - y_c)^2}, where x is the pruned model's normalised value and y the dense model's
 * LayerNorm output. The normalised value is recovered from the pruned model's output with the current constants
 * ({@code x = (out - shift) / scale}), so the same code serves ONNX's LayerNormalization and the exported
 * decomposition (ReduceMean, Sub, Pow, ..., Div, then Mul by the scale and Add of the shift). Two parameters per
 * channel: nothing for a few thousand rows to over-fit. A general step after any pruning that changes what a
 * LayerNorm reads (weights re-fitted, or units removed).
 */
public final class LayerNormRefit {

    /**
     * One LayerNorm with constant scale and shift of one value per channel.
     *
     * @param name the node that writes the output (the LayerNormalization, or the decomposition's final Add)
     * @param node that node's index in the graph
     * @param output the normalised, scaled and shifted value
     * @param scale the constant scale's name
     * @param shift the constant shift's name
     */
    record Norm(String name, int node, String output, String scale, String shift) {
    }

    /** A re-fitted LayerNorm: its new constants and its relative output error before and after. */
    record Fitted(Map<String, TensorProto> written, int rows, double errorBefore, double errorAfter) {
    }

    private LayerNormRefit() {
    }

    /** The LayerNorms of {@code graph} whose scale and shift are constants of one value per channel, in order. */
    static List<Norm> of(ModelGraph graph) {
        List<Norm> norms = new ArrayList<>();
        List<NodeProto> nodes = graph.nodes();
        for (int i = 0; i < nodes.size(); i++) {
            NodeProto node = nodes.get(i);
            if (node.getOpType().equals("LayerNormalization") && ModelGraph.isDefaultDomain(node.getDomain())
                    && node.getInputCount() == 3 && node.getOutputCount() >= 1
                    && vector(graph, node.getInput(1)) && vector(graph, node.getInput(2))) {
                norms.add(new Norm(node.getName(), i, node.getOutput(0), node.getInput(1), node.getInput(2)));
            } else if (node.getOpType().equals("Add") && node.getInputCount() == 2) {
                decomposed(graph, i).ifPresent(norms::add);
            }
        }
        return norms;
    }

    /** Add(Mul(Div(Sub(x, ReduceMean(x)), ...), scale), shift), either operand order. */
    private static Optional<Norm> decomposed(ModelGraph graph, int addIndex) {
        NodeProto add = graph.nodes().get(addIndex);
        for (int side = 0; side < 2; side++) {
            String shift = add.getInput(1 - side);
            Optional<Integer> mulIndex = graph.producer(add.getInput(side));
            if (!vector(graph, shift) || mulIndex.isEmpty()) {
                continue;
            }
            NodeProto mul = graph.nodes().get(mulIndex.get());
            if (!mul.getOpType().equals("Mul") || mul.getInputCount() != 2) {
                continue;
            }
            for (int m = 0; m < 2; m++) {
                String scale = mul.getInput(1 - m);
                Optional<Integer> div = graph.producer(mul.getInput(m));
                if (vector(graph, scale) && div.isPresent() && opType(graph, div.get()).equals("Div")) {
                    Optional<Integer> sub = graph.producer(graph.nodes().get(div.get()).getInput(0));
                    if (sub.isPresent() && opType(graph, sub.get()).equals("Sub")) {
                        Optional<Integer> mean = graph.producer(graph.nodes().get(sub.get()).getInput(1));
                        if (mean.isPresent() && opType(graph, mean.get()).equals("ReduceMean")) {
                            return Optional.of(new Norm(add.getName(), addIndex, add.getOutput(0), scale, shift));
                        }
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static String opType(ModelGraph graph, int index) {
        return graph.nodes().get(index).getOpType();
    }

    private static boolean vector(ModelGraph graph, String name) {
        return graph.constant(name).filter(c -> c.tensor().getDataType() == TensorProto.DataType.FLOAT_VALUE
                && c.tensor().getDimsCount() == 1).isPresent();
    }

    /**
     * The post-step on its own: every LayerNorm of {@code pruned} (a pruned copy of {@code dense} with the same
     * LayerNorms) re-fitted in graph order, each on the model with the ones before it re-fitted; the fits are
     * added to {@code reports} and logged.
     */
    public static ModelProto refitAll(ModelProto dense, ModelProto pruned, ActivationCollector collector,
            List<LayerReconstruction> reports, Consumer<String> progress) {
        long started = System.nanoTime();
        ModelProto current = pruned;
        try (StagedActivations currentValues = new StagedActivations(collector);
                StagedActivations denseValues = new StagedActivations(collector)) {
            for (Norm norm : of(ModelGraph.of(dense))) {
                current = refit(norm, current, dense, currentValues, denseValues, collector, reports, progress,
                        started);
            }
        }
        return current;
    }

    /**
     * {@code current} with {@code norm}'s scale and shift re-fitted to the dense model's output on the masked
     * calibration rows; the fit is added to {@code reports} and logged. Kept values computed from the old
     * constants are dropped from {@code currentValues}.
     */
    static ModelProto refit(Norm norm, ModelProto current, ModelProto dense, StagedActivations currentValues,
            StagedActivations denseValues, ActivationCollector collector, List<LayerReconstruction> reports,
            Consumer<String> progress, long started) {
        StagedValue is = currentValues.value(current, norm.output());
        StagedValue was = denseValues.value(dense, norm.output());
        ModelGraph graph = ModelGraph.of(current);
        Fitted fitted = is.isFloat() && was.isFloat()
                ? fit(norm, graph, is, was, collector.keptPositions(is.shape())) : null;
        if (fitted == null) {
            return current;
        }
        LayerReconstruction report = new LayerReconstruction(norm.name(), "LayerNorm", "scale and shift", "",
                fitted.rows(), fitted.errorBefore(), fitted.errorAfter());
        reports.add(report);
        progress.accept(String.format(java.util.Locale.ROOT, "LayerNorm %s: %s; %.1f s elapsed", norm.name(),
                report.summary(), (System.nanoTime() - started) / 1e9));
        fitted.written().keySet().forEach(currentValues::changed);
        return graph.withConstants(fitted.written());
    }

    /**
     * Fits {@code norm} in {@code graph} (the pruned model so far) from its output there, {@code current}, and
     * the dense model's, {@code dense}, on the rows {@code positions} (the masked rows, or all when null).
     */
    static Fitted fit(Norm norm, ModelGraph graph, StagedValue current, StagedValue dense, int[] positions) {
        FloatTensor scale = FloatTensor.of(graph.constant(norm.scale()).orElseThrow().tensor());
        FloatTensor shift = FloatTensor.of(graph.constant(norm.shift()).orElseThrow().tensor());
        int channels = scale.size();
        long[] shape = current.shape();
        if (shape[shape.length - 1] != channels || shift.size() != channels) {
            return null;
        }
        long elements = 1;
        for (long dimension : shape) {
            elements *= dimension;
        }
        int rows = positions != null ? positions.length : (int) (elements / channels);
        double[] g = new double[channels];
        double[] b = new double[channels];
        for (int c = 0; c < channels; c++) {
            g[c] = scale.get(c);
            b[c] = shift.get(c);
        }
        // Per channel: sums of x, y, x^2, x y, y^2 over the rows.
        double[][] sums = new double[5][channels];
        float[] out = new float[channels];
        float[] target = new float[channels];
        StagedValue.Elements is = current.elements();
        StagedValue.Elements was = dense.elements();
        for (int r = 0; r < rows; r++) {
            long start = (long) (positions != null ? positions[r] : r) * channels;
            is.release(start);
            was.release(start);
            is.get(start, out, 0, channels);
            was.get(start, target, 0, channels);
            for (int c = 0; c < channels; c++) {
                double x = g[c] != 0 ? (out[c] - b[c]) / g[c] : 0;
                double y = target[c];
                sums[0][c] += x;
                sums[1][c] += y;
                sums[2][c] += x * x;
                sums[3][c] += x * y;
                sums[4][c] += y * y;
            }
        }
        double before = 0;
        double after = 0;
        double reference = 0;
        double[] fittedScale = g.clone();
        double[] fittedShift = b.clone();
        for (int c = 0; c < channels; c++) {
            double variance = sums[2][c] - sums[0][c] * sums[0][c] / rows;
            if (g[c] != 0 && variance > 1e-12 * Math.max(sums[2][c], Double.MIN_NORMAL)) {
                fittedScale[c] = (sums[3][c] - sums[0][c] * sums[1][c] / rows) / variance;
                fittedShift[c] = (sums[1][c] - fittedScale[c] * sums[0][c]) / rows;
            }
            before += squared(sums, c, rows, g[c], b[c]);
            after += squared(sums, c, rows, fittedScale[c], fittedShift[c]);
            reference += sums[4][c];
        }
        return new Fitted(Map.of(norm.scale(), scale.withValues(fittedScale), norm.shift(),
                shift.withValues(fittedShift)), rows, before / reference, after / reference);
    }

    /** {@code sum over rows (a x + b - y)^2} of channel c from its sums. */
    private static double squared(double[][] s, int c, int rows, double a, double b) {
        return Math.max(0, a * a * s[2][c] + 2 * a * b * s[0][c] + rows * b * b - 2 * a * s[3][c] - 2 * b * s[1][c]
                + s[4][c]);
    }
}
