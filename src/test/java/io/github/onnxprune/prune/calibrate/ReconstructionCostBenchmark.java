package io.github.onnxprune.prune.calibrate;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.prune.MagnitudePruner;
import io.github.onnxprune.prune.PrunableTensor;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.WeightPruningSettings;
import io.github.onnxprune.prune.WeightSelector;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Prints how long weight reconstruction (OBS mask and re-fit) takes on Gemm layers of growing width with 512
 * random calibration samples: the cost a build pays for accuracy on a larger model, and each layer's relative
 * output error after the fit (errors of random layers on random inputs say which path is more exact, not how a
 * real model fares). Not a test (README has the command). Arguments: widths (default 256,512,1024,2048),
 * layers (default 2), and optionally the exact-path limit in operations (0: column sweep everywhere).
 */
public final class ReconstructionCostBenchmark {

    private ReconstructionCostBenchmark() {
    }

    /** Runs the benchmark. */
    public static void main(String[] args) {
        String[] widths = (args.length > 0 ? args[0] : "256,512,1024,2048").split(",");
        int layers = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int samples = 512;
        WeightReconstruction.Options options = args.length > 2
                ? WeightReconstruction.Options.defaults().withExactFlops(Double.parseDouble(args[2]))
                : WeightReconstruction.Options.defaults();
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            for (String text : widths) {
                int width = Integer.parseInt(text.trim());
                ModelProto dense = model(width, layers);
                ModelGraph graph = ModelGraph.of(dense);
                List<PrunableTensor> tensors = WeightSelector.select(graph, TensorFilter.all()).tensors();
                ModelProto pruned = MagnitudePruner.prune(graph, tensors,
                        new WeightPruningSettings(0.5, Scope.LAYERWISE, List.of())).model();
                ValidationData data = randomInputs(width, samples);
                long start = System.nanoTime();
                WeightReconstruction.Result result = WeightReconstruction.reconstruct(dense, pruned,
                        tensors.stream().map(PrunableTensor::name).toList(),
                        new ActivationCollector(runtime, data, samples, 64), options);
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf(Locale.ROOT, "%d Gemm layers of %dx%d, %d samples: %.2f s, %s, error %s%n", layers,
                        width, width, samples, seconds,
                        result.layers().stream().map(LayerReconstruction::method).toList(),
                        result.layers().stream().map(layer -> String.format(Locale.ROOT, "%.3f -> %.3f",
                                layer.errorBefore(), layer.errorAfter())).toList());
            }
        }
    }

    private static ValidationData randomInputs(int width, int samples) {
        SplittableRandom random = new SplittableRandom(3);
        float[] values = new float[width * samples];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        inputs.put("x", Tensor.ofFloats(new long[] {samples, width}, values));
        return new ValidationData(inputs, null, null, Path.of("random"));
    }

    private static ModelProto model(int width, int layers) {
        SplittableRandom random = new SplittableRandom(42);
        GraphProto.Builder graph = GraphProto.newBuilder().setName("cost")
                .addInput(floatInput("x", width));
        String input = "x";
        for (int layer = 0; layer < layers; layer++) {
            ByteBuffer raw = ByteBuffer.allocate(width * width * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < width * width; i++) {
                raw.putFloat((float) (random.nextGaussian() / Math.sqrt(width)));
            }
            String weight = "w" + layer;
            graph.addInitializer(TensorProto.newBuilder().setName(weight).setDataType(1).addDims(width).addDims(width)
                    .setRawData(ByteString.copyFrom(raw.array())));
            String output = "h" + layer;
            graph.addNode(NodeProto.newBuilder().setOpType("Gemm").setName("gemm" + layer).addInput(input)
                    .addInput(weight).addOutput(output));
            input = output;
        }
        graph.addOutput(floatInput(input, width));
        return ModelProto.newBuilder().setIrVersion(8).setGraph(graph)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13)).build();
    }

    private static ValueInfoProto floatInput(String name, int width) {
        TensorShapeProto shape = TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("N"))
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(width)).build();
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(1).setShape(shape))).build();
    }
}
