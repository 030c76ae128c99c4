package io.github.onnxprune.prune.calibrate;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * The per-output least squares on a mask the column sweep chose, solved iteratively: for output o with kept
 * inputs K, Jacobi-preconditioned conjugate gradient on {@code (G_KK + lambda_o I) w = g_K + lambda_o m_K}, the
 * system {@link FitAlgebra#refit} solves exactly (the same per-output ridge {@code lambda_o}, relative to the mean
 * diagonal of {@code G_KK}), started from the sweep's own weights.
 *
 * <p>Why: the exact solve factors a {@code |K| x |K|} matrix per output ({@code |K|^3 / 3} multiply-adds, and two
 * such matrices allocated per output); here each worker copies an output's block of the layer's Gram matrix once
 * into a buffer of its own, reused by its next outputs, and each step is one product with it ({@code |K|^2}) and a
 * few vectors of length {@code |K|}. The sweep's weights are already close (they are exact for the weights after
 * each zero): on MiniLM's first feed-forward output projection 16 steps take 95% of the exact solve's error
 * reduction at about a quarter of its time (docs/reconstruction.md, session 19).
 *
 * <p>Outputs are solved each alone in a fixed order, on both cores, so the bytes are the same on any number of
 * threads.
 */
final class SweptRefit {

    /** Most conjugate-gradient steps per output. */
    static final int MAX_STEPS = 16;

    /** An output stops when its residual is this fraction of its right-hand side's norm. */
    static final double TOLERANCE = 1e-4;

    /** How many outputs are solved at once, each by a worker with its own buffer. */
    private static final int WORKERS = Runtime.getRuntime().availableProcessors();

    /** How many progress lines a re-fit logs. */
    static final int PARTS = 4;

    private SweptRefit() {
    }

    /**
     * The canonical matrix with the {@code keep} weights of each output re-fitted from {@code start} by at most
     * {@code maxSteps} steps ({@link #MAX_STEPS} in a build), the others zero, reporting after each of {@link
     * #PARTS} parts of the outputs how many are done, the mean steps taken, the time and an estimate of what is
     * left.
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
            // Outputs are independent: each worker takes the next one and writes only its column, in a kept x kept
            // buffer of its own that its outputs reuse.
            AtomicInteger next = new AtomicInteger(from);
            IntStream.range(0, WORKERS).parallel().forEach(worker -> {
                double[] sub = null;
                for (int o = next.getAndIncrement(); o < to; o = next.getAndIncrement()) {
                    int[] kept = FitAlgebra.keptInputs(keep, outputs, width, o);
                    if (sub == null || sub.length < kept.length * kept.length) {
                        sub = new double[kept.length * kept.length];
                    }
                    steps.addAndGet(output(gram, rhs, md, start, kept, outputs, ridge, maxSteps, width, result, o,
                            sub));
                }
            });
            double elapsed = (System.nanoTime() - started) / 1e9;
            progress.accept(String.format(Locale.ROOT,
                    "re-fitting the swept mask per output, %d of %d outputs, %.1f conjugate-gradient steps each;"
                            + " %.1f s elapsed, about %.0f s left",
                    to, outputs, to == 0 ? 0 : steps.get() / (double) to, elapsed,
                    to == 0 ? 0 : elapsed * (outputs - to) / to));
        }
        return result;
    }

    /**
     * Re-fits output {@code o}, whose kept inputs are {@code kept}, into {@code result}, with {@code sub} (at least
     * kept x kept) to work in.
     */
    private static int output(double[] gram, double[] rhs, double[] md, double[] start, int[] kept, int outputs,
            double ridge, int maxSteps, int width, double[] result, int o, double[] sub) {
        int k = kept.length;
        if (k == 0) {
            return 0;
        }
        // G_KK copied once: each step then reads contiguous rows; its ridge is the exact solve's.
        for (int i = 0; i < k; i++) {
            int row = kept[i] * width;
            for (int j = 0; j < k; j++) {
                sub[i * k + j] = gram[row + kept[j]];
            }
        }
        double lambda = FitAlgebra.lambda(sub, k, ridge);
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
        for (int i = 0; i < k; i++) {
            sub[i * k + i] += lambda;
        }
        double[] product = new double[k];
        multiply(sub, k, w, product);
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
            multiply(sub, k, p, product);
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

    /**
     * {@code out = A v} for the symmetric {@code k x k} matrix in {@code a}, as a sum of its rows scaled by {@code
     * v}: the inner loop runs over contiguous doubles (vectorised), each element summed in the same order always.
     */
    private static void multiply(double[] a, int k, double[] v, double[] out) {
        java.util.Arrays.fill(out, 0, k, 0);
        for (int j = 0; j < k; j++) {
            double factor = v[j];
            if (factor == 0) {
                continue;
            }
            int row = j * k;
            for (int i = 0; i < k; i++) {
                out[i] += factor * a[row + i];
            }
        }
    }
}
