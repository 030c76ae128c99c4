package io.github.onnxprune.prune.calibrate;

import java.util.Arrays;

/**
 * Chooses which weights of one linear layer to zero with second-order information (Optimal Brain Surgeon):
 * with {@code H = X^T X + lambda I} from the layer's calibration inputs, zeroing weight j of an output and
 * moving the others optimally raises that output's squared error by {@code w_j^2 / [H^-1]_jj}. Unlike
 * magnitude, this sees that a small weight on a large or unique input matters, and that a large weight on an
 * input its neighbours duplicate does not.
 *
 * <p>Matrices are canonical {@code features x outputs}, row-major, as in {@link LinearLayer}. Both methods
 * zero exactly {@code zeros} weights of the whole layer (not per output), break ties by output, then feature,
 * and run in a fixed order, so the same input gives the same mask.
 */
final class HessianMask {

    private HessianMask() {
    }

    /**
     * Greedy OBS per output (as OBC): each output removes its weights one by one, always the one of least
     * saliency, and updates the rest and its inverse Hessian after each removal; the layer then takes the
     * {@code zeros} cheapest removals across outputs, each output's in its own order. Costs about
     * {@code outputs * features^3} operations.
     *
     * @param inverse {@code H^-1}, features x features; not modified
     * @param weights the dense (or re-fitted) weights the removals start from
     * @return true at each canonical index to zero
     */
    static boolean[] greedy(double[] inverse, double[] weights, int features, int outputs, int zeros) {
        int[][] order = new int[outputs][features];
        double[][] costs = new double[outputs][features];
        double[] h = new double[features * features];
        double[] w = new double[features];
        boolean[] gone = new boolean[features];
        for (int o = 0; o < outputs; o++) {
            System.arraycopy(inverse, 0, h, 0, h.length);
            for (int f = 0; f < features; f++) {
                w[f] = weights[f * outputs + o];
            }
            Arrays.fill(gone, false);
            for (int step = 0; step < features; step++) {
                int best = -1;
                double bestCost = Double.POSITIVE_INFINITY;
                for (int f = 0; f < features; f++) {
                    if (!gone[f]) {
                        double cost = saliency(w[f], h[f * features + f]);
                        if (best < 0 || cost < bestCost) {
                            best = f;
                            bestCost = cost;
                        }
                    }
                }
                order[o][step] = best;
                costs[o][step] = bestCost;
                remove(h, w, gone, features, best);
            }
        }
        // Take the cheapest next removal of any output, zeros times: each output's removals stay in its order.
        int[] taken = new int[outputs];
        boolean[] mask = new boolean[features * outputs];
        for (int z = 0; z < zeros; z++) {
            int pick = -1;
            for (int o = 0; o < outputs; o++) {
                if (taken[o] < features && (pick < 0 || costs[o][taken[o]] < costs[pick][taken[pick]])) {
                    pick = o;
                }
            }
            mask[order[pick][taken[pick]] * outputs + pick] = true;
            taken[pick]++;
        }
        return mask;
    }

    /**
     * One-shot OBS: every weight's saliency {@code w^2 / [H^-1]_jj} from the same starting point, the
     * {@code zeros} smallest zeroed. Costs {@code features * outputs} once {@code H^-1} is known. No longer
     * used by {@link WeightReconstruction}, whose wide layers take {@link SparseSweep} (as accurate on the
     * fixtures after the re-fit, and affordable far wider); kept as the reference the sweep was measured against.
     */
    static boolean[] oneShot(double[] inverse, double[] weights, int features, int outputs, int zeros) {
        Integer[] indices = new Integer[features * outputs];
        double[] saliency = new double[features * outputs];
        for (int f = 0; f < features; f++) {
            for (int o = 0; o < outputs; o++) {
                int i = f * outputs + o;
                indices[i] = i;
                saliency[i] = saliency(weights[i], inverse[f * features + f]);
            }
        }
        // Ties go to the lower output, then the lower feature, as in greedy.
        Arrays.sort(indices, (a, b) -> {
            int bySaliency = Double.compare(saliency[a], saliency[b]);
            if (bySaliency != 0) {
                return bySaliency;
            }
            int byOutput = Integer.compare(a % outputs, b % outputs);
            return byOutput != 0 ? byOutput : Integer.compare(a, b);
        });
        boolean[] mask = new boolean[features * outputs];
        for (int z = 0; z < zeros; z++) {
            mask[indices[z]] = true;
        }
        return mask;
    }

    /** {@code H^-1} of a symmetric positive definite matrix (Cholesky, then the identity solved). */
    static double[] inverse(double[] matrix, int n) {
        double[] factor = matrix.clone();
        RidgeLeastSquares.choleskyInPlace(factor, n);
        double[] identity = new double[n * n];
        for (int i = 0; i < n; i++) {
            identity[i * n + i] = 1;
        }
        RidgeLeastSquares.solveWithFactor(factor, n, identity, n);
        return identity;
    }

    private static double saliency(double weight, double inverseDiagonal) {
        // A vanishing diagonal means the input was already eliminated in all but name: zeroing it costs nothing.
        return inverseDiagonal > 0 ? weight * weight / inverseDiagonal : 0;
    }

    /** Zeroes weight j, moves the others to compensate, and removes j from the inverse Hessian. */
    private static void remove(double[] h, double[] w, boolean[] gone, int n, int j) {
        double pivot = h[j * n + j];
        if (pivot > 0) {
            double step = w[j] / pivot;
            for (int f = 0; f < n; f++) {
                if (!gone[f]) {
                    w[f] -= step * h[f * n + j];
                }
            }
            double[] row = Arrays.copyOfRange(h, j * n, j * n + n);
            for (int a = 0; a < n; a++) {
                double ha = row[a];
                if (gone[a] || ha == 0) {
                    continue;
                }
                double scaled = ha / pivot;
                for (int b = 0; b < n; b++) {
                    if (!gone[b]) {
                        h[a * n + b] -= scaled * row[b];
                    }
                }
            }
        }
        w[j] = 0;
        gone[j] = true;
    }
}
