package io.github.onnxprune.prune.calibrate;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.prune.nodes.NodePruningResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Compensates the layers that read removed units, after node pruning, from calibration activations, so that
 * each such layer's output matches the original model's as closely as its remaining inputs allow (ThiNet-style
 * least-squares reconstruction of the next layer).
 *
 * <p>For each Gemm, MatMul or 2-D Conv whose input lost units, in graph order: the target is the original layer's
 * output on the original model's activations, {@code T = X_orig M + b} (for a MatMul that adds into a residual stream,
 * that plus the original residual less the pruned model's: {@link ResidualTarget}); the regressors are the layer's
 * remaining inputs in the model compensated so far (so errors of earlier layers are corrected, not compounded) plus a
 * constant column that becomes the bias. The fit is ridge least squares pulled toward the pruned weights with the
 * removed units' mean contribution folded into the bias ({@code b + sum_u mean(a_u) W[u]}), which is exact for units
 * whose activation is constant. Conv rows are im2col patches, with zeros in the padding exactly as the convolution
 * reads them. A layer with more input features than {@link Options#maxFeatures} gets only that mean compensation; a
 * layer without a bias it may change (a MatMul without a following Add of a constant) is fitted without one. Which
 * units each layer kept is read from node pruning's record of the slices it took ({@link NodePruningResult#kept}).
 * Token activations {@code [samples, tokens, features]} of models with an {@code attention_mask} input contribute only
 * the positions the mask keeps ({@link ActivationCollector#maskedRows}). Inputs are collected stage by stage ({@link
 * StagedActivations}) and only the rows a fit reads are kept from them: the heap holds one layer's rows and, when it
 * has room, the values a later stage still reads, never every layer's input at once.
 */
public final class NodeCompensation {

    private NodeCompensation() {
    }

    /**
     * Limits and regularisation.
     *
     * @param ridge ridge strength relative to the mean diagonal of the Gram matrix
     * @param maxFeatures largest number of remaining input features (Conv: channels times kernel size) fitted
     *     by least squares; wider layers are only mean-compensated, which keeps big models from stalling
     * @param maxRows most calibration rows per layer (Conv and 3-D MatMul rows are positions), evenly spread
     * @param holdBack every {@code holdBack}-th calibration row is held back from a first fit to judge it (0:
     *     none): the layer keeps whichever of the plain pruned weights, the mean-compensated bias and that fit
     *     has the least output error on those rows; a fit that wins is made again on all rows. The plugin
     *     always holds back every 5th; other values stay settable because the guard is measured by turning it
     *     off or changing its period (benchmarks' {@code -DholdBack}; when it came, 61b24ad, MiniLM's
     *     2048-row global run went from pooled cosine 0.7529 without it to 0.8936)
     * @param residual a MatMul whose output (after its bias) is added to a residual stream is fitted to the
     *     original sum less the pruned model's residual, so it also corrects what earlier layers left in that
     *     stream ({@link ResidualTarget})
     * @param sequenceRidge the ridge strength of a layer reading token sequences ({@code [samples, tokens,
     *     features]}, as a transformer's layers do), in place of {@code ridge}
     */
    public record Options(double ridge, int maxFeatures, int maxRows, int holdBack, boolean residual,
            double sequenceRidge) {

        /** The ridge the default options give a layer reading token sequences. */
        public static final double SEQUENCE_RIDGE = 0.05;

        /** The options with {@code ridge} for every layer, token sequences included. */
        public Options(double ridge, int maxFeatures, int maxRows, int holdBack, boolean residual) {
            this(ridge, maxFeatures, maxRows, holdBack, residual, ridge);
        }

        /**
         * Ridge 1e-3 (0.05 for token sequences), 2048 features, 8192 rows, every 5th row held back, the residual
         * stream as target.
         */
        public static Options defaults() {
            return new Options(1e-3, 2048, 8192, 5, true, SEQUENCE_RIDGE);
        }

        /** These options with at most {@code rows} calibration rows per layer. */
        public Options withMaxRows(int rows) {
            return new Options(ridge, maxFeatures, rows, holdBack, residual, sequenceRidge);
        }

        /** These options with another ridge for layers reading token sequences. */
        public Options withSequenceRidge(double strength) {
            return new Options(ridge, maxFeatures, maxRows, holdBack, residual, strength);
        }
    }

    /** The compensated model and what happened per layer. */
    public record Result(ModelProto model, List<LayerReconstruction> layers) {

        public Result {
            layers = List.copyOf(layers);
        }
    }

    /** Compensates {@code nodes}' model, a node-pruned copy of {@code original}, on the collector's samples. */
    public static Result compensate(ModelProto original, NodePruningResult nodes, ActivationCollector collector,
            Options options) {
        return compensate(original, nodes, collector, options, line -> { });
    }

    /**
     * As {@link #compensate(ModelProto, NodePruningResult, ActivationCollector, Options)}, with a line to
     * {@code progress} per compensated layer (k of n, elapsed, an estimate of what is left).
     */
    public static Result compensate(ModelProto original, NodePruningResult nodes, ActivationCollector collector,
            Options options, Consumer<String> progress) {
        return compensate(original, nodes, collector, options, progress, Runtime.getRuntime().maxMemory());
    }

    /**
     * As {@link #compensate(ModelProto, NodePruningResult, ActivationCollector, Options, Consumer)} with a heap of
     * {@code heapBytes}, which decides how calibration values are held ({@link RefitLayers#wholeValues}): whole on
     * the heap, or in parts in scratch files. Both give the same model, byte for byte.
     */
    static Result compensate(ModelProto original, NodePruningResult nodes, ActivationCollector collector,
            Options options, Consumer<String> progress, long heapBytes) {
        ModelProto pruned = nodes.model();
        if (pruned == original) {
            return new Result(pruned, List.of());
        }
        ModelGraph before = ModelGraph.of(original);
        ModelGraph after = ModelGraph.of(pruned);
        if (before.nodes().size() != after.nodes().size()) {
            throw new IllegalArgumentException("the pruned model has a different number of nodes");
        }
        List<Integer> consumers = new ArrayList<>();
        Map<Integer, String> residuals = new LinkedHashMap<>();
        for (int n = 0; n < before.nodes().size(); n++) {
            LinearLayer was = LinearLayer.of(before, n);
            LinearLayer is = LinearLayer.of(after, n);
            if (was != null && is != null && is.units() < was.units()) {
                consumers.add(n);
                String residual = options.residual() ? ResidualTarget.residualOf(before, was) : null;
                if (residual != null) {
                    residuals.put(n, residual);
                }
            }
        }
        if (consumers.isEmpty()) {
            return new Result(pruned, List.of());
        }
        ModelProto current = pruned;
        List<LayerReconstruction> reports = new ArrayList<>();
        long started = System.nanoTime();
        // Each layer's inputs are collected stage by stage, in graph order, from the values already known: the
        // original model's never change, the compensated model's only after the layer just fitted. Only the
        // rows a fit reads are kept from them; a value is kept (on a small heap, in scratch files) only until
        // the stages reading it have run.
        boolean whole = RefitLayers.wholeValues(before, consumers, collector, heapBytes);
        try (StagedActivations originalValues = new StagedActivations(collector, whole);
                StagedActivations currentValues = new StagedActivations(collector, whole)) {
            for (int n : consumers) {
                ModelGraph graph = ModelGraph.of(current);
                LinearLayer was = LinearLayer.of(before, n);
                LinearLayer is = LinearLayer.of(graph, n);
                String residual = residuals.get(n);
                Features correction = null;
                if (residual != null) {
                    Features then = Features.of(was, originalValues.value(original, residual), collector,
                            was.outputs(), options.maxRows());
                    Features now = Features.of(is, currentValues.value(current, residual), collector,
                            was.outputs(), options.maxRows());
                    correction = ResidualTarget.correction(then, now);
                }
                StagedValue input = originalValues.value(original, was.input());
                double ridge = input.shape().length == 3 ? options.sequenceRidge() : options.ridge();
                Features xOriginal = Features.of(was, input, collector, was.units(), options.maxRows());
                input = null;
                ModelProto model = current;
                Supplier<Features> xCurrent = () -> Features.of(is, currentValues.value(model, is.input()),
                        collector, is.units(), options.maxRows());
                Step step = compensateLayer(before, was, graph, is, nodes, xOriginal, correction, xCurrent, current,
                        options, ridge);
                if (step.model() != current) {
                    // Fitting a layer changes what is computed after it, never its own input (Q, K and V share it).
                    currentValues.changed(is.weight());
                }
                current = step.model();
                reports.add(step.report());
                double elapsed = (System.nanoTime() - started) / 1e9;
                progress.accept(String.format(Locale.ROOT, "compensation: layer %d of %d, %s: %s; %.1f s elapsed,"
                        + " about %.0f s left", reports.size(), consumers.size(), step.report().layer(),
                        step.report().summary(), elapsed, elapsed * (consumers.size() - reports.size())
                        / reports.size()));
            }
        }
        return new Result(current, reports);
    }

    private record Step(ModelProto model, LayerReconstruction report) {
    }

    private static Step compensateLayer(ModelGraph before, LinearLayer was, ModelGraph graph, LinearLayer is,
            NodePruningResult nodes, Features originalRows, Features correction, Supplier<Features> currentRows,
            ModelProto current, Options options, double ridge) {
        FloatTensor wOriginal = FloatTensor.of(before.constant(was.weight()).orElseThrow().tensor());
        FloatTensor wPruned = FloatTensor.of(graph.constant(is.weight()).orElseThrow().tensor());
        double[] m = was.canonical(wOriginal);
        int[] keptUnits = keptOrAll(nodes.kept(was.weight(), was.inputAxis()), was.units());
        int[] keptOutputs = keptOrAll(nodes.kept(was.weight(), was.outputAxis()), was.outputs());
        if (keptUnits.length != is.units() || keptOutputs.length != is.outputs()) {
            return new Step(current, LayerReconstruction.skipped(is,
                    "node pruning did not record how its weight was sliced"));
        }
        if (!isEditable(graph, is.weight())) {
            return new Step(current, LayerReconstruction.skipped(is, "its weight is shared"));
        }
        if (was.opType().equals("Conv") && was.conv() == null) {
            return new Step(current, LayerReconstruction.skipped(is,
                    "convolution padding or rank other than explicit 2-D pads"));
        }
        int[] keptFeatures = features(keptUnits, was.block());
        Features xOriginal = originalRows;
        if (xOriginal == null) {
            return new Step(current, LayerReconstruction.skipped(is, "its input's shape does not match its weight"));
        }
        Features residual = keptOutputs.length != was.outputs() ? null : correction;
        if (residual != null && residual.rows() == xOriginal.rows()) {
            xOriginal = ResidualTarget.withColumns(xOriginal, residual);
            m = ResidualTarget.withIdentity(m, was.features(), was.outputs());
        }
        double[] biasOriginal = pick(BiasSlot.of(before, was).values(), keptOutputs);
        BiasSlot slot = BiasSlot.of(graph, is);
        Fit.Problem problem = new Fit.Problem(xOriginal, m, was.outputs(), keptFeatures, keptOutputs, biasOriginal,
                slot.writable());
        if (keptFeatures.length > options.maxFeatures()) {
            if (!slot.writable()) {
                return new Step(current, LayerReconstruction.skipped(is, keptFeatures.length
                        + " input features exceed the least-squares limit of " + options.maxFeatures() + " and "
                        + slot.reason()));
            }
            Fit.Solution solution = problem.meanOnly();
            ModelProto model = slot.apply(graph, is, is.write(wPruned, solution.weights()), solution.bias(),
                    new LinkedHashMap<>());
            return new Step(model, new LayerReconstruction(is.name(), is.opType(), "mean", keptFeatures.length
                    + " input features exceed the least-squares limit of " + options.maxFeatures(),
                    xOriginal.rows(), Double.NaN, Double.NaN));
        }
        Features xCurrent = currentRows.get();
        if (xCurrent == null || xCurrent.rows() != xOriginal.rows()) {
            return new Step(current, LayerReconstruction.skipped(is, "its pruned input's shape does not match"));
        }
        HeldBack held = HeldBack.split(xOriginal, xCurrent, options.holdBack());
        Fit.Problem fitted = held == null ? problem : new Fit.Problem(held.fitOriginal(), m, was.outputs(),
                keptFeatures, keptOutputs, biasOriginal, slot.writable());
        // The original's output on all rows, computed once: the first fit reads its fitted rows, the judgement its
        // held-back ones, the fit on every row all of it.
        double[] target = problem.target();
        double[][] targets = held == null ? null : held.split(target, keptOutputs.length);
        Fit.Equations first = held == null ? null : fitted.equations(held.fitCurrent(), targets[0]);
        Fit.Solution solution = held == null ? problem.leastSquares(xCurrent, target, ridge)
                : fitted.solve(first, ridge);
        String method = slot.writable() ? "least squares" : "least squares without bias";
        String detail = slot.writable() ? "" : slot.reason();
        double[] weights = solution.weights();
        double[] bias = solution.bias();
        double errorBefore = solution.errorBefore();
        double errorAfter = solution.errorAfter();
        if (held != null) {
            // Judged on rows the fit did not see: a fit that only learned its own rows (more features than the
            // rows can pin down) must not replace weights that generalise better.
            double[] prunedWeights = fitted.prunedWeights();
            double[] meanBias = fitted.meanCompensatedBias();
            // The plain and the mean-compensated layer share their weights: their output is computed once.
            double[] plainAndMean = held.errors(fitted, targets[1], prunedWeights, biasOriginal, meanBias);
            errorBefore = plainAndMean[0];
            errorAfter = held.error(fitted, targets[1], weights, bias != null ? bias : biasOriginal);
            double mean = slot.writable() ? plainAndMean[1] : Double.POSITIVE_INFINITY;
            // A tie (an exact fit, rounding apart) keeps the fit.
            if (Math.min(errorBefore, mean) + 1e-12 < errorAfter) {
                method = mean <= errorBefore ? "mean" : "plain";
                detail = String.format(Locale.ROOT, "the fit's error on %d held-back rows, %.4g, was"
                        + " not below the %s layer's", held.rows(), errorAfter, method.equals("mean")
                        ? "mean-compensated" : "plain pruned");
                weights = prunedWeights;
                bias = method.equals("mean") ? meanBias : null;
                errorAfter = Math.min(errorBefore, mean);
            } else {
                // Judged, the fit is made again on every row: on a small calibration set the held-back fifth
                // is worth keeping (a classifier's last layer fitted on 144 rows instead of 180 lost 8 points).
                // Every row's equations are the first fit's plus the held-back rows'.
                Fit.Solution full = problem.solve(first.plus(fitted.equations(held.heldCurrent(), targets[1])),
                        ridge);
                weights = full.weights();
                bias = full.bias();
            }
        }
        TensorProto weight = is.write(wPruned, weights);
        ModelProto model = slot.apply(graph, is, weight, slot.writable() ? bias : null, new LinkedHashMap<>());
        int rows = method.startsWith("least squares") ? xCurrent.rows() : held.fitCurrent().rows();
        return new Step(model, new LayerReconstruction(is.name(), is.opType(), method, detail, rows, errorBefore,
                errorAfter));
    }

    private static boolean isEditable(ModelGraph graph, String name) {
        return LinearLayer.editable(graph, name);
    }

    private static int[] keptOrAll(int[] kept, int size) {
        return kept != null ? kept : java.util.stream.IntStream.range(0, size).toArray();
    }

    /** Feature indices of the given units, {@code block} features each. */
    static int[] features(int[] units, int block) {
        int[] features = new int[units.length * block];
        for (int i = 0; i < units.length; i++) {
            for (int s = 0; s < block; s++) {
                features[i * block + s] = units[i] * block + s;
            }
        }
        return features;
    }

    static double[] pick(double[] values, int[] indices) {
        double[] out = new double[indices.length];
        for (int i = 0; i < indices.length; i++) {
            out[i] = values[indices[i]];
        }
        return out;
    }
}
