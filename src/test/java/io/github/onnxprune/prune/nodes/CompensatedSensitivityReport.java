package io.github.onnxprune.prune.nodes;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import io.github.onnxprune.MiniLmFigures;
import io.github.onnxprune.eval.ModelSignature;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.eval.ValidationDataReader;
import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.prune.calibrate.ActivationCollector;
import io.github.onnxprune.prune.calibrate.CompensatedRanking;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The compensated removal cost ({@link CompensatedRanking}: the reader's squared output error per token after the
 * optimal re-fit, units removed greedily) of each MiniLM group at the fractions TransformerAllocationBenchmark
 * measured, divided by the energy of the residual stream the reader writes into (mean squared norm per token of the
 * Add's output, which the next LayerNorm reads): whether these local figures order the groups as the measured
 * pooled-cosine losses do, which an allocation from them would need.
 *
 * <p>Arguments: FFN fractions (default 0.4,0.8), heads removed (default 3,6), the model jar (default the
 * langchain4j jar in ~/.m2), the data folder (default benchmarks/minilm/src/data).
 */
public final class CompensatedSensitivityReport {

    private CompensatedSensitivityReport() {
    }

    /** Prints the report. */
    public static void main(String[] args) throws Exception {
        double[] unitFractions = Arrays.stream((args.length > 0 ? args[0] : "0.4,0.8").split(","))
                .mapToDouble(Double::parseDouble).toArray();
        int[] headCounts = Arrays.stream((args.length > 1 ? args[1] : "3,6").split(","))
                .mapToInt(Integer::parseInt).toArray();
        Path source = args.length > 2 ? Path.of(args[2]) : MiniLmFigures.JAR;
        Path dataDir = Path.of(args.length > 3 ? args[3] : "benchmarks/minilm/src/data");
        ModelProto model = MiniLmFigures.model(source);
        ValidationData calibration = ValidationDataReader.read(dataDir.resolve("calibration.npz"),
                ModelSignature.of(model), "labels");
        ModelGraph graph = ModelGraph.of(model);
        List<NodeProto> readers = new ArrayList<>();
        for (NodeProto node : graph.nodes()) {
            String name = node.getName();
            if (node.getOpType().equals("MatMul") && (name.endsWith("attention/output/dense/MatMul")
                    || name.matches(".*layer\\.\\d+/output/dense/MatMul"))) {
                readers.add(node);
            }
        }
        System.out.printf(Locale.ROOT, "%-48s %6s %10s %12s %12s %14s%n", "reader", "units", "removed",
                "re-fit error", "/ stream", "/ stream / MAC");
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            ActivationCollector collector = new ActivationCollector(runtime, calibration, 256, 64);
            for (NodeProto reader : readers) {
                String stream = streamOf(graph, reader);
                var values = collector.collect(model, List.of(reader.getInput(0), stream));
                float[] x = (float[]) collector.maskedRows(values.get(reader.getInput(0))).data();
                float[] s = (float[]) collector.maskedRows(values.get(stream)).data();
                FloatTensor weight = FloatTensor.of(graph.constant(reader.getInput(1)).orElseThrow().tensor());
                int features = (int) weight.dims()[0];
                int outputs = (int) weight.dims()[1];
                int rows = x.length / features;
                double energy = 0;
                for (float v : s) {
                    energy += (double) v * v;
                }
                energy /= rows;
                boolean heads = reader.getName().contains("attention");
                int granule = heads ? 32 : 1;
                double[] cost = CompensatedRanking.costs(CompensatedRanking.covariance(x, rows, features), features,
                        weight.values(), outputs, granule, features / granule - 1, 1e-2);
                double[] chunks = new double[features / granule];
                for (int f = 0; f < features; f++) {
                    chunks[f / granule] += cost[f];
                }
                Arrays.sort(chunks);
                // A head: Q, K, V columns and the output projection's rows, plus the two attention products at
                // the judging sentences' 19.3 tokens (TransformerAllocationBenchmark's figure); a unit: two rows.
                double macsPerChunk = heads ? 4 * 32 * outputs + 2 * 19.3 * 32 : 2 * outputs;
                int[] counts = heads ? headCounts : Arrays.stream(unitFractions)
                        .mapToInt(f -> (int) Math.floor(f * chunks.length)).toArray();
                for (int count : counts) {
                    double error = chunks[count - 1];
                    System.out.printf(Locale.ROOT, "%-48s %6d %10d %12.4f %12.5f %14.3e%n", reader.getName(),
                            chunks.length, count, error, error / energy, error / energy / (count * macsPerChunk));
                }
            }
        }
    }

    /** The output of the residual Add after the reader's bias Add. */
    private static String streamOf(ModelGraph graph, NodeProto reader) {
        String biased = graph.consumers(reader.getOutput(0)).get(0).node().getOutput(0);
        return graph.consumers(biased).get(0).node().getOutput(0);
    }
}
