package io.github.onnxprune.prune.calibrate;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelGraph;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Re-fits the weights weight pruning kept, so each pruned Gemm, MatMul or Conv layer's output on calibration
 * data matches the dense layer's, and by default first re-chooses which weights are zero with second-order
 * information (OBS / OBC / SparseGPT's idea, exact per layer).
 *
 * <p><b>Mask.</b> With {@link Options#reselect} the layer keeps exactly as many zeros as magnitude pruning gave
 * it, but chooses them with second-order information: greedy OBS per output ({@link HessianMask#greedy}) when
 * {@code outputs * features^3} fits {@link Options#exactFlops}, SparseGPT's column sweep ({@link SparseSweep})
 * otherwise. The zero count per tensor, and so layerwise and global targets and overrides, are unchanged; only
 * their place moves. Without it the magnitude mask stays (a re-fitted weight that would round to zero in the
 * tensor's type keeps its dense value instead, in both modes).
 *
 * <p><b>Fit.</b> For output o with kept inputs K, the new weights solve
 * {@code min ||X_K w - X_dense m_o||^2 + lambda ||w - m_o[K]||^2}, where X is the layer's input in the model
 * re-fitted so far (layers are processed in graph order, so earlier layers' errors are corrected, not
 * compounded) and X_dense its input in the dense model; for MatMul layers reading token sequences X_dense is X
 * ({@link Target#PRUNED_FOR_SEQUENCES}, measured better on a transformer). Rows are the calibration samples'
 * positions that the mask input does not mark as padding; the products of one input's rows are shared by the
 * layers reading it ({@link InputStatistics}), and the inputs are collected stage by stage
 * ({@link StagedActivations}). A layer fitted to its pruned inputs whose bias is a constant Add it alone reads
 * is fitted with that bias free ({@link Options#centred}): the weights on the inputs' covariance, the bias
 * taking the mean of what the weights' change moves each output by (on MiniLM at 50%: pooled cosine 0.9205
 * against 0.9183). The mask is chosen on the same objective: its
 * Hessian is {@code X^T X + lambda I} and the removals start from the unpruned least-squares solution. Each
 * output costs one Cholesky of size |K|, used while {@code outputs * |K|^3 / 3} fits {@link Options#exactFlops};
 * a mask the column sweep chose is re-fitted beyond that, while {@code outputs * |K|^3 / 3} fits {@link
 * Options#refitFlops}, by at most {@link SweptRefit#MAX_STEPS} conjugate-gradient steps per output started from the
 * sweep's weights ({@code |K|^2} each); beyond, the sweep's own compensation (exact
 * for the weights after each zero, the earlier ones frozen) is the fit, at about {@code features^3 / 3 + 1.5
 * outputs features^2} multiply-adds plus the products with the rows, which are thinned to fit
 * {@link Options#maxFlops}. Layers with more than {@link Options#maxInputWidth}
 * inputs, or that cannot afford {@link #MIN_ROWS} rows, keep the magnitude mask unfitted and are reported as
 * skipped. Conv layers (group 1, explicit padding) are handled through im2col rows only when the mask is
 * re-chosen.
 */
public final class WeightReconstruction {

    /** What a kept weight becomes when its re-fitted value would be stored as zero and its dense value is zero. */
    private static final double SMALLEST_KEPT = 1e-4;

    /** Fewest calibration rows a swept layer is fitted on; a layer that cannot afford them is skipped. */
    static final int MIN_ROWS = 256;

    /**
     * How many times the largest layer input ({@link ActivationCollector#valueBytesAtMost}) the heap must hold for
     * calibration to collect each value whole and keep it: the value in one piece beside the values kept, the
     * rows and the fit's arrays. Measured on all-minilm-l6-v2 (largest input 79 MB, padded positions counted, as
     * the estimate did before it counted only the real tokens of sentences run cut): whole values passed at
     * -Xmx512m (6.5x) and failed at -Xmx320m (4.1x); in parts they pass at -Xmx264m.
     */
    static final int WHOLE_VALUES_HEAP_FACTOR = 8;

    /**
     * Default {@link Options#refitFlops}, the exact path's limit: MiniLM's feed-forward output projections (1536
     * inputs, 384 outputs, 2-9e10 at 50%) keep the sweep's weights. Re-fitting them too ({@link
     * #SWEPT_REFIT_FLOPS_ALL}), by conjugate gradient since session 19, is measured in docs/reconstruction.md
     * (exactly, session 18: +0.0009 pooled cosine for 1.9x the goal on 256 sentences).
     */
    static final double SWEPT_REFIT_FLOPS = 2e10;

    /** A {@link Options#refitFlops} that re-fits MiniLM's swept layers too; 4096 inputs at 50% (1e12) stay swept. */
    static final double SWEPT_REFIT_FLOPS_ALL = 1e11;

    private WeightReconstruction() {
    }

    /**
     * Limits and regularisation.
     *
     * @param ridge ridge strength relative to the mean diagonal of each output's Gram matrix
     * @param maxInputWidth widest layer input re-fitted
     * @param exactFlops largest cost of the exact per-output path: the greedy OBS mask ({@code outputs *
     *     inputs^3}) when the mask is re-chosen, the per-output least squares ({@code outputs * kept^3 / 3})
     *     when it is kept; costlier layers take the column sweep
     * @param maxFlops largest estimated cost of the column sweep, in multiply-adds ({@link RefitCost#sweep});
     *     costlier layers keep the magnitude mask unfitted and are reported as skipped
     * @param maxRows most calibration rows per layer, evenly spread
     * @param reselect whether to re-choose the zeros by OBS saliency (same count) before re-fitting
     * @param target what each layer's output is fitted to
     * @param centred whether a layer fitted to its pruned inputs whose bias is a constant it alone reads takes
     *     the mean of its output's change into that bias (the fit then runs on the inputs' covariance)
     * @param correction for layers fitted to their pruned inputs, the share (0 to 1) of the error their input
     *     already carries that the fit corrects: the target is {@code (1 - c) X m + c X_dense m}, so 0 is
     *     SparseGPT's objective and 1 the dense model's output
     * @param residual for layers fitted to their pruned inputs that write into a residual stream ({@code MatMul ->
     *     Add bias -> Add residual}, {@link ResidualTarget}), the share (0 to 1) of the stream's own error at that
     *     Add that the fit also corrects: {@code r (r_dense - r_now)} is added to the target
     * @param refitFlops largest size, as the exact solve's cost ({@code outputs * kept^3 / 3}), of a layer whose
     *     swept mask is re-fitted per output, replacing the sweep's own compensation: exactly up to {@code
     *     exactFlops}, by {@link SweptRefit} beyond; separate from {@code exactFlops}, which also decides the greedy
     *     mask ({@code outputs * inputs^3}, far costlier)
     */
    public record Options(double ridge, int maxInputWidth, double exactFlops, double maxFlops, int maxRows,
            boolean reselect, Target target, boolean centred, double correction, double residual,
            double refitFlops) {

        public Options {
            if (!(correction >= 0 && correction <= 1)) {
                throw new IllegalArgumentException("correction must be from 0 to 1, not " + correction);
            }
            if (!(residual >= 0 && residual <= 1)) {
                throw new IllegalArgumentException("residual must be from 0 to 1, not " + residual);
            }
        }

        /** These options with a share {@code r} of the residual stream's error corrected (see {@link #residual}). */
        public Options withResidual(double r) {
            return new Options(ridge, maxInputWidth, exactFlops, maxFlops, maxRows, reselect, target, centred,
                    correction, r, refitFlops);
        }

        /**
         * Ridge 1e-3, 8192 inputs, exact path to 2e10, sweep to 2e11, 8192 rows, mask re-chosen, target by input,
         * centred where the bias allows, a swept mask re-fitted to {@link #SWEPT_REFIT_FLOPS}.
         */
        public static Options defaults() {
            return new Options(1e-3, 8192, 2e10, 2e11, 8192, true, Target.PRUNED_FOR_SEQUENCES, true, 0, 0,
                    SWEPT_REFIT_FLOPS);
        }

        /** These options with the bias taking the mean change of the output, or not. */
        public Options withCentred(boolean centre) {
            return new Options(ridge, maxInputWidth, exactFlops, maxFlops, maxRows, reselect, target, centre,
                    correction, residual, refitFlops);
        }

        /** These options with another target. */
        public Options withTarget(Target aim) {
            return new Options(ridge, maxInputWidth, exactFlops, maxFlops, maxRows, reselect, aim, centred, correction,
                    residual, refitFlops);
        }

        /** These options with another relative ridge. */
        public Options withRidge(double strength) {
            return new Options(strength, maxInputWidth, exactFlops, maxFlops, maxRows, reselect, target, centred,
                    correction, residual, refitFlops);
        }

        /** The defaults, but magnitude pruning's mask is kept and only the kept weights are re-fitted. */
        public static Options keepingMask() {
            return defaults().withReselect(false);
        }

        /** These options with another exact-path limit (0: the column sweep for every layer). */
        public Options withExactFlops(double limit) {
            return new Options(ridge, maxInputWidth, limit, maxFlops, maxRows, reselect, target, centred,
                    correction, residual, refitFlops);
        }

        /** These options with another limit for the exact re-fit of a swept mask (0: the sweep's weights stay). */
        public Options withRefitFlops(double limit) {
            return new Options(ridge, maxInputWidth, exactFlops, maxFlops, maxRows, reselect, target, centred,
                    correction, residual, limit);
        }

        /** These options with the swept layers re-fitted up to {@link #SWEPT_REFIT_FLOPS_ALL}. */
        public Options withSweptLayersRefitted() {
            return withRefitFlops(SWEPT_REFIT_FLOPS_ALL);
        }

        /** These options with another most calibration rows per layer. */
        public Options withMaxRows(int rows) {
            return new Options(ridge, maxInputWidth, exactFlops, maxFlops, rows, reselect, target, centred, correction,
                    residual, refitFlops);
        }

        /** These options with a share {@code c} of the pruned inputs' error corrected (see {@link #correction}). */
        public Options withCorrection(double c) {
            return new Options(ridge, maxInputWidth, exactFlops, maxFlops, maxRows, reselect, target, centred, c,
                    residual, refitFlops);
        }

        /** These options with the mask re-chosen or kept. */
        public Options withReselect(boolean choose) {
            return new Options(ridge, maxInputWidth, exactFlops, maxFlops, maxRows, choose, target, centred,
                    correction, residual, refitFlops);
        }
    }

    /** What a layer's re-fitted output is fitted to. */
    public enum Target {
        /** The dense model's layer output on the dense model's input: earlier layers' errors are corrected. */
        DENSE_INPUTS,
        /**
         * The dense weights applied to the input of the model re-fitted so far (SparseGPT's objective): each layer
         * adds as little error as it can, without chasing earlier layers'; needs no run of the dense model.
         */
        PRUNED_INPUTS,
        /**
         * Pruned inputs for MatMul layers reading token sequences ({@code [batch, tokens, features]}, as in
         * transformers), dense inputs for the others (one row per sample, or Conv patches). Measured, not derived:
         * on MiniLM at 50% pruned inputs keep a pooled cosine of 0.918 against 0.905; on the fixtures (MLPs and
         * CNNs) dense inputs keep their figures where pruned ones lose (a BatchNorm'd CNN at 90% with the column
         * sweep: 93.1% against 10.6%).
         */
        PRUNED_FOR_SEQUENCES;

        /** The target of a layer whose input has {@code rank} dimensions. */
        Target forLayer(LinearLayer layer, int rank) {
            if (this != PRUNED_FOR_SEQUENCES) {
                return this;
            }
            return layer.conv() == null && rank >= 3 ? PRUNED_INPUTS : DENSE_INPUTS;
        }
    }

    /** The re-fitted model and what happened per layer. */
    public record Result(ModelProto model, List<LayerReconstruction> layers) {

        public Result {
            layers = List.copyOf(layers);
        }
    }

    /**
     * Re-fits the layers whose weights are among {@code tensors} in {@code pruned}, a weight-pruned copy of
     * {@code dense} with the same graph.
     */
    public static Result reconstruct(ModelProto dense, ModelProto pruned, List<String> tensors,
            ActivationCollector collector, Options options) {
        return reconstruct(dense, pruned, tensors, collector, options, line -> { });
    }

    /** As {@link #reconstruct(ModelProto, ModelProto, List, ActivationCollector, Options)}, with a line per layer. */
    public static Result reconstruct(ModelProto dense, ModelProto pruned, List<String> tensors,
            ActivationCollector collector, Options options, Consumer<String> progress) {
        return reconstruct(dense, new AtomicReference<>(pruned), tensors, collector, options, progress);
    }

    /**
     * As {@link #reconstruct(ModelProto, ModelProto, List, ActivationCollector, Options, Consumer)}, taking the
     * pruned model out of {@code pruned} (left empty): when the caller holds it nowhere else, the weights the
     * re-fit replaces are let go as it goes instead of staying beside their replacements (half the model's
     * weights on a transformer).
     */
    public static Result reconstruct(ModelProto dense, AtomicReference<ModelProto> pruned, List<String> tensors,
            ActivationCollector collector, Options options, Consumer<String> progress) {
        return reconstruct(dense, pruned, tensors, collector, options, progress, Runtime.getRuntime().maxMemory());
    }

    /**
     * As {@link #reconstruct(ModelProto, AtomicReference, List, ActivationCollector, Options, Consumer)} with a
     * heap of {@code heapBytes}, which decides how calibration values are held: whole and kept when the heap has
     * {@link #WHOLE_VALUES_HEAP_FACTOR} times the largest, else in parts and computed again when needed again
     * ({@link StagedActivations}). Both give the same model, byte for byte; the first is faster.
     */
    static Result reconstruct(ModelProto dense, AtomicReference<ModelProto> pruned, List<String> tensors,
            ActivationCollector collector, Options options, Consumer<String> progress, long heapBytes) {
        ModelProto current = pruned.getAndSet(null);
        long started = System.nanoTime();
        ModelGraph denseGraph = ModelGraph.of(dense);
        List<LayerReconstruction> reports = new ArrayList<>();
        List<Integer> layers = RefitLayers.of(denseGraph, tensors, options, reports);
        if (layers.isEmpty()) {
            return new Result(current, reports);
        }
        boolean whole = RefitLayers.wholeValues(denseGraph, layers, collector, heapBytes);
        try (StagedActivations currentValues = new StagedActivations(collector, whole);
                StagedActivations denseValues = new StagedActivations(collector, whole)) {
            double[] costs = RefitCost.ofLayers(denseGraph, current, layers, options);
            double totalCost = Arrays.stream(costs).sum();
            double doneCost = 0;
            // The statistics of the last input seen: layers reading the same value (Q, K, V) share them.
            InputStatistics[] shared = new InputStatistics[1];
            for (int position = 0; position < layers.size(); position++) {
                int index = layers.get(position);
                ModelGraph graph = ModelGraph.of(current);
                LinearLayer was = LinearLayer.of(denseGraph, index);
                LinearLayer is = LinearLayer.of(graph, index);
                int sharing = 0;
                for (int other = position; other < layers.size(); other++) {
                    LinearLayer reader = LinearLayer.of(denseGraph, layers.get(other));
                    sharing += reader.input().equals(was.input()) ? reader.outputs() : 0;
                }
                String prefix = String.format(Locale.ROOT, "layer %d of %d, %s: ", position + 1, layers.size(),
                        is.name());
                Refitted report = layer(was, is, denseGraph, graph, current, dense, currentValues,
                        denseValues, collector, options, shared, sharing, line -> progress.accept(prefix + line));
                if (report.written() != null) {
                    current = graph.withConstants(report.written());
                    report.written().keySet().forEach(currentValues::changed);
                }
                reports.add(report.layer());
                doneCost += costs[position];
                double elapsed = (System.nanoTime() - started) / 1e9;
                progress.accept(String.format(Locale.ROOT, "layer %d of %d, %s: %s; %.1f s elapsed, about %.0f s left",
                        position + 1, layers.size(), is.name(), report.layer().summary(), elapsed,
                        elapsed * (totalCost - doneCost) / doneCost));
            }
        }
        return new Result(current, reports);
    }

    /** A layer's report and the tensors that replace its weight (and bias), or null when it was skipped. */
    record Refitted(LayerReconstruction layer, Map<String, TensorProto> written) {
    }

    static Refitted layer(LinearLayer was, LinearLayer is, ModelGraph denseGraph, ModelGraph graph,
            ModelProto current, ModelProto dense, StagedActivations currentValues, StagedActivations denseValues,
            ActivationCollector collector, Options options, InputStatistics[] shared, int sharingOutputs,
            Consumer<String> progress) {
        int width = was.features();
        FloatTensor denseWeight = FloatTensor.of(denseGraph.constant(was.weight()).orElseThrow().tensor());
        FloatTensor prunedWeight = FloatTensor.of(graph.constant(is.weight()).orElseThrow().tensor());
        double[] md = was.canonical(denseWeight);
        double[] mp = is.canonical(prunedWeight);
        int outputs = was.outputs();
        boolean[] keep = new boolean[mp.length];
        for (int i = 0; i < mp.length; i++) {
            keep[i] = mp[i] != 0;
        }
        double exactCost = FitAlgebra.refitCost(keep, width, outputs);
        boolean greedy = options.reselect() && (double) outputs * width * width * width <= options.exactFlops();
        boolean exact = greedy || !options.reselect() && exactCost <= options.exactFlops();
        if (width > options.maxInputWidth()) {
            return new Refitted(LayerReconstruction.skipped(is, String.format(Locale.ROOT,
                    "%d inputs; the limit is %d", width, options.maxInputWidth())), null);
        }
        // The sweep's cost grows with the rows; a wide layer uses as many as the budget allows, evenly spread.
        int rows = exact ? options.maxRows() : RefitCost.affordableRows(width, outputs, options);
        if (rows < MIN_ROWS) {
            return new Refitted(LayerReconstruction.skipped(is, String.format(Locale.ROOT,
                    "%d inputs x %d outputs: about %.0f G multiply-adds to re-fit with %d rows; the limit is %.0f G",
                    width, outputs, RefitCost.sweep(width, outputs, MIN_ROWS) / 1e9, MIN_ROWS,
                    options.maxFlops() / 1e9)), null);
        }
        StagedValue currentInput = currentValues.value(current, is.input());
        Target target = options.target().forLayer(is, currentInput.shape().length);
        boolean corrected = target == Target.PRUNED_INPUTS && options.correction() > 0;
        String residual = target == Target.PRUNED_INPUTS && options.residual() > 0
                ? ResidualTarget.residualOf(denseGraph, was) : null;
        corrected |= residual != null;
        StagedValue denseInput = target == Target.DENSE_INPUTS || corrected ? denseValues.value(dense, was.input())
                : null;
        InputStatistics statistics = shared[0];
        if (statistics == null || !statistics.matches(currentInput, denseInput, rows)) {
            // The previous input's rows and products are garbage from here on, before this input's are made.
            shared[0] = null;
            statistics = null;
            Features xc = Features.of(is, currentInput, collector, is.units(), rows);
            Features xd = denseInput == null ? null : Features.of(was, denseInput, collector, was.units(), rows);
            if (xc == null || denseInput != null && (xd == null || xd.rows() != xc.rows())) {
                return new Refitted(LayerReconstruction.skipped(is, "its input's shape does not match its weight"),
                        null);
            }
            statistics = new InputStatistics(rows, currentInput, denseInput, denseInput != null, xc, xd,
                    sharingOutputs);
            shared[0] = statistics;
        }
        currentInput = null;
        denseInput = null;
        // With the output's mean change taken by the bias, the weights fit the inputs' covariance.
        BiasSlot slot = options.centred() && target == Target.PRUNED_INPUTS ? BiasSlot.of(graph, is) : null;
        boolean centred = slot != null && slot.writable() && slot.constant() != null;
        InputStatistics.Equations equations = corrected
                ? statistics.correctedEquations(md, outputs, options.correction(), centred)
                : centred ? statistics.centredEquations(md, outputs) : statistics.equations(md, outputs);
        // What the corrected target's mean adds per output (sums over the rows), which a centred bias takes.
        double[] offset = corrected ? statistics.correctionOffset(md, outputs, options.correction())
                : new double[outputs];
        if (residual != null) {
            Features difference = ResidualTarget.correction(
                    Features.of(was, denseValues.value(dense, residual), collector, was.outputs(), rows),
                    Features.of(is, currentValues.value(current, residual), collector, is.outputs(), rows));
            if (difference != null && difference.rows() == statistics.rows()) {
                equations = statistics.withResidual(equations, difference, md, outputs, options.correction(),
                        options.residual(), centred, offset);
            }
        }
        double[] gram = equations.gram();
        double[] rhs = equations.rhs();
        // Errors are reported against the whole output, its mean included, centred or not.
        double reference = equations.reference() + (centred ? statistics.meanTerm(md, outputs, offset) : 0);
        double[] sums = statistics.sums();
        int zeros = mp.length - FitAlgebra.count(keep);
        double[] refit;
        String method;
        if (exact) {
            method = "least squares";
            if (greedy) {
                double[] start = RidgeLeastSquares.solve(gram, width, rhs, md, outputs, options.ridge());
                double[] inverse = HessianMask.inverse(FitAlgebra.damped(gram, width, options.ridge()), width);
                boolean[] zero = HessianMask.greedy(inverse, start, width, outputs, zeros);
                for (int i = 0; i < keep.length; i++) {
                    keep[i] = !zero[i];
                }
                method = "OBS mask, least squares";
            }
            refit = FitAlgebra.refit(gram, rhs, md, keep, outputs, options.ridge());
        } else {
            // One shared inverse Hessian: start from the unpruned optimum and sweep the features in blocks.
            double lambda = FitAlgebra.lambda(gram, width, options.ridge());
            double[] b = rhs.clone();
            for (int f = 0; f < width; f++) {
                for (int o = 0; o < outputs; o++) {
                    b[f * outputs + o] += lambda * md[f * outputs + o];
                }
            }
            // The damped copy is not held here: the factor's work arrays need its room (18 MB each, 1536 wide).
            double[] factor = SparseSweep.inverseFactor(FitAlgebra.damped(gram, width, options.ridge()), width);
            refit = SparseSweep.solve(factor, width, b, outputs);
            boolean[] zero = SparseSweep.sweep(factor, refit, width, outputs,
                    options.reselect() ? null : FitAlgebra.invert(keep), zeros);
            for (int i = 0; i < keep.length; i++) {
                keep[i] = !zero[i];
            }
            method = options.reselect() ? "OBS sweep" : "least squares sweep";
            // The sweep never revisits a weight it has passed; where the per-output re-fit of the chosen mask is
            // affordable it is exact, and on the fixtures as accurate as the one-shot mask it replaces. Beyond the
            // exact path's limit it is solved iteratively from the sweep's weights, at a fraction of the cost.
            double refitCost = FitAlgebra.refitCost(keep, width, outputs);
            if (refitCost <= options.exactFlops()) {
                refit = FitAlgebra.refit(gram, rhs, md, keep, outputs, options.ridge());
                method += ", least squares";
            } else if (refitCost <= options.refitFlops()) {
                refit = SweptRefit.refit(gram, rhs, md, refit, keep, outputs, options.ridge(), SweptRefit.MAX_STEPS,
                        progress);
                method += ", least squares (conjugate gradient)";
            }
        }
        if (centred) {
            method += ", bias";
        }
        if (corrected && options.correction() > 0) {
            method += String.format(Locale.ROOT, ", %.2f of the input's error corrected", options.correction());
        }
        if (residual != null) {
            method += String.format(Locale.ROOT, ", %.2f of the residual stream's error corrected",
                    options.residual());
        }
        TensorProto written = is.write(prunedWeight, refit);
        double[] stored = is.canonical(FloatTensor.of(written));
        boolean fixed = false;
        for (int i = 0; i < stored.length; i++) {
            if (keep[i] && stored[i] == 0) {
                // A kept weight must not become a zero, or the tensor would hold more zeros than asked. The
                // fallback is a normal number in float16, bfloat16, float and double alike.
                refit[i] = md[i] != 0 ? md[i] : Math.copySign(SMALLEST_KEPT, refit[i]);
                fixed = true;
            }
        }
        if (fixed) {
            written = is.write(prunedWeight, refit);
        }
        double before = FitAlgebra.relative(FitAlgebra.squared(gram, rhs, equations.reference(), mp, width, outputs)
                + (centred ? statistics.meanTerm(FitAlgebra.difference(md, mp), outputs, offset) : 0), reference);
        // Centred, the bias takes the mean term of the re-fitted weights' change.
        double after = FitAlgebra.relative(
                FitAlgebra.squared(gram, rhs, equations.reference(), refit, width, outputs), reference);
        Map<String, TensorProto> replacements = new java.util.HashMap<>();
        replacements.put(is.weight(), written);
        double[] shift = new double[outputs];
        if (centred) {
            // The bias takes the mean over the fitted rows of what the weights' change moves each output by.
            double[] bias = slot.values().clone();
            for (int f = 0; f < width; f++) {
                double mean = sums[f] / statistics.rows();
                for (int o = 0; o < outputs; o++) {
                    shift[o] += mean * (md[f * outputs + o] - refit[f * outputs + o]);
                }
            }
            for (int o = 0; o < outputs; o++) {
                shift[o] += offset[o] / statistics.rows();
                bias[o] += shift[o];
            }
            replacements.put(slot.constant(), FloatTensor.of(graph.constant(slot.constant()).orElseThrow().tensor())
                    .withValues(bias));
        }
        return new Refitted(new LayerReconstruction(is.name(), is.opType(), method, "", statistics.rows(), before,
                after), replacements);
    }
}
