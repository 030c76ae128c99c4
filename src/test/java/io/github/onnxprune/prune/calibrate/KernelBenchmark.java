package io.github.onnxprune.prune.calibrate;

import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.CommonOps_MT_DDRM;
import org.ejml.dense.row.decomposition.TriangularSolver_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.CholeskyDecomposition_F64;

/**
 * Times the weight reconstruction's kernels against EJML (org.ejml:ejml-ddense, single-threaded and its
 * {@code _MT_} concurrent operations) on MiniLM's real sizes: {@code X^T X} of 5315 calibration rows (the
 * benchmark's real tokens) of width 384 and 1536, {@code G M} for 384x384, 384x1536 and 1536x384 weights, and
 * the Cholesky factor of a 1536-wide Hessian. Prints the best of three runs of each. Not a test (README has the
 * command); EJML is a test dependency only for this comparison.
 */
public final class KernelBenchmark {

    private KernelBenchmark() {
    }

    /** Runs the benchmark. */
    public static void main(String[] args) {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 5315;
        SplittableRandom random = new SplittableRandom(1);
        for (int width : new int[] {384, 1536}) {
            float[] x = new float[rows * width];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) random.nextGaussian();
            }
            Features features = new Features(x, rows, width);
            time("gram " + rows + "x" + width + ", hand-written, float rows (2 threads)",
                    () -> RowProducts.gram(features));
            time("gram " + rows + "x" + width + ", hand-written, double chunks (2 threads)",
                    () -> gramOfDoubles(features));
            double[] m = new double[width * 384];
            for (int i = 0; i < m.length; i++) {
                m[i] = random.nextGaussian();
            }
            time("X M " + rows + "x" + width + " by " + width + "x384, hand-written (2 threads)",
                    () -> RowProducts.product(features, m, 384));
            DMatrixRMaj dm = DMatrixRMaj.wrap(width, 384, m);
            time("X M " + rows + "x" + width + " by " + width + "x384, EJML MT mult (2 threads, with float->double)",
                    () -> {
                        DMatrixRMaj dxx = new DMatrixRMaj(rows, width);
                        for (int i = 0; i < x.length; i++) {
                            dxx.data[i] = x[i];
                        }
                        DMatrixRMaj c = new DMatrixRMaj(rows, 384);
                        CommonOps_MT_DDRM.mult(dxx, dm, c);
                        return c;
                    });
            DMatrixRMaj dx = new DMatrixRMaj(rows, width);
            time("gram " + rows + "x" + width + ", EJML multInner (1 thread, with float->double)", width > 384 ? 1 : 3,
                    () -> {
                for (int i = 0; i < x.length; i++) {
                    dx.data[i] = x[i];
                }
                DMatrixRMaj g = new DMatrixRMaj(width, width);
                CommonOps_DDRM.multInner(dx, g);
                return g;
            });
            time("gram " + rows + "x" + width + ", EJML MT multTransA (2 threads, with float->double)", () -> {
                for (int i = 0; i < x.length; i++) {
                    dx.data[i] = x[i];
                }
                DMatrixRMaj g = new DMatrixRMaj(width, width);
                CommonOps_MT_DDRM.multTransA(dx, dx, g);
                return g;
            });
        }
        for (int[] size : new int[][] {{384, 384}, {384, 1536}, {1536, 384}}) {
            int n = size[0];
            int m = size[1];
            double[] g = spd(n, random);
            double[] w = new double[n * m];
            for (int i = 0; i < w.length; i++) {
                w[i] = random.nextGaussian();
            }
            String label = "G M " + n + "x" + n + " by " + n + "x" + m;
            time(label + ", hand-written (2 threads)", () -> RowProducts.gramProduct(g, n, w, m));
            DMatrixRMaj dg = DMatrixRMaj.wrap(n, n, g);
            DMatrixRMaj dw = DMatrixRMaj.wrap(n, m, w);
            time(label + ", EJML mult (1 thread)", () -> {
                DMatrixRMaj c = new DMatrixRMaj(n, m);
                CommonOps_DDRM.mult(dg, dw, c);
                return c;
            });
            time(label + ", EJML MT mult (2 threads)", () -> {
                DMatrixRMaj c = new DMatrixRMaj(n, m);
                CommonOps_MT_DDRM.mult(dg, dw, c);
                return c;
            });
        }
        for (int n : new int[] {384, 1536}) {
            double[] h = spd(n, random);
            time("inverse Cholesky factor " + n + ", hand-written", () -> SparseSweep.inverseFactor(h, n));
            time("Cholesky " + n + " + inverse, EJML (1 thread)", () -> {
                DMatrixRMaj a = DMatrixRMaj.wrap(n, n, h.clone());
                CholeskyDecomposition_F64<DMatrixRMaj> chol = DecompositionFactory_DDRM.chol(n, true);
                if (!chol.decompose(a)) {
                    throw new IllegalStateException("not positive definite");
                }
                DMatrixRMaj l = chol.getT(null);
                TriangularSolver_DDRM.invertLower(l.data, n);
                return l;
            });
        }
    }

    /** Rows converted to double per pass of {@link #gramOfDoubles}: 256 rows of 1536 features are 3 MiB. */
    static final int GRAM_CHUNK = 256;

    /**
     * A candidate kernel, measured and not adopted: {@code X^T X} as {@link RowProducts#gram}, but each chunk of
     * {@link #GRAM_CHUNK} rows is first converted to double and taken eight rows at a time: the inner loop then reads
     * and writes doubles only, which the JIT turns into vector instructions (a loop that mixes float and double is left
     * scalar by Java 17's compiler).
     */
    static double[] gramOfDoubles(Features xc) {
        int width = xc.cols();
        int rows = xc.rows();
        double[] gram = new double[width * width];
        float[] c = xc.data();
        double[] chunk = new double[GRAM_CHUNK * width];
        for (int first = 0; first < rows; first += GRAM_CHUNK) {
            int count = Math.min(GRAM_CHUNK, rows - first);
            for (int k = 0; k < count * width; k++) {
                chunk[k] = c[first * width + k];
            }
            SparseSweep.inChunks(width, (from, to) -> {
                int r = 0;
                for (; r + 8 <= count; r += 8) {
                    int b0 = r * width;
                    int b1 = b0 + width;
                    int b2 = b1 + width;
                    int b3 = b2 + width;
                    int b4 = b3 + width;
                    int b5 = b4 + width;
                    int b6 = b5 + width;
                    int b7 = b6 + width;
                    for (int i = from; i < to; i++) {
                        double x0 = chunk[b0 + i];
                        double x1 = chunk[b1 + i];
                        double x2 = chunk[b2 + i];
                        double x3 = chunk[b3 + i];
                        double x4 = chunk[b4 + i];
                        double x5 = chunk[b5 + i];
                        double x6 = chunk[b6 + i];
                        double x7 = chunk[b7 + i];
                        int g = i * width;
                        for (int j = i; j < width; j++) {
                            double sum = gram[g + j];
                            sum += x0 * chunk[b0 + j];
                            sum += x1 * chunk[b1 + j];
                            sum += x2 * chunk[b2 + j];
                            sum += x3 * chunk[b3 + j];
                            sum += x4 * chunk[b4 + j];
                            sum += x5 * chunk[b5 + j];
                            sum += x6 * chunk[b6 + j];
                            sum += x7 * chunk[b7 + j];
                            gram[g + j] = sum;
                        }
                    }
                }
                for (; r < count; r++) {
                    int base = r * width;
                    for (int i = from; i < to; i++) {
                        double xi = chunk[base + i];
                        int g = i * width;
                        for (int j = i; j < width; j++) {
                            gram[g + j] += xi * chunk[base + j];
                        }
                    }
                }
            });
        }
        for (int i = 0; i < width; i++) {
            for (int j = 0; j < i; j++) {
                gram[i * width + j] = gram[j * width + i];
            }
        }
        return gram;
    }

    private static double[] spd(int n, SplittableRandom random) {
        int rows = 2 * n;
        float[] x = new float[rows * n];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        double[] g = RowProducts.gram(new Features(x, rows, n));
        for (int i = 0; i < n; i++) {
            g[i * n + i] += 1;
        }
        return g;
    }

    private static void time(String label, Supplier<Object> work) {
        time(label, 3, work);
    }

    private static void time(String label, int runs, Supplier<Object> work) {
        double best = Double.MAX_VALUE;
        for (int run = 0; run < runs; run++) {
            long start = System.nanoTime();
            work.get();
            best = Math.min(best, (System.nanoTime() - start) / 1e6);
        }
        System.out.printf(Locale.ROOT, "%-80s %9.1f ms%n", label, best);
    }
}
