package io.github.onnxprune.prune.nodes;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import io.github.onnxprune.MiniLmFigures;
import io.github.onnxprune.eval.BatchLatencyStats;
import io.github.onnxprune.eval.ModelSignature;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.eval.ValidationDataReader;
import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.SparsityOverride;
import io.github.onnxprune.prune.calibrate.ActivationCollector;
import io.github.onnxprune.prune.calibrate.CompensatedRanking;
import io.github.onnxprune.prune.calibrate.CompensationProperties;
import io.github.onnxprune.prune.calibrate.FeatureVariances;
import io.github.onnxprune.prune.calibrate.NodeCompensation;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Removes attention heads and feed-forward units from a real sentence-embedding transformer (all-MiniLM-L6-v2,
 * read from the langchain4j jar in the local Maven repository; never part of the build) and prints, per
 * fraction: encoder multiply-adds per token, mean-pooled cosine to the original on the held-out sentences of
 * benchmarks/minilm (plain and compensated on its 256 calibration sentences) and batched latency.
 *
 * <p>Arguments: fractions (comma-separated, default 0.25,0.4), scope (default layerwise), importance (l1, l2,
 * fluctuation or compensated ({@link CompensatedRanking}), default fluctuation), the most calibration rows (tokens) per
 * re-fitted layer (default 8192, the plugin's; 0 skips compensation and prints only the plain cosine;
 * {@code -DholdBack=k} holds every k-th row back to judge each fit, 0 fits on all, default the plugin's;
 * {@code -Dridge=r} the fits' relative ridge (token sequences' too, unless {@code -DsequenceRidge=r} sets theirs);
 * {@code -Dresidual=false} fits layers that add into a residual stream to their own output instead of the original sum
 * ({@link NodeCompensation.Options#residual}); {@code -Doverrides=*intermediate*=0.38,*query*=0} sets the fraction of
 * the groups whose layers match), the model jar or .onnx (default the jar in ~/.m2), the folder with validation.npz and
 * calibration.npz (default benchmarks/minilm/src/data).
 */
public final class TransformerPruningBenchmark {

    private TransformerPruningBenchmark() {
    }

    /** Runs the benchmark. */
    public static void main(String[] args) throws Exception {
        String[] fractions = (args.length > 0 ? args[0] : "0.25,0.4").split(",");
        Scope scope = args.length > 1 ? Scope.parse(args[1]) : Scope.LAYERWISE;
        String ranking = args.length > 2 ? args[2] : "fluctuation";
        // "compensated": CompensatedRanking where one layer reads a group, fluctuation elsewhere.
        UnitImportance importance = UnitImportance.parse(ranking);
        boolean compensatedRanking = importance == UnitImportance.COMPENSATED;
        int maxRows = args.length > 3 ? Integer.parseInt(args[3]) : NodeCompensation.Options.defaults().maxRows();
        Path source = args.length > 4 ? Path.of(args[4])
                : MiniLmFigures.JAR;
        Path dataDir = Path.of(args.length > 5 ? args[5] : "benchmarks/minilm/src/data");
        NodeCompensation.Options options = CompensationProperties.options(maxRows);
        // -Doverrides=pattern=fraction,... sets a group's fraction by its layers' names (allocation experiments).
        List<SparsityOverride> overrides = System.getProperty("overrides", "").isBlank() ? List.of()
                : java.util.Arrays.stream(System.getProperty("overrides").split(",")).map(SparsityOverride::parse)
                        .toList();
        ModelProto model = MiniLmFigures.model(source);
        ModelSignature signature = ModelSignature.of(model);
        ValidationData validation = ValidationDataReader.read(dataDir.resolve("validation.npz"), signature, "labels");
        ValidationData calibration = ValidationDataReader.read(dataDir.resolve("calibration.npz"), signature,
                "labels");
        double tokens = meanTokens(validation);
        System.out.printf(Locale.ROOT, "%s: %d validation sentences (%.1f tokens on average), %d calibration,"
                + " scope %s, importance %s, at most %d rows per fit, ridge %s, residual target %s,"
                + " 1 intra-op thread, batches of 64%n",
                source.getFileName(), validation.sampleCount(), tokens, calibration.sampleCount(), scope.id(),
                ranking + (overrides.isEmpty() ? "" : ", overrides " + System.getProperty("overrides")), maxRows,
                options.ridge() + " (token sequences " + options.sequenceRidge() + ")", options.residual());
        System.out.printf(Locale.ROOT, "%-9s %7s %12s %9s %10s %12s %10s %8s%n", "fraction", "heads", "FFN units",
                "MACs/tok", "MACs", "cosine plain", "cosine fit", "latency");
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            float[][] reference = MiniLmFigures.pooled(runtime, model, validation);
            double baseLatency = latency(runtime, model, validation);
            long baseMacs = encoderMacs(model, tokens);
            System.out.printf(Locale.ROOT, "%-9s %7s %12s %9d %10s %12s %10s %8.0fus%n", "0", "", "", baseMacs, "1.00",
                    "1.0000", "", baseLatency);
            ActivationCollector collector = new ActivationCollector(runtime, calibration, 256, 64);
            java.util.Map<String, double[]> covariances = new java.util.HashMap<>();
            for (String text : fractions) {
                double fraction = Double.parseDouble(text);
                long start = System.nanoTime();
                NodePruningResult result;
                try (FeatureVariances variances = new FeatureVariances(collector, model)) {
                    result = NodePruner.prune(model, new NodePruningSettings(fraction, scope, overrides, List.of(),
                            importance), variances, compensatedRanking ? new CompensatedRanking(value ->
                                    covariances.computeIfAbsent(value, v -> covariance(collector, model, v)),
                                    line -> System.out.println("    " + line)) : null);
                }
                System.out.printf(Locale.ROOT, "  (pruned in %.0f s)%n", (System.nanoTime() - start) / 1e9);
                double plain = MiniLmFigures.cosine(reference,
                        MiniLmFigures.pooled(runtime, result.model(), validation));
                ModelProto fitted = result.model();
                if (maxRows > 0) {
                    NodeCompensation.Result compensated = NodeCompensation.compensate(model, result, collector,
                            options, line -> System.out.println("    " + line));
                    fitted = compensated.model();
                    for (var layer : compensated.layers()) {
                        System.out.printf(Locale.ROOT, "    %-45s %-14s %5d rows, error %.4f -> %.4f %s%n",
                                layer.layer(), layer.method(), layer.rows(), layer.errorBefore(),
                                layer.errorAfter(), layer.detail());
                    }
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf(Locale.ROOT, "  (pruned and compensated in %.0f s)%n", seconds);
                double fit = MiniLmFigures.cosine(reference,
                        MiniLmFigures.pooled(runtime, fitted, validation));
                long macs = encoderMacs(fitted, tokens);
                System.out.printf(Locale.ROOT, "%-9s %7s %12s %9d %10.2f %12.4f %10.4f %6.2fx%n", text,
                        units(result, "query"), units(result, "intermediate"), macs, (double) macs / baseMacs,
                        plain, fit, latency(runtime, fitted, validation) / baseLatency);
            }
        }
    }

    private static double[] covariance(ActivationCollector collector, ModelProto model, String value) {
        Tensor rows = collector.maskedRows(collector.collect(model, List.of(value)).get(value));
        long[] shape = rows.shape();
        int features = (int) shape[shape.length - 1];
        float[] data = (float[]) rows.data();
        return CompensatedRanking.covariance(data, data.length / features, features);
    }

    /** Heads kept of all layers (from the query projections' widths) or feed-forward units kept. */
    private static String units(NodePruningResult result, String part) {
        int before = 0;
        int after = 0;
        for (LayerChange layer : result.layers()) {
            if (layer.layer().contains(part)) {
                before += layer.unitsBefore();
                after += layer.unitsAfter();
            }
        }
        return part.equals("query") ? after / 32 + "/" + before / 32 : after + "/" + before;
    }

    /**
     * Multiply-adds per token of the encoder: every MatMul with a constant weight (its elements), plus per layer
     * the two attention products (scores and context: 2 x tokens x the query width).
     */
    static long encoderMacs(ModelProto model, double tokens) {
        ModelGraph graph = ModelGraph.of(model);
        long macs = 0;
        for (NodeProto node : graph.nodes()) {
            if (!node.getOpType().equals("MatMul")) {
                continue;
            }
            var weight = graph.constant(node.getInput(1));
            if (weight.isPresent()) {
                long elements = FloatTensor.of(weight.get().tensor()).size();
                macs += elements;
                if (node.getName().contains("query")) {
                    macs += (long) (2 * tokens * weight.get().tensor().getDims(1));
                }
            }
        }
        return macs;
    }

    private static double meanTokens(ValidationData data) {
        Tensor mask = data.inputs().get("attention_mask");
        long[] values = (long[]) mask.data();
        long sum = 0;
        for (long v : values) {
            sum += v;
        }
        return (double) sum / mask.shape()[0];
    }

    private static double latency(OnnxRuntimeEvaluator runtime, ModelProto model, ValidationData data) {
        byte[] bytes = model.toByteArray();
        double best = Double.MAX_VALUE;
        for (int round = 0; round < 2; round++) {
            BatchLatencyStats stats = runtime.measureBatchLatency(bytes, data, 64, 1, 5).orElseThrow();
            best = Math.min(best, stats.medianMicrosPerSample());
        }
        return best;
    }

}
