package io.github.onnxprune.prune.calibrate;

import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Times one node-compensation fit of a MiniLM feed-forward output projection as the plugin makes it (a first fit
 * on four fifths of the rows, judged on the held-back fifth against the plain pruned and the mean-compensated
 * layer, then the fit on every row), the way it was made before (the normal equations' right-hand side {@code
 * (Z^T X_orig) M}, row by row on one thread, each candidate's output error computed again from the original rows)
 * against the way it is made now ({@code T = X_orig M} once on both cores, {@code Z^T T}, the held-back rows'
 * equations added to the first fit's). Random rows of MiniLM's sizes: 1536 features plus the 384 residual columns,
 * 75% of the features kept, 384 outputs. Prints wall and process CPU time of each, and the largest relative
 * difference of the weights. Not a test; arguments: rows (default 16384, the 2800-sentence profile's), kept
 * fraction (default 0.75), runs (default 1).
 */
public final class CompensationFitBenchmark {

    private CompensationFitBenchmark() {
    }

    /** Runs the benchmark. */
    public static void main(String[] args) {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 16384;
        double keep = args.length > 1 ? Double.parseDouble(args[1]) : 0.75;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        int features = 1536;
        int outputs = 384;
        int cols = features + outputs;
        SplittableRandom random = new SplittableRandom(3);
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) {
            // GELU outputs: about a third near zero; the residual columns dense.
            x[i] = i % cols < features && random.nextInt(3) == 0 ? 0 : (float) random.nextGaussian();
        }
        Features original = new Features(x, rows, cols);
        double[] m = new double[cols * outputs];
        for (int i = 0; i < m.length; i++) {
            m[i] = random.nextGaussian() / 40;
        }
        int[] kept = java.util.stream.IntStream.range(0, features).filter(f -> f % 4 < keep * 4).toArray();
        int k = kept.length;
        float[] c = new float[rows * k];
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < k; i++) {
                float v = x[r * cols + kept[i]];
                c[r * k + i] = v == 0 ? 0 : v + (float) (0.05 * random.nextGaussian());
            }
        }
        Features current = new Features(c, rows, k);
        int[] all = java.util.stream.IntStream.range(0, outputs).toArray();
        double[] bias = new double[outputs];
        Fit.Problem problem = new Fit.Problem(original, m, outputs, kept, all, bias, true);
        System.out.printf(Locale.ROOT, "%d rows, %d of %d features kept (+%d residual columns), %d outputs,"
                + " %d processors%n", rows, k, features, outputs, outputs, Runtime.getRuntime().availableProcessors());
        double[][] before = new double[1][];
        double[][] now = new double[1][];
        for (int run = 0; run < runs; run++) {
            time("before (Z^T X_orig row by row, one thread)", () -> before[0] = before(problem, current));
            time("now (T = X_orig M once, Z^T T, equations added; both cores)", () -> now[0] = now(problem, current));
        }
        double largest = 0;
        double difference = 0;
        for (int i = 0; i < now[0].length; i++) {
            largest = Math.max(largest, Math.abs(before[0][i]));
            difference = Math.max(difference, Math.abs(before[0][i] - now[0][i]));
        }
        System.out.printf(Locale.ROOT, "largest weight difference %.3g of the largest weight %.3g%n", difference,
                largest);
    }

    /** The flow of a compensated layer now, as NodeCompensation makes it; returns the weights of the final fit. */
    private static double[] now(Fit.Problem problem, Features current) {
        HeldBack held = HeldBack.split(problem.original(), current, 5);
        Fit.Problem fitted = new Fit.Problem(held.fitOriginal(), problem.m(), problem.outputs(),
                problem.keptFeatures(), problem.keptOutputs(), problem.bias(), true);
        double[] target = problem.target();
        double[][] targets = held.split(target, problem.keptOutputs().length);
        Fit.Equations first = fitted.equations(held.fitCurrent(), targets[0]);
        Fit.Solution solution = fitted.solve(first, 0.05);
        double[] pruned = fitted.prunedWeights();
        held.error(fitted, targets[1], pruned, problem.bias());
        held.error(fitted, targets[1], solution.weights(), solution.bias());
        held.error(fitted, targets[1], pruned, fitted.meanCompensatedBias());
        return problem.solve(first.plus(fitted.equations(held.heldCurrent(), targets[1])), 0.05).weights();
    }

    /** The flow as it was before (Fit and HeldBack at c3a1fee's parent), on one thread. */
    private static double[] before(Fit.Problem problem, Features current) {
        HeldBack held = HeldBack.split(problem.original(), current, 5);
        Fit.Problem fitted = new Fit.Problem(held.fitOriginal(), problem.m(), problem.outputs(),
                problem.keptFeatures(), problem.keptOutputs(), problem.bias(), true);
        double[][] solution = leastSquares(fitted, held.fitCurrent());
        double[] pruned = fitted.prunedWeights();
        error(held, fitted, pruned, problem.bias());
        error(held, fitted, solution[0], solution[1]);
        error(held, fitted, pruned, fitted.meanCompensatedBias());
        return leastSquares(problem, current)[0];
    }

    private static double[][] leastSquares(Fit.Problem p, Features current) {
        int k = p.keptFeatures().length;
        int d = k + 1;
        int n = p.keptOutputs().length;
        int cols = p.original().cols();
        int rows = current.rows();
        double[] gram = new double[d * d];
        double[] cross = new double[d * cols];
        double[] z = new double[d];
        float[] xc = current.data();
        float[] xo = p.original().data();
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < k; i++) {
                z[i] = xc[r * k + i];
            }
            z[k] = 1.0;
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
        double[] rhs = new double[d * n];
        for (int i = 0; i < d; i++) {
            for (int f = 0; f < cols; f++) {
                double value = cross[i * cols + f];
                if (value == 0) {
                    continue;
                }
                for (int j = 0; j < n; j++) {
                    rhs[i * n + j] += value * p.m()[f * p.outputs() + p.keptOutputs()[j]];
                }
            }
            double sum = gram[i * d + k];
            for (int j = 0; j < n; j++) {
                rhs[i * n + j] += sum * p.bias()[j];
            }
        }
        double[] pruned = p.prunedWeights();
        double[] prior = new double[d * n];
        System.arraycopy(pruned, 0, prior, 0, pruned.length);
        System.arraycopy(p.meanCompensatedBias(), 0, prior, k * n, n);
        double[] theta = RidgeLeastSquares.solve(gram, d, rhs, prior, n, 0.05);
        double[] weights = java.util.Arrays.copyOf(theta, k * n);
        double[] newBias = java.util.Arrays.copyOfRange(theta, k * n, d * n);
        errors(p, current, pruned, weights, newBias);
        return new double[][] {weights, newBias};
    }

    private static double errors(Fit.Problem p, Features current, double[] pruned, double[] weights,
            double[] newBias) {
        int k = p.keptFeatures().length;
        int n = p.keptOutputs().length;
        int cols = p.original().cols();
        double[] target = new double[n];
        double before = 0;
        double after = 0;
        for (int r = 0; r < current.rows(); r++) {
            java.util.Arrays.fill(target, 0);
            for (int f = 0; f < cols; f++) {
                double v = p.original().data()[r * cols + f];
                if (v != 0) {
                    for (int j = 0; j < n; j++) {
                        target[j] += v * p.m()[f * p.outputs() + p.keptOutputs()[j]];
                    }
                }
            }
            for (int j = 0; j < n; j++) {
                double plain = p.bias()[j];
                double fitted = newBias[j];
                for (int i = 0; i < k; i++) {
                    double v = current.data()[r * k + i];
                    plain += v * pruned[i * n + j];
                    fitted += v * weights[i * n + j];
                }
                double t = target[j] + p.bias()[j];
                before += (t - plain) * (t - plain);
                after += (t - fitted) * (t - fitted);
            }
        }
        return after / before;
    }

    private static double error(HeldBack held, Fit.Problem p, double[] weights, double[] bias) {
        int n = p.keptOutputs().length;
        int cols = held.heldOriginal().cols();
        int k = held.heldCurrent().cols();
        double[] target = new double[n];
        double[] output = new double[n];
        double error = 0;
        for (int r = 0; r < held.rows(); r++) {
            for (int j = 0; j < n; j++) {
                target[j] = p.bias()[j];
                output[j] = bias[j];
            }
            for (int f = 0; f < cols; f++) {
                double v = held.heldOriginal().data()[r * cols + f];
                if (v != 0) {
                    for (int j = 0; j < n; j++) {
                        target[j] += v * p.m()[f * p.outputs() + p.keptOutputs()[j]];
                    }
                }
            }
            for (int i = 0; i < k; i++) {
                double v = held.heldCurrent().data()[r * k + i];
                if (v != 0) {
                    for (int j = 0; j < n; j++) {
                        output[j] += v * weights[i * n + j];
                    }
                }
            }
            for (int j = 0; j < n; j++) {
                error += (output[j] - target[j]) * (output[j] - target[j]);
            }
        }
        return error;
    }

    private static void time(String label, Runnable work) {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpu = os.getProcessCpuTime();
        long start = System.nanoTime();
        work.run();
        System.out.printf(Locale.ROOT, "%-64s %8.1f s wall %8.1f s CPU%n", label, (System.nanoTime() - start) / 1e9,
                (os.getProcessCpuTime() - cpu) / 1e9);
    }
}
