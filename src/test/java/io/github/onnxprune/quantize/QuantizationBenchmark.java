package io.github.onnxprune.quantize;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.Fixtures;
import io.github.onnxprune.TestGraphs;
import io.github.onnxprune.eval.BatchLatencyStats;
import io.github.onnxprune.eval.LatencyStats;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.prune.MagnitudePruner;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.WeightPruningSettings;
import io.github.onnxprune.prune.WeightSelector;
import io.github.onnxprune.prune.calibrate.ActivationCollector;
import io.github.onnxprune.report.FileSizes;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Prints, per fixture, size (raw and deflated), accuracy and latency (single-sample median, per sample in
 * batches of 64) of the float model, its int8 form, and the int8 form of its 50% magnitude-pruned weights (how
 * sparsity and int8 compound in the jar); then one 768x3072 MatMul float against int8 per sample in batches of
 * 128 rows and for single rows, which shows whether this processor runs int8 faster at all. Calibration is the
 * fixture's validation set (Conv needs it), so the accuracy column is on calibrated-on data. The machine's
 * two cores are shared, so each model is timed in {@value #ROUNDS} rounds interleaved with the other forms of
 * its fixture and the best round is printed.
 *
 * <p>A command, not a test (surefire runs only *Test classes): timings depend on the machine. Arguments:
 * single-sample runs (default 2000), batched passes (default 31).
 */
public final class QuantizationBenchmark {

    private static final int WARM_UP = 200;

    private static final int ROUNDS = 3;

    private QuantizationBenchmark() {
    }

    /** Runs the benchmark. */
    public static void main(String[] args) {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        int passes = args.length > 1 ? Integer.parseInt(args[1]) : 31;
        System.out.printf(Locale.ROOT, "Quantization benchmark: %d single-sample runs after %d warm-up, %d passes in"
                + " batches of 64, 1 intra-op thread%n", runs, WARM_UP, passes);
        System.out.printf(Locale.ROOT, "%-18s %-10s %8s %9s %9s %10s %12s %9s%n", "model", "form", "bytes",
                "deflated", "int8 lay.", "median us", "batched us", "accuracy");
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            List<Fixtures.Loaded> fixtures = Fixtures.all();
            // Warms the JVM and ONNX Runtime up on the first model, so its first row is not the slowest.
            time(runtime, fixtures.get(0), fixtures.get(0).model(), runs, passes);
            for (Fixtures.Loaded fixture : fixtures) {
                ActivationCollector calibration = new ActivationCollector(runtime, fixture.data(), 512, 64);
                QuantizationResult int8 = Int8Quantizer.quantize(fixture.model(), QuantizationSettings.defaults(),
                        calibration);
                ModelGraph graph = ModelGraph.of(fixture.model());
                ModelProto pruned = MagnitudePruner.prune(graph, WeightSelector.select(graph, TensorFilter.all())
                        .tensors(), new WeightPruningSettings(0.5, Scope.LAYERWISE, List.of())).model();
                QuantizationResult prunedInt8 = Int8Quantizer.quantize(pruned, QuantizationSettings.defaults(),
                        calibration);
                List<ModelProto> models = List.of(fixture.model(), int8.model(), prunedInt8.model());
                double[][] best = new double[models.size()][];
                for (int round = 0; round < ROUNDS; round++) {
                    for (int m = 0; m < models.size(); m++) {
                        double[] timing = time(runtime, fixture, models.get(m), runs, passes);
                        best[m] = best[m] == null ? timing
                                : new double[] {Math.min(best[m][0], timing[0]), Math.min(best[m][1], timing[1])};
                    }
                }
                List<String> forms = List.of("float", "int8", "50%+int8");
                List<String> layers = List.of("", count(int8), count(prunedInt8));
                for (int m = 0; m < models.size(); m++) {
                    byte[] bytes = models.get(m).toByteArray();
                    System.out.printf(Locale.ROOT, "%-18s %-10s %8d %9d %9s %10.1f %12.2f %8.2f%%%n", fixture.name(),
                            forms.get(m), bytes.length, FileSizes.deflatedSize(ByteBuffer.wrap(bytes)), layers.get(m),
                            best[m][0], best[m][1], 100 * Fixtures.accuracy(runtime, models.get(m), fixture.data()));
                }
            }
            matMul(runtime, passes);
        }
    }

    private static String count(QuantizationResult result) {
        return result.layers().stream().filter(QuantizedLayer::quantized).count() + "/" + result.layers().size();
    }

    /** Single-sample median and batched per-sample median, in microseconds. */
    private static double[] time(OnnxRuntimeEvaluator runtime, Fixtures.Loaded fixture, ModelProto model, int runs,
            int passes) {
        byte[] bytes = model.toByteArray();
        LatencyStats single = runtime.measureLatency(bytes, fixture.data(), WARM_UP, runs);
        BatchLatencyStats batched = runtime.measureBatchLatency(bytes, fixture.data(), 64, 3, passes).orElseThrow();
        return new double[] {single.medianMicros(), batched.medianMicrosPerSample()};
    }

    /** One MatMul of a 768x3072 weight, float and int8: per-row time in batches of 128 and for one row. */
    private static void matMul(OnnxRuntimeEvaluator runtime, int passes) {
        ModelProto model = new TestGraphs().input("x", -1, 768).output("y", -1, 3072)
                .initializer("w", TestGraphs.random(11, 768 * 3072), 768, 3072)
                .node("matmul", "MatMul", TestGraphs.in("x", "w"), "y").model(8, 13);
        ModelProto int8 = Int8Quantizer.quantize(model, QuantizationSettings.defaults(), null).model();
        ValidationData rows = new ValidationData(Map.of("x", Tensor.ofFloats(new long[] {512, 768},
                TestGraphs.random(12, 512 * 768))), null, null, Path.of("random rows"));
        System.out.printf(Locale.ROOT, "%nMatMul 768x3072, 1 intra-op thread:%n%-6s %18s %16s%n", "form",
                "batch 128 (us/row)", "one row (us)");
        double[][] best = {{Double.MAX_VALUE, Double.MAX_VALUE}, {Double.MAX_VALUE, Double.MAX_VALUE}};
        List<ModelProto> models = List.of(model, int8);
        for (int round = 0; round < ROUNDS; round++) {
            for (int m = 0; m < models.size(); m++) {
                byte[] bytes = models.get(m).toByteArray();
                best[m][0] = Math.min(best[m][0], runtime.measureBatchLatency(bytes, rows, 128, 3, passes)
                        .orElseThrow().medianMicrosPerSample());
                best[m][1] = Math.min(best[m][1], runtime.measureLatency(bytes, rows, 50, 500).medianMicros());
            }
        }
        for (int m = 0; m < models.size(); m++) {
            System.out.printf(Locale.ROOT, "%-6s %18.2f %16.1f%n", m == 0 ? "float" : "int8", best[m][0],
                    best[m][1]);
        }
        System.out.printf(Locale.ROOT, "int8 speed-up: %.2fx batched, %.2fx one row%n", best[0][0] / best[1][0],
                best[0][1] / best[1][1]);
    }
}
