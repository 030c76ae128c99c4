package io.github.onnxprune.prune.calibrate;

import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ForkJoinPool;
import java.util.function.Supplier;

/**
 * Times the compensated ranking of one MiniLM feed-forward group on its real sizes (1536 features read by 384
 * outputs, 608 units removed, covariance of 5315 rows by default) phase by phase: covariance, inverse, output
 * variance and the greedy removal, each on one thread and on the common pool, wall time and the process's CPU
 * time (which other users' load disturbs less). Not a test: docs/transformers.md has the command.
 */
public final class CompensatedRankingBenchmark {

    private CompensatedRankingBenchmark() {
    }

    /** Runs it: {@code [rows [features [outputs [removals]]]]}. */
    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 5315;
        int features = args.length > 1 ? Integer.parseInt(args[1]) : 1536;
        int outputs = args.length > 2 ? Integer.parseInt(args[2]) : 384;
        int removals = args.length > 3 ? Integer.parseInt(args[3]) : 608;
        SplittableRandom random = new SplittableRandom(1);
        float[] x = new float[rows * features];
        for (int i = 0; i < x.length; i++) {
            // Correlated neighbours, so the inverse is not diagonal.
            x[i] = (float) (random.nextGaussian() + (i % features > 0 ? 0.5 * x[i - 1] : 0));
        }
        double[] w = new double[features * outputs];
        for (int i = 0; i < w.length; i++) {
            w[i] = random.nextGaussian();
        }
        ForkJoinPool one = new ForkJoinPool(1);
        try {
            for (ForkJoinPool pool : new ForkJoinPool[] {one, ForkJoinPool.commonPool()}) {
                String threads = pool == one ? "1 thread" : (pool.getParallelism() + 1) + " threads";
                double[] c = time("covariance " + rows + "x" + features + ", " + threads, pool,
                        () -> CompensatedRanking.covariance(x, rows, features));
                time("inverse " + features + ", " + threads, pool,
                        () -> CompensatedRanking.inverse(c, features, CompensatedRanking.RIDGE));
                time("output variance, " + threads, pool,
                        () -> CompensatedRanking.outputVariance(c, features, w, outputs));
                time("inverse and greedy removal of " + removals + ", " + threads, pool,
                        () -> CompensatedRanking.costs(c, features, w, outputs, 1, removals, CompensatedRanking.RIDGE));
            }
        } finally {
            one.shutdown();
        }
    }

    private static <T> T time(String label, ForkJoinPool pool, Supplier<T> work) throws Exception {
        com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
                ManagementFactory.getOperatingSystemMXBean();
        long cpu = os.getProcessCpuTime();
        long start = System.nanoTime();
        T result = pool.submit(work::get).get();
        System.out.printf(Locale.ROOT, "%-60s %7.2f s wall %7.2f s CPU%n", label, (System.nanoTime() - start) / 1e9,
                (os.getProcessCpuTime() - cpu) / 1e9);
        return result;
    }
}
