package io.github.onnxprune.prune.calibrate;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.MiniLmFigures;
import io.github.onnxprune.eval.ModelSignature;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.eval.ValidationDataReader;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.WeightPruningSettings;
import io.github.onnxprune.step.StepInput;
import io.github.onnxprune.step.StepResult;
import io.github.onnxprune.step.weights.WeightPruningStep;
import io.github.onnxprune.step.weights.ZeroedWeights;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Weight pruning with reconstruction on a real transformer, outside Maven: the inner loop of issue 9's "50% with
 * reconstruction in 90 s" target. Prunes as the {@code prune} goal does (the weight pruning step's magnitude
 * mask, then {@link WeightReconstruction} on the calibration sentences, printing its progress lines) and prints
 * the step's wall time and the mean-pooled cosine of the held-out sentences' embeddings to the original's.
 *
 * <p>Options other than the defaults come from system properties: {@code -Dtarget=PRUNED_INPUTS},
 * {@code -Dridge=0.01}, {@code -DexactFlops=0}, the magnitude mask's scope: {@code -Dscope=global}, sparsity overrides
 * by tensor name: {@code -Doverrides=onnx::MatMul_787=0.4,...} or by MatMul node name:
 * {@code -DnodeOverrides=*output/dense*=0.65,*=0.425}, {@code -Dcentred=false}, most calibration rows per layer:
 * {@code -DmaxRows=65536}, a share of the pruned inputs' error corrected: {@code -Dcorrection=0.5}, a share of the
 * residual stream's error corrected by the layers writing into it: {@code -Dresidual=0.3}, and the limit of the swept
 * masks' exact re-fit: {@code -DrefitFlops=0} (the sweep's weights stay), and {@code -Ddiagnose=true}: the pooled
 * cosine with one block's, one role's re-fitted weights put into the dense model, and each layer's alone on 64
 * calibration sentences from {@code -DsensitivityFrom} (default 0; {@code sensitivity} lines, which
 * tools/minilm/allocate_sparsity.py reads), {@code -Dsave=<file>}: the re-fitted model written there, and
 * {@code -DlayerNorms=true}: after the re-fit, each encoder LayerNorm's scale and shift fitted so its output matches
 * the dense model's on the calibration tokens (an experiment that did not help).
 *
 * <p>Arguments: sparsity (default 0.5), the model file (default the one {@code mvn -f benchmarks/minilm package}
 * unpacks: benchmarks/minilm/target/classes/models/all-minilm-l6-v2.onnx), the folder with validation.npz and
 * calibration.npz (default benchmarks/minilm/src/data), calibration sentences (default 256, as the benchmark).
 * {@code -Dheap=<bytes>} holds calibration values as a heap of that size would (0: in parts, a value read once
 * computed again), whatever {@code -Xmx} is.
 */
public final class MiniLmReconstructionBenchmark {

    private MiniLmReconstructionBenchmark() {
    }

