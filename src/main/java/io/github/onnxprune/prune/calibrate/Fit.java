package io.github.onnxprune.prune.calibrate;

/** The least-squares re-fit of one layer after some of its input features were removed. */
final class Fit {

    private Fit() {
    }

    /**
     * New weights (kept features x kept outputs, row-major) and effective bias (per kept output, or null when
     * the bias stays), with the relative output error before and after.
     */
    record Solution(double[] weights, double[] bias, double errorBefore, double errorAfter) {
    }

    /**
     * The original layer and what it keeps.
     *
     * @param original the original layer's input features
     * @param m the original canonical matrix, {@code original.cols() x outputs}
     * @param outputs the original's output count
     * @param keptFeatures original feature index of each remaining feature
     * @param keptOutputs original output index of each remaining output
     * @param bias the original effective bias of each remaining output
     * @param intercept whether the bias may change
     */
    record Problem(Features original, double[] m, int outputs, int[] keptFeatures, int[] keptOutputs, double[] bias,
            boolean intercept) {

        /** The pruned weights as they are. */
        double[] prunedWeights() {
            double[] w = new double[keptFeatures.length * keptOutputs.length];
            for (int i = 0; i < keptFeatures.length; i++) {
                for (int j = 0; j < keptOutputs.length; j++) {
                    w[i * keptOutputs.length + j] = m[keptFeatures[i] * outputs + keptOutputs[j]];
                }
            }
            return w;
        }

        /** The bias plus the mean contribution of every removed feature: {@code b + sum_f mean(x_f) M[f]}. */
        double[] meanCompensatedBias() {
            double[] means = original.columnMeans();
            boolean[] keptFeature = new boolean[original.cols()];
            for (int f : keptFeatures) {
                keptFeature[f] = true;
            }
            double[] b = bias.clone();
            for (int f = 0; f < original.cols(); f++) {
                if (!keptFeature[f] && means[f] != 0) {
                    for (int j = 0; j < keptOutputs.length; j++) {
                        b[j] += means[f] * m[f * outputs + keptOutputs[j]];
                    }
                }
            }
            return b;
        }

        Solution meanOnly() {
            return new Solution(prunedWeights(), meanCompensatedBias(), Double.NaN, Double.NaN);
        }

        /** Ridge least squares on the current inputs {@code current} (rows aligned with the original's). */
        Solution leastSquares(Features current, double ridge) {
            int k = keptFeatures.length;
            int d = k + (intercept ? 1 : 0);
            int n = keptOutputs.length;
            int cols = original.cols();
            int rows = current.rows();
            double[] gram = new double[d * d];
            double[] cross = new double[d * cols];
            double[] z = new double[d];
            float[] xc = current.data();
            float[] xo = original.data();
            for (int r = 0; r < rows; r++) {
                for (int i = 0; i < k; i++) {
                    z[i] = xc[r * k + i];
                }
                if (intercept) {
                    z[k] = 1.0;
                }
                int base = r * cols;
                for (int i = 0; i < d; i++) {
                    double zi = z[i];
                    if (zi == 0) {
                        continue;
                    }
                    for (int j = i; j < d; j++) {
                        gram[i * d + j] += zi * z[j];
                    }
                    int row = i * cols;
                    for (int f = 0; f < cols; f++) {
                        cross[row + f] += zi * xo[base + f];
                    }
                }
            }
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < i; j++) {
                    gram[i * d + j] = gram[j * d + i];
                }
            }
            // Z^T T = (Z^T X_orig) M[:, kept] + (Z^T 1) b when the bias is fitted; without it the target is
            // the output less the fixed bias, so the bias term drops out.
            double[] rhs = new double[d * n];
            for (int i = 0; i < d; i++) {
                for (int f = 0; f < cols; f++) {
                    double c = cross[i * cols + f];
                    if (c == 0) {
                        continue;
                    }
                    for (int j = 0; j < n; j++) {
                        rhs[i * n + j] += c * m[f * outputs + keptOutputs[j]];
                    }
                }
                if (intercept) {
                    double sum = gram[i * d + k];
                    for (int j = 0; j < n; j++) {
                        rhs[i * n + j] += sum * bias[j];
                    }
                }
            }
            double[] pruned = prunedWeights();
            double[] prior = new double[d * n];
            System.arraycopy(pruned, 0, prior, 0, pruned.length);
            if (intercept) {
                System.arraycopy(meanCompensatedBias(), 0, prior, k * n, n);
            }
            double[] theta = RidgeLeastSquares.solve(gram, d, rhs, prior, n, ridge);
            double[] weights = new double[k * n];
            System.arraycopy(theta, 0, weights, 0, weights.length);
            double[] newBias = null;
            if (intercept) {
                newBias = new double[n];
                System.arraycopy(theta, k * n, newBias, 0, n);
            }
            double[] errors = errors(current, pruned, weights, newBias);
            return new Solution(weights, newBias, errors[0], errors[1]);
        }

        /** Relative squared output error of the plain pruned layer and of the fitted one. */
        private double[] errors(Features current, double[] pruned, double[] weights, double[] newBias) {
            int k = keptFeatures.length;
            int n = keptOutputs.length;
            int cols = original.cols();
            double[] target = new double[n];
            double reference = 0;
            double before = 0;
            double after = 0;
            for (int r = 0; r < current.rows(); r++) {
                java.util.Arrays.fill(target, 0);
                for (int f = 0; f < cols; f++) {
                    double x = original.data()[r * cols + f];
                    if (x != 0) {
                        for (int j = 0; j < n; j++) {
                            target[j] += x * m[f * outputs + keptOutputs[j]];
                        }
                    }
                }
                for (int j = 0; j < n; j++) {
                    double t = target[j] + bias[j];
                    double plain = bias[j];
                    double fitted = newBias != null ? newBias[j] : bias[j];
                    for (int i = 0; i < k; i++) {
                        double x = current.data()[r * k + i];
                        plain += x * pruned[i * n + j];
                        fitted += x * weights[i * n + j];
                    }
                    reference += t * t;
                    before += (t - plain) * (t - plain);
                    after += (t - fitted) * (t - fitted);
                }
            }
            return reference == 0 ? new double[] {before, after} : new double[] {before / reference,
                after / reference};
        }
    }
}
