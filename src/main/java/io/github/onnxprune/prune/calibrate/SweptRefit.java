package io.github.onnxprune.prune.calibrate;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * The per-output least squares on a mask the column sweep chose, solved iteratively: for output o with kept
 * inputs K, Jacobi-preconditioned conjugate gradient on {@code (G_KK + lambda_o I) w = g_K + lambda_o m_K}, the
 * system {@link FitAlgebra#refit} solves exactly (the same per-output ridge {@code lambda_o}, relative to the mean
 * diagonal of {@code G_KK}), started from the sweep's own weights.
 *
 * <p>Why: the exact solve factors a {@code |K| x |K|} matrix per output ({@code |K|^3 / 3} multiply-adds and two
 * such matrices in memory at once); each step here is one masked product with the layer's Gram matrix ({@code
 * |K|^2}), read in place, and a few vectors of length {@code |K|} per thread. The sweep's weights are already close
 * (they are exact for the weights after each zero), so a few dozen steps take most of the way.
 *
 * <p>Outputs are solved each alone in a fixed order, on both cores, so the bytes are the same on any number of
 * threads.
 */
final class SweptRefit {

    /** Most conjugate-gradient steps per output. */
    static final int MAX_STEPS = 32;

    /** An output stops when its residual is this fraction of its right-hand side's norm. */
    static final double TOLERANCE = 1e-4;

    /** How many progress lines a re-fit logs. */
    static final int PARTS = 4;

    private SweptRefit() {
    }

    /**
     * The canonical matrix with the {@code keep} weights of each output re-fitted from {@code start} by at most
     * {@link #MAX_STEPS} steps, the others zero, reporting after each of {@link #PARTS} parts of
     * the outputs how many are done, the mean steps taken, the time and an estimate of what is left.
     *
     * @param gram the layer's {@code width x width} Gram matrix, row-major
     * @param rhs the canonical {@code width x outputs} right-hand sides
     * @param md the dense weights, which the ridge pulls toward
     * @param start the sweep's weights, where each output starts
     */
    static double[] refit(double[] gram, double[] rhs, double[] md, double[] start, boolean[] keep, int outputs,
            double ridge, int maxSteps, Consumer<String> progress) {
        int width = md.length / outputs;
        double[] result = new double[md.length];
        long started = System.nanoTime();
        AtomicLong steps = new AtomicLong();
        for (int part = 0; part < PARTS; part++) {
            int from = outputs * part / PARTS;
            int to = outputs * (part + 1) / PARTS;
            // Outputs are independent: both cores share them, each writing only its own column.
            IntStream.range(from, to).parallel().forEach(o -> steps.addAndGet(
                    output(gram, rhs, md, start, keep, outputs, ridge, maxSteps, width, result, o)));
            double elapsed = (System.nanoTime() - started) / 1e9;
            progress.accept(String.format(Locale.ROOT,
                    "re-fitting the swept mask per output, %d of %d outputs, %.1f conjugate-gradient steps each;"
                            + " %.1f s elapsed, about %.0f s left",
                    to, outputs, to == 0 ? 0 : steps.get() / (double) to, elapsed,
                    to == 0 ? 0 : elapsed * (outputs - to) / to));
        }
        return result;
    }

    /** Re-fits output {@code o} into {@code result}; returns the steps it took. */
    private static int output(double[] gram, double[] rhs, double[] md, double[] start, boolean[] keep, int outputs,
            double ridge, int maxSteps, int width, double[] result, int o) {
        int[] kept = new int[width];
        int k = 0;
        for (int f = 0; f < width; f++) {
            if (keep[f * outputs + o]) {
                kept[k++] = f;
            }
        }
        if (k == 0) {
            return 0;
        }
        double trace = 0;
        for (int i = 0; i < k; i++) {
            trace += gram[kept[i] * width + kept[i]];
        }
        double lambda = ridge * trace / k;
        if (!(lambda > 0)) {
            lambda = ridge;
        }
        double[] w = new double[k];
        double[] r = new double[k];
        double[] inverseDiagonal = new double[k];
        double bNorm = 0;
        for (int i = 0; i < k; i++) {
            int at = kept[i] * outputs + o;
            w[i] = start[at];
            double b = rhs[at] + lambda * md[at];
            r[i] = b;
            bNorm += b * b;
            double diagonal = gram[kept[i] * width + kept[i]] + lambda;
            inverseDiagonal[i] = diagonal > 0 ? 1 / diagonal : 1;
        }
        double[] product = new double[k];
        multiply(gram, width, kept, k, lambda, w, product);
        double[] z = new double[k];
        double[] p = new double[k];
        double rz = 0;
        double rr = 0;
        for (int i = 0; i < k; i++) {
            r[i] -= product[i];
            z[i] = r[i] * inverseDiagonal[i];
            p[i] = z[i];
            rz += r[i] * z[i];
            rr += r[i] * r[i];
        }
        double stop = TOLERANCE * TOLERANCE * bNorm;
        int step = 0;
        while (step < maxSteps && rr > stop) {
            multiply(gram, width, kept, k, lambda, p, product);
            double pAp = 0;
            for (int i = 0; i < k; i++) {
                pAp += p[i] * product[i];
            }
            if (!(pAp > 0)) {
                break;
            }
            double alpha = rz / pAp;
            double next = 0;
            rr = 0;
            for (int i = 0; i < k; i++) {
                w[i] += alpha * p[i];
                r[i] -= alpha * product[i];
                z[i] = r[i] * inverseDiagonal[i];
                next += r[i] * z[i];
                rr += r[i] * r[i];
            }
            double beta = next / rz;
            rz = next;
            for (int i = 0; i < k; i++) {
                p[i] = z[i] + beta * p[i];
            }
            step++;
        }
        for (int i = 0; i < k; i++) {
            result[kept[i] * outputs + o] = w[i];
        }
        return step;
    }

    /** {@code out = (G_KK + lambda I) v}, reading the kept rows and columns of {@code gram} in place. */
    private static void multiply(double[] gram, int width, int[] kept, int k, double lambda, double[] v,
            double[] out) {
        for (int i = 0; i < k; i++) {
            int row = kept[i] * width;
            // Four sums in flight instead of one waiting on the last; the order is fixed, so are the bits.
            double s0 = 0;
            double s1 = 0;
            double s2 = 0;
            double s3 = 0;
            int j = 0;
            for (; j + 4 <= k; j += 4) {
                s0 += gram[row + kept[j]] * v[j];
                s1 += gram[row + kept[j + 1]] * v[j + 1];
                s2 += gram[row + kept[j + 2]] * v[j + 2];
                s3 += gram[row + kept[j + 3]] * v[j + 3];
            }
            for (; j < k; j++) {
                s0 += gram[row + kept[j]] * v[j];
            }
            out[i] = (s0 + s1) + (s2 + s3) + lambda * v[i];
        }
    }
}