    /** Runs the benchmark. */
    public static void main(String[] args) throws Exception {
        double sparsity = args.length > 0 ? Double.parseDouble(args[0]) : 0.5;
        Path file = Path.of(args.length > 1 ? args[1]
                : "benchmarks/minilm/target/classes/models/all-minilm-l6-v2.onnx");
        Path dataDir = Path.of(args.length > 2 ? args[2] : "benchmarks/minilm/src/data");
        int samples = args.length > 3 ? Integer.parseInt(args[3]) : 256;
        ModelProto model = ModelProto.parseFrom(Files.readAllBytes(file));
        ModelSignature signature = ModelSignature.of(model);
        ValidationData validation = ValidationDataReader.read(dataDir.resolve("validation.npz"), signature, "labels");
        ValidationData calibration = ValidationDataReader.read(dataDir.resolve("calibration.npz"), signature,
                "labels");
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            float[][] reference = MiniLmFigures.pooled(runtime, model, validation);
            Scope scope = Scope.parse(System.getProperty("scope", "layerwise"));
            List<io.github.onnxprune.prune.SparsityOverride> overrides = System.getProperty("overrides") == null
                    ? List.of() : java.util.Arrays.stream(System.getProperty("overrides").split(","))
                            .map(io.github.onnxprune.prune.SparsityOverride::parse).toList();
            overrides = new java.util.ArrayList<>(overrides);
            overrides.addAll(nodeOverrides(model, System.getProperty("nodeOverrides")));
            StepResult<ZeroedWeights> plain = new WeightPruningStep(new WeightPruningSettings(sparsity, scope,
                    overrides), TensorFilter.all(), false).apply(new StepInput(model, model, null));
            System.out.printf(Locale.ROOT, "%d of %d weights zeroed%n", plain.edits().zeroWeights(),
                    plain.edits().prunedWeights());
            double plainCosine = MiniLmFigures.cosine(reference,
                    MiniLmFigures.pooled(runtime, plain.model(), validation));
            long start = System.nanoTime();
            WeightReconstruction.Options options = WeightReconstruction.Options.defaults();
            if (System.getProperty("target") != null) {
                options = options.withTarget(WeightReconstruction.Target.valueOf(System.getProperty("target")));
            }
            if (System.getProperty("ridge") != null) {
                options = options.withRidge(Double.parseDouble(System.getProperty("ridge")));
            }
            if (System.getProperty("exactFlops") != null) {
                options = options.withExactFlops(Double.parseDouble(System.getProperty("exactFlops")));
            }
            if (System.getProperty("refitFlops") != null) {
                options = options.withRefitFlops(Double.parseDouble(System.getProperty("refitFlops")));
            }
            if (System.getProperty("centred") != null) {
                options = options.withCentred(Boolean.getBoolean("centred"));
            }
            if (System.getProperty("maxRows") != null) {
                options = options.withMaxRows(Integer.getInteger("maxRows"));
            }
            if (System.getProperty("correction") != null) {
                options = options.withCorrection(Double.parseDouble(System.getProperty("correction")));
            }
            if (System.getProperty("residual") != null) {
                options = options.withResidual(Double.parseDouble(System.getProperty("residual")));
            }
            System.out.println(options);
            List<String> zeroed = plain.edits().tensors().stream().filter(t -> t.zeroed() > 0)
                    .map(io.github.onnxprune.prune.TensorChange::name).toList();
            // -Dheap=<bytes> decides the calibration values' path as that heap would (0: in parts, computed again).
            long heap = Long.getLong("heap", Runtime.getRuntime().maxMemory());
            WeightReconstruction.Result result = WeightReconstruction.reconstruct(model,
                    new java.util.concurrent.atomic.AtomicReference<>(plain.model()), zeroed,
                    new ActivationCollector(runtime, calibration, samples, 64), options,
                    line -> System.out.println("  " + line), heap);
            double seconds = (System.nanoTime() - start) / 1e9;
            double cosine = MiniLmFigures.cosine(reference,
                    MiniLmFigures.pooled(runtime, result.model(), validation));
            System.out.printf(Locale.ROOT, "%s at %.2f: %d layers re-fitted on %d sentences in %.1f s (heap used %d"
                    + " MB); pooled cosine plain %.4f, re-fitted %.4f%n", file.getFileName(), sparsity,
                    result.layers().size(), Math.min(samples, calibration.sampleCount()), seconds,
                    (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20, plainCosine,
                    cosine);
            if (Boolean.getBoolean("int8")) {
                int8(runtime, model, result.model(), zeroed, validation, calibration, samples, reference);
            }
            if (System.getProperty("save") != null) {
                Files.write(Path.of(System.getProperty("save")), result.model().toByteArray());
            }
            if (Boolean.getBoolean("layerNorms")) {
                long lnStart = System.nanoTime();
                ModelProto corrected = correctLayerNorms(model, result.model(),
                        new ActivationCollector(runtime, calibration, samples, 64));
                System.out.printf(Locale.ROOT, "layer norms corrected in %.1f s: pooled cosine %.4f%n",
                        (System.nanoTime() - lnStart) / 1e9, MiniLmFigures.cosine(reference,
                                MiniLmFigures.pooled(runtime, corrected, validation)));
            }
            for (LayerReconstruction layer : result.layers()) {
                System.out.printf(Locale.ROOT, "  %-45s %-32s rows %5d error %.4f -> %.4f%n", layer.layer(),
                        layer.method(), layer.rows(), layer.errorBefore(), layer.errorAfter());
            }
            if (Boolean.getBoolean("diagnose")) {
                diagnose(runtime, model, result.model(), zeroed, validation, reference,
                        io.github.onnxprune.Fixtures.slice(calibration, Integer.getInteger("sensitivityFrom", 0),
                                Integer.getInteger("sensitivityFrom", 0) + 64));
            }
        }
    }

