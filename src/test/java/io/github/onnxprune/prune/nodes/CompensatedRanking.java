package io.github.onnxprune.prune.nodes;

/**
 * Ranks the units a layer reads by the output error their removal leaves once the layer reading them is re-fitted
 * (Optimal Brain Surgeon on whole rows, gradient-free): with {@code C} the covariance of the reader's input over
 * the calibration tokens and {@code H = C^-1}, removing the features {@code c} of one unit (a head's columns)
 * and re-fitting the rest by least squares adds {@code tr(W_c^T (H_cc)^-1 W_c)} to the squared output error per
 * token, where {@code W_c} are the weight rows reading them. Units go greedily, cheapest first; after each the
 * remaining rows and {@code H} are updated as the re-fit would change them, so a unit whose information the
 * others carry (a duplicate, a linear mix of kept ones) costs nothing, which variance times weight norm (FLAP's
 * fluctuation) cannot see. The mean is not part of it: compensation moves it into the bias.
 *
 * <p>A benchmark ranking (TransformerPruningBenchmark's {@code compensated}), kept in the tests: on MiniLM with
 * uniform amounts it gave a better plain model but not a better compensated one than fluctuation, and within the
 * measured per-block allocation it keeps 0.0015 (25% fewer multiply-adds) and 0.0085 (40%) more pooled cosine
 * (docs/transformers.md), at five times the ranking's time: not yet a place among the plugin's
 * {@code <importance>} values.
 */
final class CompensatedRanking {

    /** As a {@link NodePruner} hook: costs from the covariance of each reader's input, relative to its output. */
    static ReaderRanking of(java.util.function.Function<String, double[]> covariance) {
        return (input, rows, features, outputs, granule) -> {
            double[] c = covariance.apply(input);
            if (c == null || c.length != features * features) {
                return null;
            }
            return new ReaderRanking.Scores(costs(c, features, rows, outputs, granule, 1e-2),
                    outputVariance(c, features, rows, outputs));
        };
    }

    private CompensatedRanking() {
    }

    /**
     * The covariance of the columns of a {@code rows x features} row-major matrix, {@code features x features}
     * row-major.
     */
    static double[] covariance(float[] x, int rows, int features) {
        double[] mean = new double[features];
        for (int r = 0; r < rows; r++) {
            for (int f = 0; f < features; f++) {
                mean[f] += x[r * features + f];
            }
        }
        for (int f = 0; f < features; f++) {
            mean[f] /= Math.max(1, rows);
        }
        double[] c = new double[features * features];
        double[] centred = new double[features];
        for (int r = 0; r < rows; r++) {
            for (int f = 0; f < features; f++) {
                centred[f] = x[r * features + f] - mean[f];
            }
            for (int i = 0; i < features; i++) {
                double xi = centred[i];
                int row = i * features;
                for (int j = i; j < features; j++) {
                    c[row + j] += xi * centred[j];
                }
            }
        }
        for (int i = 0; i < features; i++) {
            for (int j = i; j < features; j++) {
                c[i * features + j] /= Math.max(1, rows);
                c[j * features + i] = c[i * features + j];
            }
        }
        return c;
    }

    /**
     * The cost of each feature: the cumulative output error at the step its unit is removed, shared evenly by
     * the unit's {@code granule} features, so that ranking by it (or by a unit's sum) follows the greedy order.
     * The last unit is never removed and costs more than any.
     *
     * @param covariance {@code features x features} covariance of the reader's input
     * @param weight {@code features x outputs} rows of the reader's weight, row-major
     * @param granule features per unit (a head's size, else 1)
     * @param ridge added to the diagonal, relative to its mean, so a constant or duplicated feature stays solvable
     */
    static double[] costs(double[] covariance, int features, double[] weight, int outputs, int granule,
            double ridge) {
        double[] h = inverse(covariance, features, ridge);
        double[] w = weight.clone();
        int units = features / granule;
        boolean[] removed = new boolean[units];
        double[] cost = new double[features];
        double cumulative = 0;
        for (int step = 0; step < units - 1; step++) {
            int best = -1;
            double bestError = Double.POSITIVE_INFINITY;
            double[] bestBlockInverse = null;
            for (int u = 0; u < units; u++) {
                if (removed[u]) {
                    continue;
                }
                double[] blockInverse = blockInverse(h, features, u * granule, granule);
                double error = blockError(w, outputs, u * granule, granule, blockInverse);
                if (error < bestError) {
                    best = u;
                    bestError = error;
                    bestBlockInverse = blockInverse;
                }
            }
            removed[best] = true;
            cumulative += Math.max(0, bestError);
            for (int g = 0; g < granule; g++) {
                cost[best * granule + g] = cumulative / granule;
            }
            update(h, w, features, outputs, best * granule, granule, bestBlockInverse);
        }
        for (int u = 0; u < units; u++) {
            if (!removed[u]) {
                for (int g = 0; g < granule; g++) {
                    cost[u * granule + g] = 2 * cumulative / granule + 1;
                }
            }
        }
        return cost;
    }

