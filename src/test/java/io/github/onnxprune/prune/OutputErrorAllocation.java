package io.github.onnxprune.prune;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.onnx.FloatTensor;
import java.util.List;
import java.util.Map;

/**
 * An allocation tried for the global scope ({@link GlobalAllocationAlternatives}): each tensor's model-output error
 * on the calibration rows when it alone is magnitude-pruned to each fraction of {@link #GRID}, then the fractions
 * of equal marginal error (a Lagrange multiplier found by bisection) that hit the total.
 */
final class OutputErrorAllocation {

    static final double[] GRID = {0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.96, 0.98, 1.0};

    static long[] counts(GlobalAllocationAlternatives.Ctx c, long total) {
        double[][] err = curves(c);
        return allocate(err, c.mags(), total);
    }

    static double[][] curves(GlobalAllocationAlternatives.Ctx c) {
        String out = c.model().getGraph().getOutput(0).getName();
        float[] dense = (float[]) c.calib().collect(c.model(), List.of(out)).get(out).data();
        double ref = 0;
        for (float v : dense) {
            ref += (double) v * v;
        }
        double[][] err = new double[c.tensors().size()][GRID.length];
        for (int t = 0; t < c.tensors().size(); t++) {
            float[] m = c.mags().get(t);
            for (int g = 1; g < GRID.length; g++) {
                int k = (int) Math.floor(GRID[g] * m.length);
                TensorProto p = FloatTensor.of(c.tensors().get(t).constant().tensor())
                        .withZeros(SmallestMagnitudes.select(m, k));
                ModelProto model = c.graph().withConstants(Map.of(c.tensors().get(t).name(), p));
                Tensor y = c.calib().collect(model, List.of(out)).get(out);
                float[] v = (float[]) y.data();
                double e = 0;
                for (int i = 0; i < v.length; i++) {
                    double d = v[i] - dense[i];
                    e += d * d;
                }
                err[t][g] = e / ref;
            }
        }
        return err;
    }

    static double at(double[] err, double s) {
        for (int g = 1; g < GRID.length; g++) {
            if (s <= GRID[g]) {
                double f = (s - GRID[g - 1]) / (GRID[g] - GRID[g - 1]);
                return err[g - 1] + f * (err[g] - err[g - 1]);
            }
        }
        return err[GRID.length - 1];
    }

    static double[] choose(double[][] err, List<float[]> mags, double lambda) {
        double[] s = new double[err.length];
        for (int t = 0; t < err.length; t++) {
            int n = mags.get(t).length;
            double best = Double.POSITIVE_INFINITY;
            for (int k = 0; k <= 1000; k++) {
                double x = k / 1000.0;
                double v = at(err[t], x) - lambda * n * x;
                if (v < best) {
                    best = v;
                    s[t] = x;
                }
            }
        }
        return s;
    }

    static long[] allocate(double[][] err, List<float[]> mags, long total) {
        double lo = 0;
        double hi = 1;
        while (sum(choose(err, mags, hi), mags) < total) {
            hi *= 2;
        }
        for (int i = 0; i < 60; i++) {
            double mid = (lo + hi) / 2;
            if (sum(choose(err, mags, mid), mags) < total) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        double[] a = choose(err, mags, lo);
        double[] b = choose(err, mags, hi);
        double sa = sum(a, mags);
        double sb = sum(b, mags);
        double f = sb == sa ? 0 : (total - sa) / (sb - sa);
        double[] target = new double[a.length];
        for (int t = 0; t < a.length; t++) {
            target[t] = mags.get(t).length * (a[t] + f * (b[t] - a[t]));
        }
        return GlobalAllocationAlternatives.round(target, mags, total);
    }

    static double sum(double[] s, List<float[]> mags) {
        double total = 0;
        for (int t = 0; t < s.length; t++) {
            total += s[t] * mags.get(t).length;
        }
        return total;
    }
}