    /**
     * {@code -Dint8=true}: the re-fitted model quantized as the int8 step does (every layer, tables at
     * {@code -DtableBits}, default 4, layers matching {@code -Dexcludes=<glob>,...} float), its pooled cosine and
     * deflated size against the original's, and how many of the re-fitted weights are off the grid the quantizer
     * takes (level times scale, the scale from each column's largest magnitude).
     */
    private static void int8(OnnxRuntimeEvaluator runtime, ModelProto dense, ModelProto refitted, List<String> zeroed,
            ValidationData validation, ValidationData calibration, int samples, float[][] reference) {
        io.github.onnxprune.onnx.ModelGraph graph = io.github.onnxprune.onnx.ModelGraph.of(refitted);
        long offGrid = 0;
        long weights = 0;
        for (String name : zeroed) {
            io.github.onnxprune.onnx.FloatTensor w = io.github.onnxprune.onnx.FloatTensor.of(
                    graph.constant(name).orElseThrow().tensor());
            long[] dims = w.dims();
            if (dims.length != 2) {
                continue;
            }
            int rows = (int) dims[0];
            int columns = (int) dims[1];
            for (int c = 0; c < columns; c++) {
                double max = 0;
                for (int r = 0; r < rows; r++) {
                    max = Math.max(max, Math.abs(w.get(r * columns + c)));
                }
                float scale = (float) (max / 127);
                for (int r = 0; r < rows; r++) {
                    double level = w.get(r * columns + c) / scale;
                    offGrid += Math.abs(level - Math.rint(level)) > 1e-3 ? 1 : 0;
                    weights++;
                }
            }
        }
        List<io.github.onnxprune.prune.NamePattern> excludes = excludes();
        io.github.onnxprune.quantize.QuantizationSettings settings = new io.github.onnxprune.quantize
                .QuantizationSettings(excludes, java.util.Set.of(), Integer.getInteger("tableBits", 4));
        ModelProto quantized = io.github.onnxprune.quantize.Int8Quantizer.quantize(refitted, settings, null).model();
        double cosine = MiniLmFigures.cosine(reference, MiniLmFigures.pooled(runtime, quantized, validation));
        long original = io.github.onnxprune.report.FileSizes.deflatedSize(
                java.nio.ByteBuffer.wrap(dense.toByteArray()));
        long deflated = io.github.onnxprune.report.FileSizes.deflatedSize(
                java.nio.ByteBuffer.wrap(quantized.toByteArray()));
        System.out.printf(Locale.ROOT, "int8 (tables %d bits, excludes %s): pooled cosine %.4f, deflated %,d B"
                + " (%.4fx of %,d); re-fitted weights off the int8 grid: %d of %d%n",
                settings.tableBits(), excludes, cosine, deflated, (double) deflated / original, original, offGrid,
                weights);
    }

    /** The layers {@code -Dexcludes=<glob>,...} leaves float in int8 (none by default). */
    private static List<io.github.onnxprune.prune.NamePattern> excludes() {
        return System.getProperty("excludes") == null ? List.of()
                : java.util.Arrays.stream(System.getProperty("excludes").split(","))
                        .map(io.github.onnxprune.prune.NamePattern::new).toList();
    }

    /**
     * Sparsity overrides by the name of the MatMul node that reads a weight ({@code -DnodeOverrides=
     * *output/dense*=0.65,*=0.425}: the first matching glob wins), as overrides by the weight's name.
     */
    private static List<io.github.onnxprune.prune.SparsityOverride> nodeOverrides(ModelProto model, String text) {
        List<io.github.onnxprune.prune.SparsityOverride> result = new java.util.ArrayList<>();
        if (text == null) {
            return result;
        }
        List<io.github.onnxprune.prune.SparsityOverride> byNode = java.util.Arrays.stream(text.split(","))
                .map(io.github.onnxprune.prune.SparsityOverride::parse).toList();
        for (ai.onnx.proto.OnnxMl.NodeProto node : model.getGraph().getNodeList()) {
            if (node.getOpType().equals("MatMul") && node.getInput(1).startsWith("onnx::")) {
                io.github.onnxprune.prune.SparsityOverride match =
                        io.github.onnxprune.prune.SparsityOverride.firstMatching(byNode, node.getName());
                if (match != null) {
                    result.add(io.github.onnxprune.prune.SparsityOverride.parse(node.getInput(1) + "="
                            + match.sparsity()));
                }
            }
        }
        return result;
    }

