package io.github.onnxprune.prune.calibrate;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import io.github.onnxprune.eval.ModelSignature;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.eval.ValidationDataReader;
import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelGraph;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An OWL-like allocation (Yin et al. 2024, "Outlier Weighed Layerwise sparsity") for all-MiniLM-L6-v2's MatMul
 * weights, outside Maven: per layer, the share of its weights whose Wanda score {@code |W_ij| ||X_i||} (the input
 * feature's norm over the masked calibration tokens) exceeds {@code M} times the layer's mean score; layers with
 * more such outliers get fewer zeros, linearly within {@code sparsity +- lambda}, shifted so the total number of
 * zeros is exactly {@code sparsity} of the weights. Prints the allocation as the one-line sparsity overrides that
 * {@code MiniLmReconstructionBenchmark -Doverrides=...} and the plugin take (names of the weight tensors).
 *
 * <p>Arguments: sparsity (default 0.5), the model, the data folder, calibration sentences (default 64);
 * {@code -Dm=5}, {@code -Dlambda=0.15}.
 */
public final class MiniLmOutlierAllocation {

    private MiniLmOutlierAllocation() {
    }

    /** Prints the allocation. */
    public static void main(String[] args) throws Exception {
        double sparsity = args.length > 0 ? Double.parseDouble(args[0]) : 0.5;
        Path file = Path.of(args.length > 1 ? args[1]
                : "benchmarks/minilm/target/classes/models/all-minilm-l6-v2.onnx");
        Path dataDir = Path.of(args.length > 2 ? args[2] : "benchmarks/minilm/src/data");
        int samples = args.length > 3 ? Integer.parseInt(args[3]) : 64;
        double m = Double.parseDouble(System.getProperty("m", "5"));
        double lambda = Double.parseDouble(System.getProperty("lambda", "0.15"));
        ModelProto model = ModelProto.parseFrom(Files.readAllBytes(file));
        ModelGraph graph = ModelGraph.of(model);
        ValidationData calibration = ValidationDataReader.read(dataDir.resolve("calibration.npz"),
                ModelSignature.of(model), "labels");
        List<NodeProto> layers = new ArrayList<>();
        for (NodeProto node : graph.nodes()) {
            if (node.getOpType().equals("MatMul") && graph.constant(node.getInput(1)).isPresent()) {
                layers.add(node);
            }
        }
        LinkedHashSet<String> inputs = new LinkedHashSet<>();
        layers.forEach(n -> inputs.add(n.getInput(0)));
        double[] outliers = new double[layers.size()];
        long[] sizes = new long[layers.size()];
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            ActivationCollector collector = new ActivationCollector(runtime, calibration, samples, 16);
            Map<String, Tensor> values = collector.collect(model, new ArrayList<>(inputs));
            for (int l = 0; l < layers.size(); l++) {
                NodeProto node = layers.get(l);
                Tensor x = collector.maskedRows(values.get(node.getInput(0)));
                FloatBuffer view = x.floatView();
                FloatTensor w = FloatTensor.of(graph.constant(node.getInput(1)).orElseThrow().tensor());
                int in = (int) w.dims()[0];
                int out = (int) w.dims()[1];
                double[] norms = new double[in];
                for (int i = 0; i < view.limit(); i++) {
                    norms[i % in] += (double) view.get(i) * view.get(i);
                }
                double mean = 0;
                double[] scores = new double[in * out];
                for (int i = 0; i < in; i++) {
                    for (int o = 0; o < out; o++) {
                        scores[i * out + o] = Math.abs(w.get(i * out + o)) * Math.sqrt(norms[i]);
                        mean += scores[i * out + o];
                    }
                }
                mean /= scores.length;
                long count = 0;
                for (double score : scores) {
                    count += score > m * mean ? 1 : 0;
                }
                outliers[l] = (double) count / scores.length;
                sizes[l] = scores.length;
            }
        }
        double low = java.util.Arrays.stream(outliers).min().orElseThrow();
        double high = java.util.Arrays.stream(outliers).max().orElseThrow();
        double[] allocated = new double[layers.size()];
        double zeros = 0;
        long total = 0;
        for (int l = 0; l < layers.size(); l++) {
            allocated[l] = sparsity + lambda - 2 * lambda * (outliers[l] - low) / Math.max(high - low, 1e-12);
            zeros += allocated[l] * sizes[l];
            total += sizes[l];
        }
        double shift = sparsity - zeros / total;
        StringBuilder overrides = new StringBuilder();
        for (int l = 0; l < layers.size(); l++) {
            allocated[l] = Math.max(0, Math.min(0.95, allocated[l] + shift));
            System.out.printf(Locale.ROOT, "  %-50s outliers %.5f sparsity %.4f%n", layers.get(l).getName(),
                    outliers[l], allocated[l]);
            overrides.append(overrides.length() == 0 ? "" : ",").append(layers.get(l).getInput(1)).append('=')
                    .append(String.format(Locale.ROOT, "%.10f", allocated[l]));
        }
        System.out.println(overrides);
    }
}
