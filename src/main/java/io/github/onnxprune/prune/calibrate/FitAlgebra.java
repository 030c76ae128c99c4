package io.github.onnxprune.prune.calibrate;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * The arithmetic of one layer's re-fit that {@link WeightReconstruction} needs beside its flow: the per-output
 * least squares on a kept set, its cost, the ridge, and output errors from the normal equations.
 */
final class FitAlgebra {

    private FitAlgebra() {
    }

    static double[] difference(double[] a, double[] b) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i] - b[i];
        }
        return d;
    }

    static double relative(double squared, double reference) {
        return reference == 0 ? squared : squared / reference;
    }

    /** Operations of the per-output least squares for mask {@code keep}: {@code sum over outputs of kept^3 / 3}. */
    static double refitCost(boolean[] keep, int width, int outputs) {
        double cost = 0;
        for (int o = 0; o < outputs; o++) {
            int keptHere = 0;
            for (int f = 0; f < width; f++) {
                keptHere += keep[f * outputs + o] ? 1 : 0;
            }
            cost += Math.pow(keptHere, 3) / 3;
        }
        return cost;
    }

    /**
     * The squared output error {@code ||T - X W||^2} of canonical weights {@code w}, from the normal equations
     * alone: {@code ||T||^2 - 2 <W, X^T T> + <W, X^T X W>}.
     */
    static double squared(double[] gram, double[] rhs, double reference, double[] w, int width,
            int outputs) {
        double[] gw = RowProducts.gramProduct(gram, width, w, outputs);
        return Math.max(0, reference - 2 * dot(w, rhs) + dot(w, gw));
    }

    static double dot(double[] a, double[] b) {
        return InputStatistics.dot(a, b);
    }

    static int count(boolean[] flags) {
        int n = 0;
        for (boolean flag : flags) {
            n += flag ? 1 : 0;
        }
        return n;
    }

    static boolean[] invert(boolean[] flags) {
        boolean[] inverted = new boolean[flags.length];
        for (int i = 0; i < flags.length; i++) {
            inverted[i] = !flags[i];
        }
        return inverted;
    }

    /** The ridge {@link RidgeLeastSquares#solve} adds for this Gram matrix and relative strength. */
    static double lambda(double[] gram, int n, double relative) {
        double trace = 0;
        for (int i = 0; i < n; i++) {
            trace += gram[i * n + i];
        }
        double lambda = relative * trace / Math.max(1, n);
        return lambda > 0 ? lambda : relative;
    }

    /** {@code gram + lambda I} with the same relative lambda as {@link RidgeLeastSquares#solve}. */
    static double[] damped(double[] gram, int n, double relative) {
        double lambda = lambda(gram, n, relative);
        double[] a = gram.clone();
        for (int i = 0; i < n; i++) {
            a[i * n + i] += lambda;
        }
        return a;
    }

    /**
     * The canonical matrix with the {@code keep} weights re-fitted per output by least squares (one Cholesky of the
     * kept inputs' Gram per output, exact), the others zero.
     */
    static double[] refit(double[] gram, double[] rhs, double[] md, boolean[] keep, int outputs,
            double ridge) {
        int width = md.length / outputs;
        double[] result = new double[md.length];
        // Outputs are independent: both cores share them, each writing only its own column, so the bytes are the
        // same on any number of threads.
        IntStream.range(0, outputs).parallel().forEach(o -> {
            int[] kept = keptInputs(keep, outputs, width, o);
            int k = kept.length;
            if (k == 0) {
                return;
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
        });
        return result;
    }

    /** The inputs output {@code o} keeps under {@code keep} (input-major, {@code width x outputs}), in order. */
    static int[] keptInputs(boolean[] keep, int outputs, int width, int o) {
        int[] kept = new int[width];
        int k = 0;
        for (int f = 0; f < width; f++) {
            if (keep[f * outputs + o]) {
                kept[k++] = f;
            }
        }
        return Arrays.copyOf(kept, k);
    }
}