    /**
     * An experiment: each encoder LayerNorm's per-channel scale and shift re-fitted, in graph order, so that on
     * the calibration tokens the pruned model's normalised values, scaled and shifted, match the dense model's
     * LayerNorm output by least squares (one regression of two parameters per channel).
     */
    private static ModelProto correctLayerNorms(ModelProto dense, ModelProto pruned, ActivationCollector collector) {
        io.github.onnxprune.onnx.ModelGraph denseGraph = io.github.onnxprune.onnx.ModelGraph.of(dense);
        double shrink = Double.parseDouble(System.getProperty("layerNormShrink", "0"));
        ModelProto current = pruned;
        for (ai.onnx.proto.OnnxMl.NodeProto mul : denseGraph.nodes()) {
            if (!mul.getOpType().equals("Mul") || !mul.getName().matches(
                    System.getProperty("layerNormNodes", "/encoder/.*/LayerNorm/Mul"))) {
                continue;
            }
            ai.onnx.proto.OnnxMl.NodeProto add = denseGraph.nodes().stream()
                    .filter(n -> n.getOpType().equals("Add") && n.getInputList().contains(mul.getOutput(0)))
                    .findFirst().orElseThrow();
            String gammaName = mul.getInput(1);
            String betaName = add.getInput(0).equals(mul.getOutput(0)) ? add.getInput(1) : add.getInput(0);
            float[] normalised = floats(collector.maskedRows(
                    collector.collect(current, List.of(mul.getInput(0))).get(mul.getInput(0))));
            float[] target = floats(collector.maskedRows(
                    collector.collect(dense, List.of(add.getOutput(0))).get(add.getOutput(0))));
            io.github.onnxprune.onnx.ModelGraph graph = io.github.onnxprune.onnx.ModelGraph.of(current);
            io.github.onnxprune.onnx.FloatTensor gamma = io.github.onnxprune.onnx.FloatTensor.of(
                    graph.constant(gammaName).orElseThrow().tensor());
            io.github.onnxprune.onnx.FloatTensor beta = io.github.onnxprune.onnx.FloatTensor.of(
                    graph.constant(betaName).orElseThrow().tensor());
            int width = gamma.size();
            int rows = normalised.length / width;
            double[] g = new double[width];
            double[] b = new double[width];
            double before = 0;
            double after = 0;
            double norm = 0;
            for (int c = 0; c < width; c++) {
                double sx = 0, sy = 0, sxx = 0, sxy = 0;
                for (int r = 0; r < rows; r++) {
                    double x = normalised[r * width + c];
                    double y = target[r * width + c];
                    sx += x;
                    sy += y;
                    sxx += x * x;
                    sxy += x * y;
                }
                double mx = sx / rows;
                double my = sy / rows;
                double vx = sxx / rows - mx * mx;
                double cxy = sxy / rows - mx * my;
                // Shrunk towards the current scale: shrink = 0 is the plain least squares.
                double lambda = shrink * vx;
                g[c] = (cxy + lambda * gamma.get(c)) / (vx + lambda);
                b[c] = my - g[c] * mx;
                for (int r = 0; r < rows; r++) {
                    double x = normalised[r * width + c];
                    double y = target[r * width + c];
                    double was = gamma.get(c) * x + beta.get(c) - y;
                    double is = g[c] * x + b[c] - y;
                    before += was * was;
                    after += is * is;
                    norm += y * y;
                }
            }
            System.out.printf(Locale.ROOT, "  %s on %d rows: error %.4f -> %.4f%n", mul.getName(), rows,
                    Math.sqrt(before / norm), Math.sqrt(after / norm));
            current = graph.withConstants(java.util.Map.of(gammaName, gamma.withValues(g), betaName,
                    beta.withValues(b)));
        }
        return current;
    }

