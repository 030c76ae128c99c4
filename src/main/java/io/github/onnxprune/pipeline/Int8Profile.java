package io.github.onnxprune.pipeline;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.prune.calibrate.ActivationCollector;
import io.github.onnxprune.prune.nodes.BlockRoles;
import io.github.onnxprune.quantize.Int8Quantizer;
import io.github.onnxprune.quantize.QuantizationResult;
import io.github.onnxprune.quantize.QuantizationSettings;
import io.github.onnxprune.quantize.QuantizedLayer;
import io.github.onnxprune.report.JsonFields;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The int8 part of the sensitivity profile: the metric with only one group of layers quantized (a transformer
 * block's layers of one role, or one layer), every other layer float, with the largest output error the quantizer
 * measured among its layers (its cheap signal). One evaluation per group.
 */
final class Int8Profile {

    private Int8Profile() {
    }

    /**
     * One group quantized alone.
     *
     * @param name the block and role ({@code block 0 attention}), or the layer's name
     * @param layers its node names
     * @param metric the metric with only it in int8
     * @param passes whether that passes the gate
     * @param outputError the largest relative output error {@code ||y_q - y|| / ||y||} among its layers, NaN when
     *     none was measured
     */
    record Entry(String name, List<String> layers, double metric, boolean passes, double outputError) {

        Map<String, Object> json() {
            JsonFields fields = JsonFields.object().put("name", name).put("layers", layers).put("metric", metric)
                    .put("passes", passes);
            if (!Double.isNaN(outputError)) {
                fields.put("outputError", outputError);
            }
            return fields.build();
        }
    }

    /**
     * Every group of the layers int8 would quantize in {@code model} (with {@code settings}' exclusions), each
     * quantized alone and measured by {@code measure}, in graph order.
     */
    static List<Entry> measure(ModelProto model, QuantizationSettings settings, ActivationCollector calibration,
            Function<ModelProto, Profiles.Scored> measure) {
        QuantizationResult all = Int8Quantizer.quantize(model, settings, calibration);
        Map<String, Double> errors = new HashMap<>();
        List<String> quantized = new ArrayList<>();
        for (QuantizedLayer layer : all.layers()) {
            if (layer.quantized()) {
                quantized.add(layer.layer());
                errors.put(layer.layer(), layer.outputError());
            }
        }
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, List<String>> group : groups(model, quantized).entrySet()) {
            Set<String> others = new LinkedHashSet<>(quantized);
            group.getValue().forEach(others::remove);
            ModelProto alone = Int8Quantizer.quantize(model, settings.withKeepFloat(others), calibration, errors)
                    .model();
            Profiles.Scored verdict = measure.apply(alone);
            double error = group.getValue().stream().mapToDouble(l -> errors.getOrDefault(l, Double.NaN))
                    .filter(e -> !Double.isNaN(e)).max().orElse(Double.NaN);
            entries.add(new Entry(group.getKey(), group.getValue(), verdict.metric(), verdict.passes(), error));
        }
        return entries;
    }

    /** The quantized layers by transformer block and role (their weight's role), each other layer alone. */
    private static Map<String, List<String>> groups(ModelProto model, List<String> layers) {
        ModelGraph graph = ModelGraph.of(model);
        Map<String, BlockRoles.Group> roleOf = BlockRoles.byTensor(graph);
        Map<String, String> weightOf = new HashMap<>();
        for (NodeProto node : graph.nodes()) {
            if (node.getInputCount() > 1) {
                weightOf.put(QuantizedLayer.nameOf(node), node.getInput(1));
            }
        }
        Map<String, List<String>> groups = new LinkedHashMap<>();
        for (String layer : layers) {
            BlockRoles.Group role = roleOf.get(weightOf.getOrDefault(layer, ""));
            String name = role != null ? String.format(Locale.ROOT, "block %d %s", role.block(), role.role()) : layer;
            groups.computeIfAbsent(name, k -> new ArrayList<>()).add(layer);
        }
        return groups;
    }
}
