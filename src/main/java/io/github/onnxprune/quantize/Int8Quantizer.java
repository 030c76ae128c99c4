package io.github.onnxprune.quantize;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.prune.calibrate.ActivationCollector;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Quantizes a model's MatMul, Gemm and Conv layers to int8 in graph forms ONNX Runtime's CPU provider fuses
 * into integer kernels: MatMul and Gemm dynamically ({@link DynamicMatMulForm}), Conv statically from
 * calibration ranges ({@link ConvQdqForm}); embedding tables read by Gather are stored as int8 rows
 * ({@link Int8GatherForm}). Every other node is copied unchanged; a layer without a form (or
 * excluded, or whose opset cannot be raised safely) stays float with the reason. The same input gives the same
 * bytes.
 */
public final class Int8Quantizer {

    private Int8Quantizer() {
    }

    /**
     * Quantizes {@code model}.
     *
     * @param model the float model
     * @param settings layers to leave float
     * @param calibration samples for Conv's activation ranges and each layer's output error; may be null: then
     *     Conv (static QDQ needs activation ranges) stays float with a reason and no error is measured
     * @return the quantized model (the input itself when no layer is quantized) and one entry per candidate
     */
    public static QuantizationResult quantize(ModelProto model, QuantizationSettings settings,
            ActivationCollector calibration) {
        return quantize(model, settings, calibration, Map.of());
    }

    /**
     * Quantizes {@code model}, reusing output errors measured before. A layer's error is measured against the
     * float model's own input to it, so it does not depend on which other layers are quantized: the fallback's
     * rounds, which change only which layers stay float, measure each layer once.
     *
     * @param knownErrors layer name to the output error an earlier call measured on the same model and
     *     calibration data; those layers are not measured again
     */
    public static QuantizationResult quantize(ModelProto model, QuantizationSettings settings,
            ActivationCollector calibration, Map<String, Double> knownErrors) {
        ModelGraph graph = ModelGraph.of(model);
        List<LayerPlanner.Candidate> candidates = withFullBitsForSmallTables(withoutTinyTables(
                withoutTablesReadInFloat(graph, withOpsetLimits(model, LayerPlanner.plan(graph, settings,
                        calibration != null)))));
        List<LayerPlanner.Candidate> planned = candidates.stream().filter(c -> c.plan() != null).toList();
        if (planned.isEmpty()) {
            return new QuantizationResult(model, candidates.stream().map(LayerPlanner.Candidate::asFloatLayer)
                    .toList());
        }
        Map<String, ActivationRange> ranges = activationRanges(model, planned, calibration);
        Map<Integer, PreparedLayer> prepared = new LinkedHashMap<>();
        for (LayerPlanner.Candidate candidate : planned) {
            prepared.put(candidate.nodeIndex(), prepare(candidate, ranges, Int8Weights.levels(settings.weightBits())));
        }

        Set<Integer> folded = new HashSet<>();
        for (PreparedLayer layer : prepared.values()) {
            if (layer.candidate().plan() instanceof ConvLayer conv) {
                folded.addAll(conv.absorbedIndices());
            }
        }
        // Nodes a Conv absorbs (BatchNormalization, Relu) are replaced along with it: its form writes their output.
        GraphRewrite rewrite = new GraphRewrite(model.getGraph());
        Map<Integer, Long> int8Bytes = new LinkedHashMap<>();
        List<NodeProto> nodes = model.getGraph().getNodeList();
        for (int i = 0; i < nodes.size(); i++) {
            PreparedLayer layer = prepared.get(i);
            if (folded.contains(i)) {
                continue;
            }
            if (layer == null) {
                rewrite.copy(nodes.get(i));
            } else {
                rewrite.release(nodes.get(i).getName());
                int8Bytes.put(i, layer.emit(rewrite, layer.input(), layer.output()));
            }
        }
        ModelProto quantized = OpsetUpgrade.raise(withoutUnreadWeights(model, rewrite, prepared.values()),
                requiredOpset(planned));

        List<PreparedLayer> unmeasured = prepared.values().stream()
                .filter(l -> !knownErrors.containsKey(l.candidate().layer())).toList();
        Map<String, Double> errors = calibration == null || unmeasured.isEmpty() ? Map.of()
                : LayerErrors.measure(model, unmeasured, calibration);
        List<QuantizedLayer> layers = new ArrayList<>();
        for (LayerPlanner.Candidate candidate : candidates) {
            PreparedLayer layer = prepared.get(candidate.nodeIndex());
            if (layer == null) {
                layers.add(candidate.asFloatLayer());
            } else {
                layers.add(new QuantizedLayer(candidate.layer(), candidate.opType(), true, candidate.plan().form(),
                        "",
                        candidate.floatBytes(), int8Bytes.get(candidate.nodeIndex()),
                        knownErrors.getOrDefault(candidate.layer(),
                                errors.getOrDefault(layer.output(), Double.NaN))));
            }
        }
        return new QuantizationResult(quantized, layers);
    }

