package io.github.onnxprune.prune.nodes;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelGraph;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The model without the units {@link NodePruner} chose: every coupled slice, shape constant and group count. */
final class PrunedModel {

    private PrunedModel() {
    }

    /** The features a layout keeps, in order; null when all stay. */
    private static int[] keptFeatures(Layout layout, Map<Space, int[]> kept) {
        boolean changed = false;
        for (Layout.Segment segment : layout.segments) {
            changed |= kept.containsKey(segment.space().root());
        }
        if (!changed) {
            return null;
        }
        int repeat = layout.repeat;
        if (repeat <= 0) {
            throw new IllegalStateException("feature count of a flattened value was never settled");
        }
        List<Integer> features = new ArrayList<>();
        for (Layout.Segment segment : layout.segments) {
            int[] units = kept.get(segment.space().root());
            int count = units != null ? units.length : segment.space().size;
            for (int i = 0; i < count; i++) {
                int unit = units != null ? units[i] : i;
                for (int j = 0; j < repeat; j++) {
                    features.add((segment.offset() + unit) * repeat + j);
                }
            }
        }
        return features.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Rewrites the model; {@code slices} receives, per sliced constant, the indices kept on each axis. */
    static ModelProto rewrite(CouplingAnalysis analysis, Map<Space, int[]> kept, Map<String, int[][]> slices) {
        ModelGraph graph = analysis.graph;
        Map<String, TensorProto> replacements = new LinkedHashMap<>();
        for (Map.Entry<String, Map<Integer, Layout>> entry : analysis.constantEdits.entrySet()) {
            TensorProto tensor = graph.constant(entry.getKey()).orElseThrow().tensor();
            int[][] keep = new int[tensor.getDimsCount()][];
            boolean changed = false;
            for (Map.Entry<Integer, Layout> axis : entry.getValue().entrySet()) {
                keep[axis.getKey()] = keptFeatures(axis.getValue(), kept);
                changed |= keep[axis.getKey()] != null;
            }
            if (changed) {
                replacements.put(entry.getKey(), TensorOps.select(FloatTensor.of(tensor), keep));
                slices.put(entry.getKey(), keep);
            }
        }
        for (Map.Entry<String, List<CouplingAnalysis.ShapeEdit>> entry : analysis.shapeEdits.entrySet()) {
            TensorProto shape = graph.constant(entry.getKey()).orElseThrow().tensor();
            boolean changed = false;
            for (CouplingAnalysis.ShapeEdit edit : entry.getValue()) {
                int[] features = keptFeatures(edit.layout(), kept);
                if (features != null) {
                    shape = TensorOps.withInt64(shape, edit.index(), features.length / edit.divisor());
                    changed = true;
                }
            }
            if (changed) {
                replacements.put(entry.getKey(), shape);
            }
        }
        ModelProto.Builder builder = graph.withConstants(replacements).toBuilder();
        GraphProto.Builder graphBuilder = builder.getGraphBuilder();
        for (Map.Entry<Integer, Layout> entry : analysis.groupEdits.entrySet()) {
            int[] channels = keptFeatures(entry.getValue(), kept);
            if (channels == null) {
                continue;
            }
            NodeProto.Builder node = graphBuilder.getNodeBuilder(entry.getKey());
            for (AttributeProto.Builder attribute : node.getAttributeBuilderList()) {
                if (attribute.getName().equals("group")) {
                    attribute.setI(channels.length);
                }
            }
        }
        // Shape annotations of values that lost units are dropped rather than rewritten: runtimes infer them.
        Set<String> changedValues = new HashSet<>();
        for (Map.Entry<String, Layout> entry : analysis.layouts.entrySet()) {
            if (keptFeatures(entry.getValue(), kept) != null) {
                changedValues.add(entry.getKey());
            }
        }
        for (int i = graphBuilder.getValueInfoCount() - 1; i >= 0; i--) {
            if (changedValues.contains(graphBuilder.getValueInfo(i).getName())) {
                graphBuilder.removeValueInfo(i);
            }
        }
        return builder.build();
    }
}