    /** The reader's output variance per token, {@code tr(W^T C W)}: what a cost is relative to. */
    static double outputVariance(double[] covariance, int features, double[] weight, int outputs) {
        double total = 0;
        double[] cw = new double[outputs];
        for (int i = 0; i < features; i++) {
            java.util.Arrays.fill(cw, 0);
            for (int j = 0; j < features; j++) {
                double c = covariance[i * features + j];
                if (c != 0) {
                    int row = j * outputs;
                    for (int o = 0; o < outputs; o++) {
                        cw[o] += c * weight[row + o];
                    }
                }
            }
            int row = i * outputs;
            for (int o = 0; o < outputs; o++) {
                total += weight[row + o] * cw[o];
            }
        }
        return total;
    }

    /** {@code tr(W_c^T B W_c)} with {@code B = (H_cc)^-1}. */
    private static double blockError(double[] w, int outputs, int start, int size, double[] blockInverse) {
        double error = 0;
        for (int o = 0; o < outputs; o++) {
            for (int a = 0; a < size; a++) {
                double wa = w[(start + a) * outputs + o];
                double sum = 0;
                for (int b = 0; b < size; b++) {
                    sum += blockInverse[a * size + b] * w[(start + b) * outputs + o];
                }
                error += wa * sum;
            }
        }
        return error;
    }

    /**
     * Removes features {@code start .. start+size-1}: {@code W -= H[:, c] B W_c} (the re-fit of the remaining
     * rows) and {@code H -= H[:, c] B H[c, :]}, the inverse covariance of the features that remain.
     */
    private static void update(double[] h, double[] w, int n, int outputs, int start, int size,
            double[] blockInverse) {
        // K = H[:, c] B (n x size)
        double[] k = new double[n * size];
        for (int i = 0; i < n; i++) {
            for (int b = 0; b < size; b++) {
                double sum = 0;
                for (int a = 0; a < size; a++) {
                    sum += h[i * n + start + a] * blockInverse[a * size + b];
                }
                k[i * size + b] = sum;
            }
        }
        double[] wc = new double[size * outputs];
        System.arraycopy(w, start * outputs, wc, 0, size * outputs);
        double[] hc = new double[size * n];
        for (int b = 0; b < size; b++) {
            System.arraycopy(h, (start + b) * n, hc, b * n, n);
        }
        for (int i = 0; i < n; i++) {
            for (int b = 0; b < size; b++) {
                double kb = k[i * size + b];
                if (kb == 0) {
                    continue;
                }
                int wRow = i * outputs;
                int wcRow = b * outputs;
                for (int o = 0; o < outputs; o++) {
                    w[wRow + o] -= kb * wc[wcRow + o];
                }
                int hRow = i * n;
                int hcRow = b * n;
                for (int j = 0; j < n; j++) {
                    h[hRow + j] -= kb * hc[hcRow + j];
                }
            }
        }
    }

    private static double[] blockInverse(double[] h, int n, int start, int size) {
        double[] block = new double[size * size];
        for (int a = 0; a < size; a++) {
            for (int b = 0; b < size; b++) {
                block[a * size + b] = h[(start + a) * n + start + b];
            }
        }
        return inverse(block, size, 0);
    }

    /** The inverse of a symmetric positive definite matrix (Gauss-Jordan), with a relative ridge first. */
    static double[] inverse(double[] matrix, int n, double ridge) {
        double[] a = matrix.clone();
        double trace = 0;
        for (int i = 0; i < n; i++) {
            trace += a[i * n + i];
        }
        double lambda = ridge * trace / Math.max(1, n);
        if (ridge > 0 && !(lambda > 0)) {
            lambda = ridge;
        }
        for (int i = 0; i < n; i++) {
            a[i * n + i] += lambda;
        }
        double[] inv = new double[n * n];
        for (int i = 0; i < n; i++) {
            inv[i * n + i] = 1;
        }
        for (int col = 0; col < n; col++) {
            int pivot = col;
            for (int r = col + 1; r < n; r++) {
                if (Math.abs(a[r * n + col]) > Math.abs(a[pivot * n + col])) {
                    pivot = r;
                }
            }
            if (pivot != col) {
                swapRows(a, n, col, pivot);
                swapRows(inv, n, col, pivot);
            }
            double p = a[col * n + col];
            if (p == 0) {
                throw new IllegalStateException("singular covariance at feature " + col);
            }
            for (int j = 0; j < n; j++) {
                a[col * n + j] /= p;
                inv[col * n + j] /= p;
            }
            for (int r = 0; r < n; r++) {
                double factor = a[r * n + col];
                if (r == col || factor == 0) {
                    continue;
                }
                for (int j = 0; j < n; j++) {
                    a[r * n + j] -= factor * a[col * n + j];
                    inv[r * n + j] -= factor * inv[col * n + j];
                }
            }
        }
        return inv;
    }

    private static void swapRows(double[] m, int n, int x, int y) {
        for (int j = 0; j < n; j++) {
            double t = m[x * n + j];
            m[x * n + j] = m[y * n + j];
            m[y * n + j] = t;
        }
    }
}