    private static float[] floats(io.github.onnxprune.eval.Tensor tensor) {
        java.nio.FloatBuffer view = tensor.floatView();
        float[] result = new float[view.remaining()];
        view.get(result);
        return result;
    }

    /** The re-fitted weight of MatMul {@code node} and, when the re-fit moved it, the bias added after it. */
    private static java.util.Map<String, ai.onnx.proto.OnnxMl.TensorProto> changed(
            io.github.onnxprune.onnx.ModelGraph dense, io.github.onnxprune.onnx.ModelGraph fitted, String node,
            String weight) {
        java.util.Map<String, ai.onnx.proto.OnnxMl.TensorProto> result = new java.util.HashMap<>();
        result.put(weight, fitted.constant(weight).orElseThrow().tensor());
        for (ai.onnx.proto.OnnxMl.NodeProto add : dense.nodes()) {
            if (add.getOpType().equals("Add") && add.getInputList().contains(node + "_output_0")) {
                for (String input : add.getInputList()) {
                    if (dense.constant(input).isPresent()
                            && !dense.constant(input).get().tensor().equals(fitted.constant(input).get().tensor())) {
                        result.put(input, fitted.constant(input).get().tensor());
                    }
                }
            }
        }
        return result;
    }

    /**
     * Where the cosine goes: the dense model with only some of the re-fitted weights put in (one transformer
     * block, one role across blocks, one layer), each group's pooled cosine to the original's.
     */
    private static void diagnose(OnnxRuntimeEvaluator runtime, ModelProto dense, ModelProto refitted,
            List<String> zeroed, ValidationData validation, float[][] reference, ValidationData calibrationPart) {
        float[][] calibrationReference = MiniLmFigures.pooled(runtime, dense, calibrationPart);
        io.github.onnxprune.onnx.ModelGraph denseGraph = io.github.onnxprune.onnx.ModelGraph.of(dense);
        io.github.onnxprune.onnx.ModelGraph fittedGraph = io.github.onnxprune.onnx.ModelGraph.of(refitted);
        java.util.Map<String, String> weightOfNode = new java.util.LinkedHashMap<>();
        for (ai.onnx.proto.OnnxMl.NodeProto node : denseGraph.nodes()) {
            if (node.getInputCount() > 1 && zeroed.contains(node.getInput(1))) {
                weightOfNode.put(node.getName(), node.getInput(1));
            }
        }
        java.util.Map<String, List<String>> groups = new java.util.LinkedHashMap<>();
        for (String node : weightOfNode.keySet()) {
            String block = node.replaceAll(".*/layer\\.(\\d+)/.*", "block $1");
            String role = node.replaceAll(".*/layer\\.\\d+/", "").replace("/MatMul", "");
            groups.computeIfAbsent(block, k -> new java.util.ArrayList<>()).add(node);
            groups.computeIfAbsent("role " + role, k -> new java.util.ArrayList<>()).add(node);
        }
        for (java.util.Map.Entry<String, List<String>> group : groups.entrySet()) {
            java.util.Map<String, ai.onnx.proto.OnnxMl.TensorProto> swapped = new java.util.HashMap<>();
            for (String node : group.getValue()) {
                swapped.putAll(changed(denseGraph, fittedGraph, node, weightOfNode.get(node)));
            }
            double cosine = MiniLmFigures.cosine(reference,
                    MiniLmFigures.pooled(runtime, denseGraph.withConstants(swapped), validation));
            System.out.printf(Locale.ROOT, "  only %-50s loss %.4f (cosine %.4f)%n", group.getKey(), 1 - cosine,
                    cosine);
        }
        // Per layer on calibration sentences only (64 of them): the sensitivities an allocation may use.
        for (java.util.Map.Entry<String, String> layer : weightOfNode.entrySet()) {
            ModelProto swapped = denseGraph.withConstants(changed(denseGraph, fittedGraph, layer.getKey(),
                    layer.getValue()));
            double cosine = MiniLmFigures.cosine(calibrationReference,
                    MiniLmFigures.pooled(runtime, swapped, calibrationPart));
            System.out.printf(Locale.ROOT, "  sensitivity %s %s %d %.6f%n", layer.getValue(), layer.getKey(),
                    denseGraph.constant(layer.getValue()).orElseThrow().tensor().getRawData().size() / 4,
                    1 - cosine);
        }
    }

}
