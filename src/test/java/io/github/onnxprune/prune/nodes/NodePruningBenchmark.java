package io.github.onnxprune.prune.nodes;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.github.onnxprune.Fixtures;
import io.github.onnxprune.eval.LatencyStats;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.report.FileSizes;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Locale;

/**
 * Prints, for every fixture, size, parameters, MACs, latency and accuracy (without reconstruction) of the
 * original model and of node-pruned ones at 25%, 50% and 75% of units. Latency is measured twice, with the
 * plugin's own evaluator on one intra-op thread: single-sample (median and p95, what the build log reports)
 * and per sample in batches of 64 over the validation set (median of repeated passes), where the fixed cost
 * of an ONNX Runtime call no longer hides the work saved.
 *
 * <p>A command, not a test (surefire runs only *Test classes): timings depend on the machine. Arguments: timed
 * single-sample runs (default 500), batch passes (default 30), scope (layerwise or global, default layerwise).
 */
public final class NodePruningBenchmark {

    private static final int WARM_UP = 50;

    private NodePruningBenchmark() {
    }

    /** Runs the benchmark. */
    public static void main(String[] args) throws OrtException {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 500;
        int passes = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        Scope scope = args.length > 2 ? Scope.parse(args[2]) : Scope.LAYERWISE;
        System.out.printf(Locale.ROOT, "Node pruning benchmark: %d single-sample runs after %d warm-up, %d passes"
                + " in batches of 64, 1 intra-op thread, scope %s%n", runs, WARM_UP, passes, scope.id());
        System.out.printf(Locale.ROOT, "%-18s %6s %8s %8s %8s %9s %10s %9s %12s %9s%n", "model", "units",
                "params", "MACs", "bytes", "deflated", "median us", "p95 us", "batched us", "accuracy");
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            List<Fixtures.Loaded> fixtures = Fixtures.all();
            // The JVM and ONNX Runtime warm up on the first model measured; without this pass its original row
            // would look slower than it is and every pruned row faster.
            byte[] first = fixtures.get(0).model().toByteArray();
            runtime.measureLatency(first, fixtures.get(0).data(), WARM_UP, 20 * runs);
            batchedMicrosPerSample(first, fixtures.get(0).data(), passes);
            for (Fixtures.Loaded fixture : fixtures) {
                for (double sparsity : new double[] {0.0, 0.25, 0.5, 0.75}) {
                    NodePruningResult result = NodePruner.prune(fixture.model(),
                            NodePruningSettings.of(sparsity, scope));
                    byte[] bytes = result.model().toByteArray();
                    LatencyStats single = runtime.measureLatency(bytes, fixture.data(), WARM_UP, runs);
                    System.out.printf(Locale.ROOT, "%-18s %5.0f%% %8d %8d %8d %9d %10.1f %9.1f %12.2f %8.2f%%%n",
                            fixture.name(), sparsity * 100, result.paramsAfter(), result.macsAfter(), bytes.length,
                            FileSizes.deflatedSize(ByteBuffer.wrap(bytes)), single.medianMicros(), single.p95Micros(),
                            batchedMicrosPerSample(bytes, fixture.data(), passes),
                            100 * Fixtures.accuracy(runtime, result.model(), fixture.data()));
                }
            }
        }
    }

    /** Median over passes of the time per sample to run the whole set in batches of 64 on one session. */
    static double batchedMicrosPerSample(byte[] model, ValidationData data, int passes) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Tensor input = data.inputs().values().iterator().next();
        String name = data.inputs().keySet().iterator().next();
        int samples = data.sampleCount();
        List<OnnxTensor> batches = new ArrayList<>();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            try (OrtSession session = env.createSession(model, options)) {
                for (int from = 0; from < samples; from += 64) {
                    batches.add(input.toOnnxTensor(env, from, Math.min(samples, from + 64)));
                }
                double[] perSample = new double[passes];
                for (int pass = -1; pass < passes; pass++) {
                    long start = System.nanoTime();
                    for (OnnxTensor batch : batches) {
                        session.run(Map.of(name, batch)).close();
                    }
                    if (pass >= 0) {
                        perSample[pass] = (System.nanoTime() - start) / 1000.0 / samples;
                    }
                }
                Arrays.sort(perSample);
                return perSample[passes / 2];
            } finally {
                batches.forEach(OnnxTensor::close);
            }
        }
    }
}
