package io.github.onnxprune.quantize;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.github.onnxprune.MiniLmFigures;
import io.github.onnxprune.eval.ModelSignature;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.eval.ValidationDataReader;
import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.prune.NamePattern;
import io.github.onnxprune.report.FileSizes;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Where int8 loses on a re-fitted all-MiniLM-L6-v2, outside Maven: the weight-pruned model saved by {@code
 * MiniLmReconstructionBenchmark -Dsave=<file>}, float, with only its MatMul weights rounded to the int8 grid (the
 * graph float: the weights' share of int8's loss), and int8 as the step quantizes it (the rest: activations
 * quantized per call to uint8, and tables); then, with {@code -DperLayer=true}, each MatMul left float alone
 * (what quantizing that layer's activation and weight costs), and the layer sets of {@code -Dsets=<glob>,...;...}
 * left float, each with its deflated size; {@code -Dsmooth=0.5,0.7}: SmoothQuant at each alpha before int8 (the
 * channel maxima from {@code -DsmoothSamples}, default 64, calibration sentences; MatMuls matching
 * {@code -DsmoothLayers}, default all); {@code -Dpadding=true}: batched, single and unpadded runs (see
 * {@link #padding}). Pooled cosine of the 64 held-out sentences to the original's.
 *
 * <p>Arguments: the original model, the re-fitted model, the folder with validation.npz (default
 * benchmarks/minilm/src/data). {@code -DtableBits=4,5} (default 4): the int8 step's, each tried after 8 bits;
 * the first for the layer variants.
 */
public final class MiniLmInt8Benchmark {

    private MiniLmInt8Benchmark() {
    }

    /** Runs the benchmark. */
    public static void main(String[] args) throws Exception {
        ModelProto original = ModelProto.parseFrom(Files.readAllBytes(Path.of(args[0])));
        ModelProto refitted = ModelProto.parseFrom(Files.readAllBytes(Path.of(args[1])));
        Path dataDir = Path.of(args.length > 2 ? args[2] : "benchmarks/minilm/src/data");
        ValidationData validation = ValidationDataReader.read(dataDir.resolve("validation.npz"),
                ModelSignature.of(original), "labels");
        int[] bitsTried = Arrays.stream(System.getProperty("tableBits", "4").split(",")).mapToInt(Integer::parseInt)
                .toArray();
        int tableBits = bitsTried[0];
        long originalDeflated = FileSizes.deflatedSize(ByteBuffer.wrap(original.toByteArray()));
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            float[][] reference = MiniLmFigures.pooled(runtime, original, validation);
            System.out.printf(Locale.ROOT, "re-fitted, float: pooled cosine %.4f%n",
                    MiniLmFigures.cosine(reference, MiniLmFigures.pooled(runtime, refitted, validation)));
            System.out.printf(Locale.ROOT, "MatMul weights on the int8 grid, graph float: pooled cosine %.4f%n",
                    MiniLmFigures.cosine(reference, MiniLmFigures.pooled(runtime, weightsOnGrid(refitted),
                            validation)));
            for (int bits : java.util.stream.IntStream.concat(java.util.stream.IntStream.of(8),
                    Arrays.stream(bitsTried)).toArray()) {
                ModelProto all = Int8Quantizer.quantize(refitted, new QuantizationSettings(List.of(), Set.of(),
                        bits), null).model();
                System.out.printf(Locale.ROOT, "int8, tables %d bits: pooled cosine %.4f, deflated %.4fx%n", bits,
                        MiniLmFigures.cosine(reference, MiniLmFigures.pooled(runtime, all, validation)),
                        (double) FileSizes.deflatedSize(ByteBuffer.wrap(all.toByteArray())) / originalDeflated);
            }
            if (System.getProperty("smooth") != null) {
                ValidationData calibration = ValidationDataReader.read(dataDir.resolve("calibration.npz"),
                        ModelSignature.of(original), "labels");
                io.github.onnxprune.prune.calibrate.ActivationCollector collector =
                        new io.github.onnxprune.prune.calibrate.ActivationCollector(runtime, calibration,
                                Integer.getInteger("smoothSamples", 64), 16);
                for (String alphaText : System.getProperty("smooth").split(",")) {
                    double alpha = Double.parseDouble(alphaText);
                    ModelProto smoothed = smoothed(refitted, collector, alpha,
                            System.getProperty("smoothLayers", "*"));
                    System.out.printf(Locale.ROOT, "smoothed %.2f (%s), float: pooled cosine %.4f%n", alpha,
                            System.getProperty("smoothLayers", "*"), MiniLmFigures.cosine(reference,
                                    MiniLmFigures.pooled(runtime, smoothed, validation)));
                    for (int bits : bitsTried) {
                        ModelProto all = Int8Quantizer.quantize(smoothed, new QuantizationSettings(List.of(),
                                Set.of(), bits), null).model();
                        System.out.printf(Locale.ROOT, "smoothed %.2f, int8, tables %d bits: pooled cosine %.4f,"
                                + " deflated %.4fx%n", alpha, bits, MiniLmFigures.cosine(reference,
                                        MiniLmFigures.pooled(runtime, all, validation)),
                                (double) FileSizes.deflatedSize(ByteBuffer.wrap(all.toByteArray()))
                                        / originalDeflated);
                    }
                }
            }
            if (Boolean.getBoolean("padding")) {
                padding(runtime, original, refitted, validation, reference, tableBits);
            }
            if (Boolean.getBoolean("perLayer")) {
                for (NodeProto node : refitted.getGraph().getNodeList()) {
                    if (!node.getOpType().equals("MatMul") || !node.getInput(1).startsWith("onnx::")) {
                        continue;
                    }
                    ModelProto variant = Int8Quantizer.quantize(refitted, new QuantizationSettings(
                            List.of(new NamePattern(node.getName())), Set.of(), tableBits), null).model();
                    System.out.printf(Locale.ROOT, "  float alone %-50s pooled cosine %.4f%n", node.getName(),
                            MiniLmFigures.cosine(reference, MiniLmFigures.pooled(runtime, variant, validation)));
                }
            }
            if (System.getProperty("sets") != null) {
                for (String set : System.getProperty("sets").split(";")) {
                    List<NamePattern> excludes = Arrays.stream(set.split(",")).map(NamePattern::new).toList();
                    ModelProto variant = Int8Quantizer.quantize(refitted, new QuantizationSettings(excludes,
                            Set.of(), tableBits), null).model();
                    System.out.printf(Locale.ROOT, "float %s: pooled cosine %.4f, deflated %.4fx%n", set,
                            MiniLmFigures.cosine(reference, MiniLmFigures.pooled(runtime, variant, validation)),
                            (double) FileSizes.deflatedSize(ByteBuffer.wrap(variant.toByteArray()))
                                    / originalDeflated);
                }
            }
        }
    }

    /**
     * {@code -Dpadding=true}: whether the activations' per-call range, which {@code DynamicQuantizeLinear} takes
     * over the whole input tensor, padded positions included, moves the pooled cosine. The re-fitted model float
     * and int8 in batches of 64 sentences padded to the set's length (as the gate runs them), one at a time still
     * padded, and one at a time cut to its own tokens (as a service embedding one sentence runs it); the
     * reference is always the original's batched embeddings.
     */
    private static void padding(OnnxRuntimeEvaluator runtime, ModelProto original, ModelProto refitted,
            ValidationData validation, float[][] reference, int tableBits) throws Exception {
        ModelProto int8 = Int8Quantizer.quantize(refitted, new QuantizationSettings(List.of(), Set.of(), tableBits),
                null).model();
        Map<String, ModelProto> models = new java.util.LinkedHashMap<>();
        models.put("original, float", original);
        models.put("re-fitted, float", refitted);
        models.put("re-fitted, int8 (tables " + tableBits + " bits)", int8);
        for (Map.Entry<String, ModelProto> model : models.entrySet()) {
            double batched = MiniLmFigures.cosine(reference, MiniLmFigures.pooled(runtime, model.getValue(),
                    validation));
            double single = MiniLmFigures.cosine(reference, MiniLmFigures.pooled(runtime, model.getValue(),
                    validation, 1));
            double trimmed = MiniLmFigures.cosine(reference, trimmedPooled(model.getValue(), validation));
            System.out.printf(Locale.ROOT, "%-36s pooled cosine: batches of 64 padded %.4f, one padded %.4f, one"
                    + " unpadded %.4f%n", model.getKey(), batched, single, trimmed);
        }
    }

    /** Each sentence run alone with only its own tokens (attention mask all ones), mean-pooled. */
    private static float[][] trimmedPooled(ModelProto model, ValidationData data) throws Exception {
        ai.onnxruntime.OrtEnvironment env = ai.onnxruntime.OrtEnvironment.getEnvironment();
        long[][] ids = tokens(data, "input_ids");
        long[][] mask = tokens(data, "attention_mask");
        long[][] types = tokens(data, "token_type_ids");
        float[][] pooled = new float[ids.length][];
        try (ai.onnxruntime.OrtSession.SessionOptions options = new ai.onnxruntime.OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            try (ai.onnxruntime.OrtSession session = env.createSession(model.toByteArray(), options)) {
                for (int s = 0; s < ids.length; s++) {
                    int length = (int) Arrays.stream(mask[s]).sum();
                    Map<String, ai.onnxruntime.OnnxTensor> inputs = new java.util.HashMap<>();
                    inputs.put("input_ids", ai.onnxruntime.OnnxTensor.createTensor(env,
                            new long[][] {Arrays.copyOf(ids[s], length)}));
                    inputs.put("attention_mask", ai.onnxruntime.OnnxTensor.createTensor(env,
                            new long[][] {Arrays.copyOf(mask[s], length)}));
                    inputs.put("token_type_ids", ai.onnxruntime.OnnxTensor.createTensor(env,
                            new long[][] {Arrays.copyOf(types[s], length)}));
                    try (ai.onnxruntime.OrtSession.Result result = session.run(inputs)) {
                        float[][] hidden = ((float[][][]) result.get("last_hidden_state").orElseThrow().getValue())[0];
                        pooled[s] = new float[hidden[0].length];
                        for (float[] token : hidden) {
                            for (int c = 0; c < token.length; c++) {
                                pooled[s][c] += token[c] / length;
                            }
                        }
                    } finally {
                        inputs.values().forEach(ai.onnxruntime.OnnxTensor::close);
                    }
                }
            }
        }
        return pooled;
    }

    private static long[][] tokens(ValidationData data, String input) {
        io.github.onnxprune.eval.Tensor tensor = data.inputs().get(input);
        long[] values = (long[]) tensor.data();
        int columns = tensor.rowLength();
        long[][] rows = new long[tensor.sampleCount()][];
        for (int r = 0; r < rows.length; r++) {
            rows[r] = Arrays.copyOfRange(values, r * columns, (r + 1) * columns);
        }
        return rows;
    }

    /**
     * SmoothQuant (Xiao et al. 2023) as an explicit Mul: each MatMul input X read by constant-weight MatMuls
     * matching {@code layers} becomes {@code X / s} per channel, and the weights' rows are multiplied by s, with
     * {@code s_j = max|X_j|^alpha / max|W_j|^(1 - alpha)} over calibration tokens and the readers' weights.
     */
    private static ModelProto smoothed(ModelProto model, io.github.onnxprune.prune.calibrate.ActivationCollector
            collector, double alpha, String layers) {
        ModelGraph graph = ModelGraph.of(model);
        NamePattern pattern = new NamePattern(layers);
        Map<String, List<NodeProto>> readers = new java.util.LinkedHashMap<>();
        for (NodeProto node : model.getGraph().getNodeList()) {
            if (node.getOpType().equals("MatMul") && graph.constant(node.getInput(1)).isPresent()
                    && pattern.matches(node.getName())) {
                readers.computeIfAbsent(node.getInput(0), k -> new java.util.ArrayList<>()).add(node);
            }
        }
        Map<String, TensorProto> weights = new HashMap<>();
        ai.onnx.proto.OnnxMl.GraphProto.Builder builder = model.getGraph().toBuilder();
        Map<String, String> renamed = new HashMap<>();
        Map<String, NodeProto> mulBefore = new HashMap<>();
        for (Map.Entry<String, List<NodeProto>> entry : readers.entrySet()) {
            io.github.onnxprune.eval.Tensor x = collector.maskedRows(collector.collect(model,
                    List.of(entry.getKey())).get(entry.getKey()));
            java.nio.FloatBuffer view = x.floatView();
            int features = (int) FloatTensor.of(graph.constant(entry.getValue().get(0).getInput(1)).orElseThrow()
                    .tensor()).dims()[0];
            double[] ax = new double[features];
            for (int i = 0; i < view.remaining(); i++) {
                ax[i % features] = Math.max(ax[i % features], Math.abs(view.get(i)));
            }
            double[] aw = new double[features];
            for (NodeProto node : entry.getValue()) {
                FloatTensor w = FloatTensor.of(graph.constant(node.getInput(1)).orElseThrow().tensor());
                int columns = (int) w.dims()[1];
                for (int i = 0; i < w.size(); i++) {
                    aw[i / columns] = Math.max(aw[i / columns], Math.abs(w.get(i)));
                }
            }
            double[] s = new double[features];
            float[] inverse = new float[features];
            for (int j = 0; j < features; j++) {
                s[j] = Math.pow(Math.max(ax[j], 1e-5), alpha) / Math.pow(Math.max(aw[j], 1e-5), 1 - alpha);
                inverse[j] = (float) (1 / s[j]);
            }
            for (NodeProto node : entry.getValue()) {
                FloatTensor w = FloatTensor.of(graph.constant(node.getInput(1)).orElseThrow().tensor());
                int columns = (int) w.dims()[1];
                double[] values = w.values();
                for (int i = 0; i < values.length; i++) {
                    values[i] *= s[i / columns];
                }
                weights.put(node.getInput(1), w.withValues(values));
            }
            String name = entry.getKey() + "_smoothed";
            String factor = entry.getKey() + "_smooth_scale";
            builder.addInitializer(TensorProto.newBuilder().setName(factor).addDims(features)
                    .setDataType(TensorProto.DataType.FLOAT_VALUE).setRawData(com.google.protobuf.ByteString
                            .copyFrom(floatBytes(inverse))));
            renamed.put(entry.getKey(), name);
            mulBefore.put(entry.getValue().get(0).getName(), NodeProto.newBuilder().setOpType("Mul")
                    .setName(name + "/Mul").addInput(entry.getKey()).addInput(factor).addOutput(name).build());
        }
        builder.clearNode();
        for (NodeProto node : model.getGraph().getNodeList()) {
            if (mulBefore.containsKey(node.getName())) {
                builder.addNode(mulBefore.get(node.getName()));
            }
            if (node.getOpType().equals("MatMul") && renamed.containsKey(node.getInput(0))
                    && graph.constant(node.getInput(1)).isPresent() && pattern.matches(node.getName())) {
                node = node.toBuilder().setInput(0, renamed.get(node.getInput(0))).build();
            }
            builder.addNode(node);
        }
        return ModelGraph.of(model.toBuilder().setGraph(builder).build()).withConstants(weights);
    }

    private static byte[] floatBytes(float[] values) {
        ByteBuffer buffer = ByteBuffer.allocate(4 * values.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            buffer.putFloat(v);
        }
        return buffer.array();
    }

    /** The model with every 2-D MatMul weight rounded per column as {@link Int8Weights#perColumn} rounds it. */
    private static ModelProto weightsOnGrid(ModelProto model) {
        ModelGraph graph = ModelGraph.of(model);
        Map<String, TensorProto> rounded = new HashMap<>();
        for (NodeProto node : model.getGraph().getNodeList()) {
            if (!node.getOpType().equals("MatMul") || graph.constant(node.getInput(1)).isEmpty()) {
                continue;
            }
            FloatTensor w = FloatTensor.of(graph.constant(node.getInput(1)).orElseThrow().tensor());
            if (w.dims().length != 2) {
                continue;
            }
            int rows = (int) w.dims()[0];
            int columns = (int) w.dims()[1];
            Int8Weights q = Int8Weights.perColumn(w::get, rows, columns,
                    Int8Weights.levels(QuantizationSettings.PORTABLE_WEIGHT_BITS));
            double[] values = new double[rows * columns];
            for (int i = 0; i < values.length; i++) {
                values[i] = q.values()[i] * (double) q.scales()[i % columns];
            }
            rounded.put(node.getInput(1), w.withValues(values));
        }
        return graph.withConstants(rounded);
    }
}