    /** Candidates whose form needs an opset the model cannot be raised to, turned float with the reason. */
    private static List<LayerPlanner.Candidate> withOpsetLimits(ModelProto model,
            List<LayerPlanner.Candidate> candidates) {
        Map<Integer, Optional<String>> blockers = new java.util.HashMap<>();
        List<LayerPlanner.Candidate> limited = new ArrayList<>();
        for (LayerPlanner.Candidate candidate : candidates) {
            Optional<String> blocker = candidate.plan() == null ? Optional.empty()
                    : blockers.computeIfAbsent(candidate.plan().minOpset(), v -> OpsetUpgrade.blocker(model, v));
            limited.add(blocker.map(why -> candidate.keptFloat(why + ", so the opset cannot be raised safely"))
                    .orElse(candidate));
        }
        return limited;
    }

    /**
     * Table lookups whose table another node still reads in float, turned float: storing an int8 copy next to
     * the float table would only add bytes, and a lookup gains no speed from int8. (A MatMul's int8 copy is
     * kept even then: it runs faster.)
     */
    private static List<LayerPlanner.Candidate> withoutTablesReadInFloat(ModelGraph graph,
            List<LayerPlanner.Candidate> candidates) {
        Set<Integer> quantizedNodes = new HashSet<>();
        candidates.stream().filter(c -> c.plan() != null).forEach(c -> quantizedNodes.add(c.nodeIndex()));
        List<LayerPlanner.Candidate> checked = new ArrayList<>();
        for (LayerPlanner.Candidate candidate : candidates) {
            if (candidate.plan() instanceof GatherLayer gather) {
                String table = gather.node().getInput(0);
                Optional<String> floatReader = graph.consumers(table).stream()
                        .filter(c -> c.inputIndex() < 0 || !quantizedNodes.contains(c.nodeIndex()))
                        .map(c -> QuantizedLayer.nameOf(c.node())).findFirst();
                if (floatReader.isPresent() || graph.graphOutputs().contains(table)) {
                    checked.add(candidate.keptFloat("its table is also read in float by "
                            + floatReader.map(n -> "'" + n + "'").orElse("the graph's outputs")
                            + ", so an int8 copy would only add bytes"));
                    continue;
                }
            }
            checked.add(candidate);
        }
        return checked;
    }

    /** A table smaller than this share of all candidate layers' weight bytes stays float. */
    static final double TINY_TABLE_SHARE = 0.001;

    /**
     * Table lookups too small to matter, turned float: a lookup gains no speed from int8, so its only gain is
     * bytes, and a table of a few rows (BERT's token types: 2 rows, read by every token) would add its rounding
     * error to every token for a saving of a few KiB.
     */
    private static List<LayerPlanner.Candidate> withoutTinyTables(List<LayerPlanner.Candidate> candidates) {
        long total = candidates.stream().mapToLong(LayerPlanner.Candidate::floatBytes).sum();
        List<LayerPlanner.Candidate> checked = new ArrayList<>();
        for (LayerPlanner.Candidate candidate : candidates) {
            if (candidate.plan() instanceof GatherLayer && candidate.floatBytes() < total * TINY_TABLE_SHARE) {
                checked.add(candidate.keptFloat(String.format(java.util.Locale.ROOT, "its table (%.1f KiB) is under"
                        + " 0.1%% of the layers' weights: int8 would save next to nothing and add its rounding error"
                        + " to every lookup", candidate.floatBytes() / 1024.0)));
                continue;
            }
            checked.add(candidate);
        }
        return checked;
    }

    /** A table smaller than this share of all candidate layers' weight bytes keeps 8 bits whatever tableBits says. */
    static final double FEWER_BITS_SHARE = 0.01;

    /**
     * Tables under 1% of the weights, kept to 8 bits: fewer bits there save under half a percent of the file while
     * every token carries their rounding error (all-minilm-l6-v2's position table, 0.9% of its weights, costs 0.0038
     * of pooled cosine at 4 bits, the word table, 52%, 0.0059).
     */
    private static List<LayerPlanner.Candidate> withFullBitsForSmallTables(List<LayerPlanner.Candidate> candidates) {
        long total = candidates.stream().mapToLong(LayerPlanner.Candidate::floatBytes).sum();
        List<LayerPlanner.Candidate> checked = new ArrayList<>();
        for (LayerPlanner.Candidate candidate : candidates) {
            if (candidate.plan() instanceof GatherLayer gather && gather.bits() < QuantizationSettings.FULL_TABLE_BITS
                    && candidate.floatBytes() < total * FEWER_BITS_SHARE) {
                checked.add(new LayerPlanner.Candidate(candidate.nodeIndex(), candidate.layer(), candidate.opType(),
                        candidate.floatBytes(), gather.withBits(QuantizationSettings.FULL_TABLE_BITS), null));
                continue;
            }
            checked.add(candidate);
        }
        return checked;
    }

