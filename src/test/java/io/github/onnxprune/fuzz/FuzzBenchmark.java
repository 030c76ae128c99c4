package io.github.onnxprune.fuzz;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The long fuzz run: {@code FuzzBenchmark [cases] [seed] [first]} (default 3000 cases from case 0, seed 1) runs
 * that many seeded cases and prints how many ended in each outcome, per mutation, and every defect found. Exits
 * with status 1 when a case ended in an unworded failure or a wrong exception type. {@code -Dfuzz.trace=true}
 * prints each case before it runs, to find one that crashes the JVM.
 */
public final class FuzzBenchmark {

    private FuzzBenchmark() {
    }

    public static void main(String[] args) throws IOException {
        int cases = args.length > 0 ? Integer.parseInt(args[0]) : 3000;
        long seed = args.length > 1 ? Long.parseLong(args[1]) : 1;
        int first = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        boolean trace = Boolean.getBoolean("fuzz.trace");
        Path work = Files.createTempDirectory("onnx-prune-fuzz");
        Fuzzer fuzzer = new Fuzzer(seed, work, 4);
        Map<Fuzzer.Outcome, Integer> totals = new EnumMap<>(Fuzzer.Outcome.class);
        Map<Fuzzer.Mutation, Map<Fuzzer.Outcome, Integer>> byMutation = new TreeMap<>();
        int defects = 0;
        long start = System.nanoTime();
        for (int i = first; i < first + cases; i++) {
            Fuzzer.Result result = fuzzer.run(i, trace ? System.out::println : description -> { });
            totals.merge(result.outcome(), 1, Integer::sum);
            byMutation.computeIfAbsent(result.mutation(), m -> new EnumMap<>(Fuzzer.Outcome.class))
                    .merge(result.outcome(), 1, Integer::sum);
            if (result.defect()) {
                defects++;
                System.out.println("DEFECT case " + i + " (" + result.mutation() + "): " + result.detail());
                if (result.error() != null && defects <= 5) {
                    result.error().printStackTrace(System.out);
                }
            }
            if ((i + 1 - first) % 500 == 0) {
                System.out.printf(Locale.ROOT, "%d of %d cases, %.1f s%n", i + 1 - first, cases,
                        (System.nanoTime() - start) / 1e9);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "%d cases (seed %d) in %.1f s (%.1f ms per case)%n", cases, seed, seconds,
                seconds * 1000 / cases);
        System.out.println("outcomes: " + totals);
        for (Map.Entry<Fuzzer.Mutation, Map<Fuzzer.Outcome, Integer>> entry : byMutation.entrySet()) {
            System.out.printf(Locale.ROOT, "  %-24s %s%n", entry.getKey(), entry.getValue());
        }
        try (var left = Files.list(work)) {
            System.out.println("files left in the work folder: " + left.count());
        }
        Files.deleteIfExists(work);
        System.exit(defects == 0 ? 0 : 1);
    }
}
