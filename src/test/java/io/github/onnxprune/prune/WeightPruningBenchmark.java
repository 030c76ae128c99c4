package io.github.onnxprune.prune;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import io.github.onnxprune.onnx.ModelGraph;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Prints how long magnitude pruning takes on a synthetic model with large Gemm weights, and how selection
 * compares with a full sort. Not a test: run it by hand (command in README.md).
 */
public final class WeightPruningBenchmark {

    private WeightPruningBenchmark() {
    }

    /** Arguments: layer width (default 2048) and layer count (default 4). */
    public static void main(String[] args) {
        int width = args.length > 0 ? Integer.parseInt(args[0]) : 2048;
        int layers = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        ModelProto model = model(width, layers);
        long weights = (long) width * width * layers;
        System.out.printf(Locale.ROOT, "model: %d Gemm layers of %dx%d, %d weights, %.1f MiB%n", layers, width,
                width, weights, model.getSerializedSize() / 1048576.0);
        for (Scope scope : Scope.values()) {
            for (int round = 0; round < 3; round++) {
                System.gc();
                long start = System.nanoTime();
                ModelGraph graph = ModelGraph.of(model);
                var tensors = WeightSelector.select(graph, TensorFilter.all()).tensors();
                var result = MagnitudePruner.prune(graph, tensors, new WeightPruningSettings(0.5, scope, List.of()));
                long elapsed = System.nanoTime() - start;
                long zeroed = result.tensors().stream().mapToLong(TensorChange::zeroed).sum();
                System.out.printf(Locale.ROOT, "prune %-9s round %d: %7.1f ms, %.1f ns/weight, zeroed %d%n",
                        scope.id(), round, elapsed / 1e6, (double) elapsed / weights, zeroed);
            }
        }
        float[] magnitudes = new float[width * width];
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < magnitudes.length; i++) {
            magnitudes[i] = (float) Math.abs(random.nextGaussian());
        }
        for (int round = 0; round < 3; round++) {
            long start = System.nanoTime();
            SmallestMagnitudes.select(magnitudes, magnitudes.length / 2);
            long select = System.nanoTime() - start;
            start = System.nanoTime();
            float[] sorted = magnitudes.clone();
            Arrays.sort(sorted);
            long sort = System.nanoTime() - start;
            System.out.printf(Locale.ROOT, "one tensor of %d: selection %.1f ms, full sort %.1f ms%n",
                    magnitudes.length, select / 1e6, sort / 1e6);
        }
        Runtime runtime = Runtime.getRuntime();
        System.out.printf(Locale.ROOT, "heap in use after the runs: %.0f MiB%n",
                (runtime.totalMemory() - runtime.freeMemory()) / 1048576.0);
    }

    private static ModelProto model(int width, int layers) {
        SplittableRandom random = new SplittableRandom(42);
        GraphProto.Builder graph = GraphProto.newBuilder().setName("benchmark");
        String input = "x";
        for (int layer = 0; layer < layers; layer++) {
            ByteBuffer raw = ByteBuffer.allocate(width * width * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < width * width; i++) {
                raw.putFloat((float) (random.nextGaussian() * 0.05));
            }
            String weight = "w" + layer;
            graph.addInitializer(TensorProto.newBuilder().setName(weight).setDataType(1).addDims(width).addDims(width)
                    .setRawData(ByteString.copyFrom(raw.array())));
            String output = "h" + layer;
            graph.addNode(NodeProto.newBuilder().setOpType("Gemm").setName("gemm" + layer).addInput(input)
                    .addInput(weight).addOutput(output));
            input = output;
        }
        return ModelProto.newBuilder().setIrVersion(8).setGraph(graph)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13)).build();
    }
}