    static int requiredOpset(List<LayerPlanner.Candidate> planned) {
        return planned.stream().mapToInt(c -> c.plan().minOpset()).max().orElse(1);
    }

    /** Per Conv input and output value, its range over the calibration samples in the float model. */
    private static Map<String, ActivationRange> activationRanges(ModelProto model,
            List<LayerPlanner.Candidate> planned, ActivationCollector calibration) {
        List<String> values = new ArrayList<>();
        for (LayerPlanner.Candidate candidate : planned) {
            if (candidate.plan() instanceof ConvLayer conv) {
                for (String value : List.of(conv.input(), conv.output())) {
                    if (!values.contains(value)) {
                        values.add(value);
                    }
                }
            }
        }
        if (values.isEmpty()) {
            return Map.of();
        }
        Map<String, ActivationRange> ranges = new LinkedHashMap<>();
        calibration.collect(model, values).forEach((name, tensor) -> ranges.put(name,
                ActivationRange.of((float[]) tensor.data())));
        return ranges;
    }

    /** {@code weightLimit} bounds computed weights' values; tables take theirs from their own bits. */
    private static PreparedLayer prepare(LayerPlanner.Candidate candidate, Map<String, ActivationRange> ranges,
            int weightLimit) {
        if (candidate.plan() instanceof MatMulLayer matMul) {
            return new PreparedLayer(candidate, Int8Weights.perColumn(matMul.weight(), matMul.rows(),
                    matMul.columns(), weightLimit), null, null);
        }
        if (candidate.plan() instanceof GatherLayer gather) {
            return new PreparedLayer(candidate, Int8Weights.perLeadingAxis(gather.table(),
                    gather.rows() * gather.columns(), gather.rows(), Int8Weights.levels(gather.bits())), null, null);
        }
        ConvLayer conv = (ConvLayer) candidate.plan();
        double[] weight = conv.weight();
        return new PreparedLayer(candidate, Int8Weights.perLeadingAxis(i -> weight[i], weight.length,
                conv.channels(), weightLimit),
                ranges.get(conv.input()), ranges.get(conv.output()));
    }

    /**
     * The model with the rewritten nodes and new initializers, minus the float weights and biases no node reads
     * any more (a weight another node shares stays). Constant nodes that held such a weight go too.
     */
    private static ModelProto withoutUnreadWeights(ModelProto model, GraphRewrite rewrite,
            Iterable<PreparedLayer> layers) {
        Set<String> read = new HashSet<>();
        for (NodeProto node : rewrite.nodes()) {
            read.addAll(node.getInputList());
        }
        GraphProto original = model.getGraph();
        ModelGraph index = ModelGraph.of(model);
        Set<String> maybeUnread = new HashSet<>();
        for (PreparedLayer layer : layers) {
            for (NodeProto node : layer.candidate().plan().replacedNodes()) {
                node.getInputList().stream().filter(name -> !name.equals(layer.input())).forEach(maybeUnread::add);
            }
        }
        Set<String> outputs = new HashSet<>();
        original.getOutputList().forEach(v -> outputs.add(v.getName()));
        // Subgraphs read outer values without listing them as node inputs: ModelGraph counts those reads.
        Set<String> drop = new HashSet<>();
        for (String name : maybeUnread) {
            boolean readInSubgraph = index.consumers(name).stream().anyMatch(c -> c.inputIndex() < 0);
            if (index.constant(name).isPresent() && !read.contains(name) && !outputs.contains(name)
                    && !readInSubgraph) {
                drop.add(name);
            }
        }
        GraphProto.Builder graph = original.toBuilder().clearNode().clearInitializer();
        for (NodeProto node : rewrite.nodes()) {
            boolean unreadConstant = node.getOpType().equals("Constant") && node.getOutputCount() == 1
                    && drop.contains(node.getOutput(0));
            if (!unreadConstant) {
                graph.addNode(node);
            }
        }
        original.getInitializerList().stream().filter(t -> !drop.contains(t.getName()))
                .forEach(graph::addInitializer);
        rewrite.initializers().forEach(graph::addInitializer);
        // Before IR 4 every initializer is also listed as an input; a dropped one must leave that list too.
        if (model.getIrVersion() < 4) {
            graph.clearInput();
            original.getInputList().stream().filter(v -> !drop.contains(v.getName())).forEach(graph::addInput);
        }
        return model.toBuilder().setGraph(graph).build();
    }
}
