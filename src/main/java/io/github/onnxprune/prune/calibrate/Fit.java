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
     * The normal equations {@code Z^T Z} ({@code d x d}) and {@code Z^T T} ({@code d x outputs}) of a fit, {@code Z}
     * the current rows with a column of ones when the bias is fitted.
     */
    record Equations(double[] gram, double[] rhs) {

        /**
         * The equations of both sets of rows together: the fit on every row from the first fit's equations and
         * the held-back rows' instead of every row's products again (a quarter of the work).
         */
        Equations plus(Equations other) {
            if (other.gram.length != gram.length || other.rhs.length != rhs.length) {
                throw new IllegalArgumentException("the equations' sizes do not match");
            }
            double[] g = gram.clone();
            for (int i = 0; i < g.length; i++) {
                g[i] += other.gram[i];
            }
            double[] r = rhs.clone();
            for (int i = 0; i < r.length; i++) {
                r[i] += other.rhs[i];
            }
            return new Equations(g, r);
        }
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

        /** {@code M} restricted to the kept outputs: {@code original.cols() x keptOutputs}, row-major. */
        double[] keptColumns() {
            int cols = original.cols();
            int n = keptOutputs.length;
            double[] kept = new double[cols * n];
            for (int f = 0; f < cols; f++) {
                for (int j = 0; j < n; j++) {
                    kept[f * n + j] = m[f * outputs + keptOutputs[j]];
                }
            }
            return kept;
        }

        /**
         * The original layer's kept outputs without their bias on the original's rows, {@code X_orig M[:, kept]}
         * ({@code rows x keptOutputs}): computed once, it serves the fit on some rows, the judgement on the
         * others and the final fit on all, instead of a {@code Z^T X_orig} product per fit.
         */
        double[] target() {
            return targetOf(original);
        }

        /** As {@link #target()} on other rows of the original layer's input. */
        double[] targetOf(Features rows) {
            return RowProducts.product(rows, keptColumns(), keptOutputs.length);
        }

        /** Ridge least squares on the current inputs {@code current} (rows aligned with the original's). */
        Solution leastSquares(Features current, double ridge) {
            return leastSquares(current, target(), ridge);
        }

        /** As {@link #leastSquares(Features, double)} with the original's output already known ({@link #target}). */
        Solution leastSquares(Features current, double[] target, double ridge) {
            Solution fit = fit(current, target, ridge);
            double[] errors = errors(current, target, fit.weights(), fit.bias());
            return new Solution(fit.weights(), fit.bias(), errors[0], errors[1]);
        }

        /**
         * The ridge least-squares weights and bias for {@code target} ({@link #targetOf} of the original rows that
         * line up with {@code current}'s), without their output errors (NaN): a fit judged on held-back rows
         * needs no error on its own.
         */
        Solution fit(Features current, double[] target, double ridge) {
            return solve(equations(current, target), ridge);
        }

        /**
         * The normal equations of the fit on {@code current}'s rows with {@code target} ({@link #targetOf} of the
         * original rows that line up with them): {@code Z^T Z} and {@code Z^T T} ({@link RowProducts}, on both
         * cores, each element summed in row order whatever the number of threads), with {@code T} the target's
         * {@code rows x keptOutputs} instead of the original's {@code rows x cols}: for a feed-forward output
         * projection on 16,384 rows, 7 G multiply-adds instead of 36 G.
         */
        Equations equations(Features current, double[] target) {
            int k = keptFeatures.length;
            int d = k + (intercept ? 1 : 0);
            int n = keptOutputs.length;
            int rows = current.rows();
            if (target.length != rows * n || current.cols() != k) {
                throw new IllegalArgumentException("the target's or the current rows' size does not match");
            }
            double[] products = RowProducts.gram(current);
            double[] gram = new double[d * d];
            for (int i = 0; i < k; i++) {
                System.arraycopy(products, i * k, gram, i * d, k);
            }
            products = null;
            double[] sums = intercept ? current.columnSums() : null;
            if (intercept) {
                for (int i = 0; i < k; i++) {
                    gram[i * d + k] = sums[i];
                    gram[k * d + i] = sums[i];
                }
                gram[k * d + k] = rows;
            }
            // Z^T (T + 1 b^T) = Z^T T + (Z^T 1) b^T when the bias is fitted; without it the target is the output
            // less the fixed bias, so the bias term drops out.
            double[] zt = RowProducts.transposedProduct(current, target, n);
            double[] rhs = new double[d * n];
            System.arraycopy(zt, 0, rhs, 0, k * n);
            if (intercept) {
                for (int i = 0; i < k; i++) {
                    for (int j = 0; j < n; j++) {
                        rhs[i * n + j] += sums[i] * bias[j];
                    }
                }
                double[] targetSums = new double[n];
                for (int r = 0; r < rows; r++) {
                    for (int j = 0; j < n; j++) {
                        targetSums[j] += target[r * n + j];
                    }
                }
                for (int j = 0; j < n; j++) {
                    rhs[k * n + j] = targetSums[j] + rows * bias[j];
                }
            }
            return new Equations(gram, rhs);
        }

        /** The ridge least-squares weights and bias from normal equations of this problem's shape. */
        Solution solve(Equations equations, double ridge) {
            int k = keptFeatures.length;
            int d = k + (intercept ? 1 : 0);
            int n = keptOutputs.length;
            double[] pruned = prunedWeights();
            double[] prior = new double[d * n];
            System.arraycopy(pruned, 0, prior, 0, pruned.length);
            if (intercept) {
                System.arraycopy(meanCompensatedBias(), 0, prior, k * n, n);
            }
            double[] theta = RidgeLeastSquares.solve(equations.gram(), d, equations.rhs(), prior, n, ridge);
            double[] weights = new double[k * n];
            System.arraycopy(theta, 0, weights, 0, weights.length);
            double[] newBias = null;
            if (intercept) {
                newBias = new double[n];
                System.arraycopy(theta, k * n, newBias, 0, n);
            }
            return new Solution(weights, newBias, Double.NaN, Double.NaN);
        }

        /**
         * Relative squared output error of the plain pruned layer and of the fitted one (bias {@code newBias}, or
         * the original's when null) on the rows of {@code current}, whose original output is {@code target}
         * plus the bias.
         */
        private double[] errors(Features current, double[] target, double[] weights, double[] newBias) {
            int n = keptOutputs.length;
            double[] plain = RowProducts.product(current, prunedWeights(), n);
            double[] fitted = RowProducts.product(current, weights, n);
            return new double[] {relativeError(target, bias, plain, bias, n),
                relativeError(target, bias, fitted, newBias != null ? newBias : bias, n)};
        }
    }

    /**
     * Relative squared error {@code sum (y - t)^2 / sum t^2} of outputs {@code y = output + outputBias} against
     * {@code t = target + targetBias} (rows of {@code n}, biases per column); the plain sum when every {@code t} is
     * zero.
     */
    static double relativeError(double[] target, double[] targetBias, double[] output, double[] outputBias, int n) {
        double reference = 0;
        double error = 0;
        for (int r = 0; r < target.length / n; r++) {
            for (int j = 0; j < n; j++) {
                double t = target[r * n + j] + targetBias[j];
                double d = output[r * n + j] + outputBias[j] - t;
                reference += t * t;
                error += d * d;
            }
        }
        return reference == 0 ? error : error / reference;
    }
}
