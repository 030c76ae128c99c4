package io.github.onnxprune.pipeline;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.sun.management.OperatingSystemMXBean;
import io.github.onnxprune.onnx.ModelBytes;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.onnx.OnnxModelReader;
import io.github.onnxprune.onnx.PatchedSerialization;
import io.github.onnxprune.prune.MagnitudePruner;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.WeightPruningSettings;
import io.github.onnxprune.prune.WeightSelector;
import io.github.onnxprune.ship.AtomicFiles;
import io.github.onnxprune.ship.ChunkedDeflate;
import io.github.onnxprune.ship.ChunksAhead;
import io.github.onnxprune.ship.JarRewriter;
import io.github.onnxprune.ship.Sha256;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.FutureTask;

/**
 * The parts of a plain prune (50% of the weights, nothing measured) timed one by one in one JVM, each the best of
 * several rounds after a warm-up, and in the first round (cold, as in a build's new JVM): wall time and the process's
 * CPU time (both cores). Arguments: the model, a jar
 * holding it (as jar:jar built it: the rewrites replace that entry), the entry's name in the jar, a scratch folder,
 * and the rounds. Not a test
 * (docs/minilm-benchmark.md has the command and the figures).
 */
public final class PlainPruneBenchmark {

    private final Map<String, long[]> best = new LinkedHashMap<>();
    /** Round 0's times: a build runs every part once in a new JVM, before the JIT has compiled it. */
    private final Map<String, long[]> first = new LinkedHashMap<>();

    private PlainPruneBenchmark() {
    }

    /** Runs the parts and prints each one's best wall and CPU time. */
    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        Path jar = Path.of(args[1]);
        String entry = args[2];
        Path scratch = Files.createDirectories(Path.of(args[3]));
        int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 4;
        PlainPruneBenchmark benchmark = new PlainPruneBenchmark();
        for (int round = 0; round <= rounds; round++) {
            if (round == 1) {
                benchmark.first.putAll(benchmark.best);
                benchmark.best.clear();
            }
            ByteBuffer originalBytes = OnnxModelReader.map(model);
            ModelProto parsed = benchmark.time("map, parse and validate the model",
                    () -> OnnxModelReader.parse(model, originalBytes));
            MagnitudePruner.Result pruned = benchmark.time("select the weights and prune 50%", () -> {
                ModelGraph graph = ModelGraph.of(parsed);
                return MagnitudePruner.prune(graph, WeightSelector.select(graph, TensorFilter.all()).tensors(),
                        new WeightPruningSettings(0.5, Scope.LAYERWISE, List.of()));
            });
            ByteBuffer bytes = benchmark.time("serialize the pruned model", () -> ModelBytes.serialize(pruned.model()));
            PatchedSerialization.Serialized serialized = benchmark.time("patch the original's bytes instead",
                    () -> PatchedSerialization.serialize(parsed, originalBytes, pruned.model()));
            ByteBuffer patched = serialized.bytes();
            if (!patched.equals(bytes)) {
                throw new IllegalStateException("the patched bytes differ from the serialized ones");
            }
            benchmark.time("write the model file (with fsync)", () -> {
                AtomicFiles.write(scratch.resolve("model.onnx"), bytes);
                return null;
            });
            benchmark.time("SHA-256 of the pruned model", () -> RunFingerprint.sha256(bytes));
            Sha256.Prefixes original;
            try (InputStream in = Files.newInputStream(model)) {
                original = Sha256.withPrefixes(in);
            }
            String continued = benchmark.time("SHA-256 of it continued from the original's",
                    () -> original.continued(bytes, serialized.originalPrefix()));
            if (!continued.equals(RunFingerprint.sha256(bytes))) {
                throw new IllegalStateException("the continued SHA-256 differs from the whole one");
            }
            benchmark.time("deflate the entry, 1 thread", () -> ChunkedDeflate.deflate(bytes, 1,
                    OutputStream.nullOutputStream()));
            benchmark.time("deflate the entry, 2 threads", () -> ChunkedDeflate.deflate(bytes, 2,
                    OutputStream.nullOutputStream()));
            try (ChunksAhead ahead = new ChunksAhead(Long.MAX_VALUE)) {
                benchmark.time("deflate the original's chunks ahead, 1 thread", () -> {
                    ahead.deflateAhead(originalBytes);
                    ahead.awaitIdle();
                    return null;
                });
                benchmark.time("deflate the entry, 2 threads, chunks from ahead", () -> ChunkedDeflate.deflate(bytes, 2,
                        OutputStream.nullOutputStream(), ahead));
            }
            Path copy = scratch.resolve("project.jar");
            Files.copy(jar, copy, StandardCopyOption.REPLACE_EXISTING);
            benchmark.time("rewrite the jar (deflate on every core, fsync)",
                    () -> JarRewriter.rewrite(copy, copy, Map.of(entry, bytes)));
            Path shipped = scratch.resolve("shipped.jar");
            Files.copy(copy, shipped, StandardCopyOption.REPLACE_EXISTING);
            Files.copy(jar, copy, StandardCopyOption.REPLACE_EXISTING);
            benchmark.time("rewrite the jar, entry copied from a kept jar",
                    () -> JarRewriter.rewrite(copy, copy, Map.of(entry, bytes), List.of(shipped)));
            Files.copy(jar, copy, StandardCopyOption.REPLACE_EXISTING);
            benchmark.time("SHA-256 and model file, then the rewrite", () -> {
                RunFingerprint.sha256(bytes);
                AtomicFiles.write(scratch.resolve("model.onnx"), bytes);
                return JarRewriter.rewrite(copy, copy, Map.of(entry, bytes));
            });
            Files.copy(jar, copy, StandardCopyOption.REPLACE_EXISTING);
            benchmark.time("SHA-256 and model file beside the rewrite", () -> {
                FutureTask<String> beside = new FutureTask<>(() -> {
                    String sha256 = RunFingerprint.sha256(bytes);
                    AtomicFiles.write(scratch.resolve("model.onnx"), bytes);
                    return sha256;
                });
                new Thread(beside).start();
                boolean changed = JarRewriter.rewrite(copy, copy, Map.of(entry, bytes));
                beside.get();
                return changed;
            });
        }
        System.out.printf(Locale.ROOT, "%-48s %22s  %22s%n", "", "first round (cold JIT)", "best of the others");
        benchmark.best.forEach((part, times) -> {
            long[] cold = benchmark.first.getOrDefault(part, times);
            System.out.printf(Locale.ROOT, "%-48s wall %5.0f cpu %5.0f ms  wall %5.0f cpu %5.0f ms%n", part,
                    cold[0] / 1e6, cold[1] / 1e6, times[0] / 1e6, times[1] / 1e6);
        });
    }

    /** A part of the run, returning what the next part needs. */
    private interface Part<T> {
        T run() throws Exception;
    }

    private <T> T time(String name, Part<T> part) throws Exception {
        long cpu = cpu();
        long wall = System.nanoTime();
        T result = part.run();
        long[] times = best.computeIfAbsent(name, n -> new long[] {Long.MAX_VALUE, Long.MAX_VALUE});
        times[0] = Math.min(times[0], System.nanoTime() - wall);
        times[1] = Math.min(times[1], cpu() - cpu);
        return result;
    }

    private static long cpu() {
        return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }
}
