package io.github.onnxprune.prune.calibrate;

/**
 * Puts a re-fitted layer's kept weights on the int8 grid the quantization step will use, spreading each rounding
 * error onto the weights not yet rounded (GPTQ's error feedback, Frantar et al. 2023; SparseGPT's joint
 * sparsify-and-quantize): the same column sweep as {@link SparseSweep}, where a zero is rounding to level 0.
 *
 * <p>The grid is the quantizer's: symmetric, zero point 0, one scale per output, {@code scale = max |w| / 127}
 * over the output's kept weights as the re-fit left them. So that the quantizer, which takes the scale from the
 * largest stored weight, finds the same scale, each output's largest weight is rounded to level ±127 whatever
 * the sweep moved it to (its error is fed forward like any other), and no weight goes past ±127. A kept weight
 * takes level ±1 at least: rounding it to 0 would zero more weights than asked. The quantizer then reproduces
 * every level exactly; only the scale may differ in the last bit of its float32.
 *
 * <p>Used only with {@link WeightReconstruction.Options#int8Grid}, an experiment: on all-MiniLM-L6-v2 at 50% the
 * int8 model's pooled cosine is the same with it as without (0.9300 against 0.9304), as int8's loss there is the
 * activations' (see docs/quantization.md).
 *
 * <p>Matrices are canonical {@code features x outputs}, row-major, as in {@link LinearLayer}; outputs are
 * independent, so strips of them run in parallel in a fixed order.
 */
final class GridSweep {

    /** The largest level of a symmetric int8 weight. */
    static final int LEVELS = 127;

    private GridSweep() {
    }

    /**
     * The scale the sweep gives each output: its largest kept magnitude over {@link #LEVELS}, as float32 (1 for
     * an output with no kept weight).
     */
    static float[] scales(double[] weights, boolean[] zero, int n, int m) {
        float[] scales = new float[m];
        for (int o = 0; o < m; o++) {
            double max = 0;
            for (int f = 0; f < n; f++) {
                if (!zero[f * m + o]) {
                    max = Math.max(max, Math.abs(weights[f * m + o]));
                }
            }
            float scale = (float) (max / LEVELS);
            scales[o] = scale > 0 && Float.isFinite(scale) ? scale : 1f;
        }
        return scales;
    }

    /**
     * Rounds {@code weights} (overwritten) to the int8 grid feature by feature, zero where {@code zero} is true,
     * moving the later features' weights to compensate.
     *
     * @param u the factor from {@link SparseSweep#inverseFactor} of the layer's damped Hessian
     * @param weights {@code n x m} canonical weights, zero or not as the re-fit left them
     * @param zero true at each canonical index that must end zero
     * @return each output's scale: weight {@code [f, o]} ends as {@code level * scales[o]}, level in [-127, 127]
     */
    static float[] round(double[] u, double[] weights, int n, int m, boolean[] zero) {
        float[] scales = scales(weights, zero, n, m);
        // Each output's largest kept weight, which must end at level 127 for the quantizer to find its scale.
        int[] largest = new int[m];
        for (int o = 0; o < m; o++) {
            largest[o] = -1;
            double max = 0;
            for (int f = 0; f < n; f++) {
                double magnitude = Math.abs(weights[f * m + o]);
                if (!zero[f * m + o] && magnitude > max) {
                    max = magnitude;
                    largest[o] = f;
                }
            }
        }
        for (int first = 0; first < n; first += SparseSweep.BLOCK) {
            int start = first;
            int end = Math.min(n, start + SparseSweep.BLOCK);
            SparseSweep.inChunks(m, (from, to) -> {
                int c = to - from;
                double[] errors = new double[(end - start) * c];
                for (int j = start; j < end; j++) {
                    double pivot = u[j * n + j];
                    int row = j * m + from;
                    int errorRow = (j - start) * c;
                    for (int o = 0; o < c; o++) {
                        double w = weights[row + o];
                        double value = zero[row + o] ? 0 : onGrid(w, scales[from + o], largest[from + o] == j);
                        errors[errorRow + o] = (w - value) / pivot;
                        weights[row + o] = value;
                    }
                    for (int f = j + 1; f < end; f++) {
                        SparseSweep.axpy(-u[j * n + f], errors, errorRow, weights, f * m + from, c);
                    }
                }
                for (int f = end; f < n; f++) {
                    for (int j = start; j < end; j++) {
                        SparseSweep.axpy(-u[j * n + f], errors, (j - start) * c, weights, f * m + from, c);
                    }
                }
            });
        }
        return scales;
    }

    /** The grid value of a kept weight: level in [1, 127] each side of zero, 127 for the output's largest. */
    private static double onGrid(double w, float scale, boolean largest) {
        double level = largest ? LEVELS : Math.min(LEVELS, Math.max(1, Math.rint(Math.abs(w) / scale)));
        // Computed in float32 as it will be stored, so the error fed forward is the stored weight's.
        return (float) (Math.copySign(level, w) * scale);
    }
}
