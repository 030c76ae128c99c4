package io.github.onnxprune.prune.calibrate;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.onnx.NodeInput;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Re-fits the weights weight pruning kept, so each pruned Gemm, MatMul or Conv layer's output on calibration
 * data matches the dense layer's, and by default first re-chooses which weights are zero with second-order
 * information (OBS / OBC / SparseGPT's idea, exact per layer).
 *
 * <p><b>Mask.</b> With {@link Options#reselect} the layer keeps exactly as many zeros as magnitude pruning gave
 * it, but chooses them by {@link HessianMask}: greedy OBS per output when {@code outputs * features^3} fits
 * {@link Options#maxFlops}, one-shot OBS saliency {@code w^2 / [H^-1]_jj} otherwise. The zero count per tensor,
 * and so layerwise and global targets and overrides, are unchanged; only their place moves. Without it the
 * magnitude mask stays (a re-fitted weight that would round to zero in the tensor's type keeps its dense value
 * instead, in both modes).
 *
 * <p><b>Fit.</b> For output o with kept inputs K, the new weights solve
 * {@code min ||X_K w - X_dense m_o||^2 + lambda ||w - m_o[K]||^2}, where X is the layer's input in the model
 * re-fitted so far (layers are processed in graph order, so earlier layers' errors are corrected, not
 * compounded) and X_dense its input in the dense model. The mask is chosen on the same objective: its
 * Hessian is {@code X^T X + lambda I} and the removals start from the unpruned least-squares solution. Each
 * output costs one Cholesky of size |K|; layers with more than {@link Options#maxInputWidth} input features,
 * or whose re-fit would cost more than {@link Options#maxFlops}, keep the magnitude mask unfitted and are
 * reported as skipped. Conv layers (group 1, explicit padding) are handled through im2col rows only when the
 * mask is re-chosen.
 */
public final class WeightReconstruction {

    /** What a kept weight becomes when its re-fitted value would be stored as zero and its dense value is zero. */
    private static final double SMALLEST_KEPT = 1e-4;

    private WeightReconstruction() {
    }

    /**
     * Limits and regularisation.
     *
     * @param ridge ridge strength relative to the mean diagonal of each output's Gram matrix
     * @param maxInputWidth widest layer input re-fitted
     * @param maxFlops largest estimated cost of one layer's solves ({@code outputs * kept^3 / 3})
     * @param maxRows most calibration rows per layer, evenly spread
     * @param reselect whether to re-choose the zeros by OBS saliency (same count) before re-fitting
     */
    public record Options(double ridge, int maxInputWidth, double maxFlops, int maxRows, boolean reselect) {

        /** Ridge 1e-3, 2048 inputs, 2e10 floating-point operations, 8192 rows, mask re-chosen. */
        public static Options defaults() {
            return new Options(1e-3, 2048, 2e10, 8192, true);
        }

        /** The defaults, but magnitude pruning's mask is kept and only the kept weights are re-fitted. */
        public static Options keepingMask() {
            return new Options(1e-3, 2048, 2e10, 8192, false);
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
        ModelGraph denseGraph = ModelGraph.of(dense);
        List<Integer> layers = new ArrayList<>();
        List<LayerReconstruction> reports = new ArrayList<>();
        List<String> inputs = new ArrayList<>();
        for (String name : tensors) {
            List<NodeInput> readers = denseGraph.consumers(name);
            if (readers.size() != 1 || readers.get(0).inputIndex() != 1) {
                continue;
            }
            LinearLayer layer = LinearLayer.of(denseGraph, readers.get(0).nodeIndex());
            if (layer == null) {
                continue;
            }
            if (layer.opType().equals("Conv") && !options.reselect()) {
                reports.add(LayerReconstruction.skipped(layer, "Conv weights are not re-fitted"));
                continue;
            }
            if (layer.opType().equals("Conv") && layer.conv() == null) {
                reports.add(LayerReconstruction.skipped(layer, "its padding is not given explicitly"));
                continue;
            }
            layers.add(layer.index());
            if (!inputs.contains(layer.input())) {
                inputs.add(layer.input());
            }
        }
        layers.sort(Integer::compare);
        if (layers.isEmpty()) {
            return new Result(pruned, reports);
        }
        Map<String, Tensor> denseActivations = collector.collect(dense, inputs);
        ModelProto current = pruned;
        for (int index : layers) {
            ModelGraph graph = ModelGraph.of(current);
            LinearLayer was = LinearLayer.of(denseGraph, index);
            LinearLayer is = LinearLayer.of(graph, index);
            int width = was.features();
            FloatTensor denseWeight = FloatTensor.of(denseGraph.constant(was.weight()).orElseThrow().tensor());
            FloatTensor prunedWeight = FloatTensor.of(graph.constant(is.weight()).orElseThrow().tensor());
            double[] md = was.canonical(denseWeight);
            double[] mp = is.canonical(prunedWeight);
            double cost = 0;
            for (int o = 0; o < was.outputs(); o++) {
                int kept = 0;
                for (int f = 0; f < width; f++) {
                    kept += mp[f * was.outputs() + o] != 0 ? 1 : 0;
                }
                cost += Math.pow(kept, 3) / 3;
            }
            if (width > options.maxInputWidth() || cost > options.maxFlops()) {
                reports.add(LayerReconstruction.skipped(is, String.format(java.util.Locale.ROOT,
                        "%d inputs, about %.1f GFLOP to re-fit; the limits are %d inputs and %.1f GFLOP", width,
                        cost / 1e9, options.maxInputWidth(), options.maxFlops() / 1e9)));
                continue;
            }
            Features xd = Features.of(was, denseActivations.get(was.input()), was.units(), options.maxRows());
            Tensor currentInput = collector.collect(current, List.of(is.input())).get(is.input());
            Features xc = Features.of(is, currentInput, is.units(), options.maxRows());
            if (xd == null || xc == null || xd.rows() != xc.rows()) {
                reports.add(LayerReconstruction.skipped(is, "its input's shape does not match its weight"));
                continue;
            }
            int outputs = was.outputs();
            double[] gram = gram(xc);
            double[] rhs = rhs(xc, xd, md, outputs);
            boolean[] keep = new boolean[mp.length];
            for (int i = 0; i < mp.length; i++) {
                keep[i] = mp[i] != 0;
            }
            String method = "least squares";
            if (options.reselect()) {
                int zeros = mp.length - count(keep);
                double[] start = RidgeLeastSquares.solve(gram, width, rhs, md, outputs, options.ridge());
                double[] inverse = HessianMask.inverse(damped(gram, width, options.ridge()), width);
                boolean greedy = (double) outputs * width * width * width <= options.maxFlops();
                boolean[] zero = greedy ? HessianMask.greedy(inverse, start, width, outputs, zeros)
                        : HessianMask.oneShot(inverse, start, width, outputs, zeros);
                for (int i = 0; i < keep.length; i++) {
                    keep[i] = !zero[i];
                }
                method = greedy ? "OBS mask, least squares" : "OBS saliency mask, least squares";
            }
            double[] errors = new double[2];
            double[] refit = refit(xd, xc, gram, rhs, md, mp, keep, outputs, options.ridge(), errors);
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
            current = graph.withConstants(Map.of(is.weight(), written));
            reports.add(new LayerReconstruction(is.name(), is.opType(), method, "", xc.rows(), errors[0],
                    errors[1]));
        }
        return new Result(current, reports);
    }

    private static int count(boolean[] flags) {
        int n = 0;
        for (boolean flag : flags) {
            n += flag ? 1 : 0;
        }
        return n;
    }

    /** {@code gram + lambda I} with the same relative lambda as {@link RidgeLeastSquares#solve}. */
    private static double[] damped(double[] gram, int n, double relative) {
        double trace = 0;
        for (int i = 0; i < n; i++) {
            trace += gram[i * n + i];
        }
        double lambda = relative * trace / Math.max(1, n);
        if (!(lambda > 0)) {
            lambda = relative;
        }
        double[] a = gram.clone();
        for (int i = 0; i < n; i++) {
            a[i * n + i] += lambda;
        }
        return a;
    }

    /** {@code X^T X} of the current input. */
    private static double[] gram(Features xc) {
        int width = xc.cols();
        double[] gram = new double[width * width];
        float[] c = xc.data();
        for (int r = 0; r < xc.rows(); r++) {
            int base = r * width;
            for (int i = 0; i < width; i++) {
                double xi = c[base + i];
                if (xi == 0) {
                    continue;
                }
                for (int j = i; j < width; j++) {
                    gram[i * width + j] += xi * c[base + j];
                }
            }
        }
        for (int i = 0; i < width; i++) {
            for (int j = 0; j < i; j++) {
                gram[i * width + j] = gram[j * width + i];
            }
        }
        return gram;
    }

    /** {@code X^T X_dense M_dense}: the right-hand side of every output at once, {@code width x outputs}. */
    private static double[] rhs(Features xc, Features xd, double[] md, int outputs) {
        int width = xc.cols();
        double[] cross = new double[width * width];
        float[] c = xc.data();
        float[] d = xd.data();
        for (int r = 0; r < xc.rows(); r++) {
            int base = r * width;
            for (int i = 0; i < width; i++) {
                double xi = c[base + i];
                if (xi == 0) {
                    continue;
                }
                for (int j = 0; j < width; j++) {
                    cross[i * width + j] += xi * d[base + j];
                }
            }
        }
        double[] rhs = new double[width * outputs];
        for (int i = 0; i < width; i++) {
            for (int f = 0; f < width; f++) {
                double value = cross[i * width + f];
                if (value != 0) {
                    for (int o = 0; o < outputs; o++) {
                        rhs[i * outputs + o] += value * md[f * outputs + o];
                    }
                }
            }
        }
        return rhs;
    }

    /**
     * The canonical matrix with the {@code keep} weights re-fitted and the others zero; {@code errors} receives
     * the relative output error of {@code mp} (as magnitude pruning left it) and of the result.
     */
    private static double[] refit(Features xd, Features xc, double[] gram, double[] rhs, double[] md, double[] mp,
            boolean[] keep, int outputs, double ridge, double[] errors) {
        int rows = xc.rows();
        int width = xc.cols();
        float[] c = xc.data();
        float[] d = xd.data();
        double[] result = new double[mp.length];
        for (int o = 0; o < outputs; o++) {
            int[] kept = new int[width];
            int k = 0;
            for (int f = 0; f < width; f++) {
                if (keep[f * outputs + o]) {
                    kept[k++] = f;
                }
            }
            if (k == 0) {
                continue;
            }
            double[] sub = new double[k * k];
            double[] b = new double[k];
            double[] prior = new double[k];
            for (int i = 0; i < k; i++) {
                for (int j = 0; j < k; j++) {
                    sub[i * k + j] = gram[kept[i] * width + kept[j]];
                }
                b[i] = rhs[kept[i] * outputs + o];
                prior[i] = md[kept[i] * outputs + o];
            }
            double[] w = RidgeLeastSquares.solve(sub, k, b, prior, 1, ridge);
            for (int i = 0; i < k; i++) {
                result[kept[i] * outputs + o] = w[i];
            }
        }
        double reference = 0;
        double before = 0;
        double after = 0;
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < outputs; o++) {
                double t = 0;
                double plain = 0;
                double fitted = 0;
                for (int f = 0; f < width; f++) {
                    t += d[r * width + f] * md[f * outputs + o];
                    plain += c[r * width + f] * mp[f * outputs + o];
                    fitted += c[r * width + f] * result[f * outputs + o];
                }
                reference += t * t;
                before += (t - plain) * (t - plain);
                after += (t - fitted) * (t - fitted);
            }
        }
        errors[0] = reference == 0 ? before : before / reference;
        errors[1] = reference == 0 ? after : after / reference;
        return result;
    }
}
