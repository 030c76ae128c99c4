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
 * Which heads of each MiniLM block go by fluctuation and by compensated cost ({@link CompensatedRanking}), and the
 * attention output projection's relative squared error (on the original's calibration tokens, own output as the
 * target) that removing them leaves plain and after the optimal least-squares re-fit of the remaining heads:
 * {@code tr(W_S^T C_SS W_S)} and {@code tr(W_S^T ((C + lambda I)^-1_SS)^-1 W_S)}, each over {@code tr(W^T C W)}.
 *
 * <p>Arguments: heads removed per block (comma-separated, default 6,3,3,3,0,0: the nodes-allocated profile), the
 * model jar (default the langchain4j jar in ~/.m2), the data folder (default benchmarks/minilm/src/data).
 */
public final class HeadChoiceReport {

    private static final int HEAD = 32;

    private HeadChoiceReport() {
    }

    /** Prints the report. */
    public static void main(String[] args) throws Exception {
        int[] removed = Arrays.stream((args.length > 0 ? args[0] : "6,3,3,3,0,0").split(","))
                .mapToInt(Integer::parseInt).toArray();
        Path source = args.length > 1 ? Path.of(args[1]) : MiniLmFigures.JAR;
        Path dataDir = Path.of(args.length > 2 ? args[2] : "benchmarks/minilm/src/data");
        ModelProto model = MiniLmFigures.model(source);
        ValidationData calibration = ValidationDataReader.read(dataDir.resolve("calibration.npz"),
                ModelSignature.of(model), "labels");
        ModelGraph graph = ModelGraph.of(model);
        List<NodeProto> readers = new ArrayList<>();
        for (NodeProto node : graph.nodes()) {
            if (node.getOpType().equals("MatMul") && node.getName().endsWith("attention/output/dense/MatMul")) {
                readers.add(node);
            }
        }
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            ActivationCollector collector = new ActivationCollector(runtime, calibration, 256, 64);
            var values = collector.collect(model, readers.stream().map(n -> n.getInput(0)).toList());
            for (int b = 0; b < readers.size(); b++) {
                NodeProto reader = readers.get(b);
                Tensor rows = collector.maskedRows(values.get(reader.getInput(0)));
                float[] x = (float[]) rows.data();
                int features = (int) rows.shape()[rows.shape().length - 1];
                double[] c = CompensatedRanking.covariance(x, x.length / features, features);
                FloatTensor weight = FloatTensor.of(graph.constant(reader.getInput(1)).orElseThrow().tensor());
                int outputs = (int) weight.dims()[1];
                double[] w = weight.values();
                report(b, removed.length > b ? removed[b] : 0, c, features, w, outputs, x.length / features);
            }
        }
    }

    private static void report(int block, int count, double[] c, int features, double[] w, int outputs, int rows) {
        int heads = features / HEAD;
        double total = CompensatedRanking.outputVariance(c, features, w, outputs);
        double[] fluctuation = new double[heads];
        for (int f = 0; f < features; f++) {
            double norm = 0;
            for (int o = 0; o < outputs; o++) {
                norm += w[f * outputs + o] * w[f * outputs + o];
            }
            fluctuation[f / HEAD] += c[f * features + f] * norm;
        }
        double[] cost = CompensatedRanking.costs(c, features, w, outputs, HEAD, features / HEAD - 1, 1e-2);
        double[] obs = new double[heads];
        for (int f = 0; f < features; f++) {
            obs[f / HEAD] += cost[f];
        }
        double[] h = CompensatedRanking.inverse(c, features, 1e-2);
        System.out.printf(Locale.ROOT, "block %d (%d rows): output variance %.4f per token%n", block, rows, total);
        System.out.printf(Locale.ROOT, "  %4s %14s %14s %14s %14s%n", "head", "fluctuation", "alone plain",
                "alone re-fit", "greedy cost");
        for (int head = 0; head < heads; head++) {
            int[] one = {head};
            System.out.printf(Locale.ROOT, "  %4d %14.4f %14.4f %14.4f %14.4f%n", head, fluctuation[head] / total,
                    plain(c, features, w, outputs, one) / total, refit(h, features, w, outputs, one) / total,
                    obs[head] / total);
        }
        if (count > 0) {
            int[] byFluctuation = lowest(fluctuation, count);
            int[] byCost = lowest(obs, count);
            System.out.printf(Locale.ROOT, "  remove %d by fluctuation %s: plain %.4f, re-fit %.4f; by compensated"
                    + " cost %s: plain %.4f, re-fit %.4f%n", count, Arrays.toString(byFluctuation),
                    plain(c, features, w, outputs, byFluctuation) / total,
                    refit(h, features, w, outputs, byFluctuation) / total, Arrays.toString(byCost),
                    plain(c, features, w, outputs, byCost) / total, refit(h, features, w, outputs, byCost) / total);
        }
    }

    private static int[] columns(int[] heads) {
        int[] columns = new int[heads.length * HEAD];
        for (int i = 0; i < heads.length; i++) {
            for (int j = 0; j < HEAD; j++) {
                columns[i * HEAD + j] = heads[i] * HEAD + j;
            }
        }
        return columns;
    }

    /** {@code tr(W_S^T C_SS W_S)}: the squared output error per token of dropping the heads, mean compensated. */
    private static double plain(double[] c, int n, double[] w, int outputs, int[] heads) {
        return quadratic(sub(c, n, columns(heads)), w, outputs, columns(heads));
    }

    /** {@code tr(W_S^T ((H)_SS)^-1 W_S)}: the same once the other heads' rows are re-fitted. */
    private static double refit(double[] h, int n, double[] w, int outputs, int[] heads) {
        int[] s = columns(heads);
        return quadratic(CompensatedRanking.inverse(sub(h, n, s), s.length, 0), w, outputs, s);
    }

    private static double[] sub(double[] m, int n, int[] s) {
        double[] out = new double[s.length * s.length];
        for (int a = 0; a < s.length; a++) {
            for (int b = 0; b < s.length; b++) {
                out[a * s.length + b] = m[s[a] * n + s[b]];
            }
        }
        return out;
    }

    private static double quadratic(double[] q, double[] w, int outputs, int[] s) {
        double total = 0;
        for (int o = 0; o < outputs; o++) {
            for (int a = 0; a < s.length; a++) {
                double sum = 0;
                for (int b = 0; b < s.length; b++) {
                    sum += q[a * s.length + b] * w[s[b] * outputs + o];
                }
                total += w[s[a] * outputs + o] * sum;
            }
        }
        return total;
    }

    private static int[] lowest(double[] values, int count) {
        Integer[] order = new Integer[values.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(values[a], values[b]));
        return Arrays.stream(order).limit(count).mapToInt(Integer::intValue).sorted().toArray();
    }
}
