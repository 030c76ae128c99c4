package io.github.onnxprune.prune.calibrate;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.onnx.ModelBytes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The values one model computes on the calibration samples, collected stage by stage while only the weights of
 * already collected stages change (the re-fitted layers, in graph order). Each value collected is kept and fed
 * back to ONNX Runtime as an input of later runs, so a run computes only the nodes between the values already
 * known and the one asked for (a transformer block's attention, or its feed-forward layer) instead of the whole
 * graph from the model's inputs: all stages together cost about one pass of the model. A kept value is dropped
 * when every node reading it has run, or when a weight it is computed from changes; whatever is not kept is
 * computed again from the model's inputs, so the results never depend on what is kept. On a small heap values
 * are collected in parts of whole batches ({@link ActivationCollector#partStarts}), so no array holds all
 * samples' values at once, and a value read once is computed as it is read instead of kept; when the heap has
 * room ({@code whole}) each value is one array from one run, and kept until its readers have run.
 *
 * <p>Only float values of the model's batch size are kept (the layers' inputs): shape arithmetic and masks are
 * computed again in each run, which costs little. A graph with subgraphs (If, Loop, Scan) runs whole every
 * time, as their bodies may read any outer value.
 */
final class StagedActivations {

    private final ActivationCollector collector;
    private final boolean whole;
    private final Map<String, StagedValue> kept = new HashMap<>();
    private final Map<String, Set<String>> keptDependencies = new HashMap<>();
    private final Set<Integer> ran = new HashSet<>();
    private int lastRunNodes;

    /** Values in parts, and values read once computed again when needed again: the smallest heap. */
    StagedActivations(ActivationCollector collector) {
        this(collector, false);
    }

    /**
     * Values in one part each and always kept when {@code whole} (the results are the same, with fewer ONNX
     * Runtime sessions and no value computed twice), else as {@link #StagedActivations(ActivationCollector)}.
     */
    StagedActivations(ActivationCollector collector, boolean whole) {
        this.collector = collector;
        this.whole = whole;
    }

    /** The value {@code name} of {@code model} on every calibration sample, first dimension the samples. */
    StagedValue value(ModelProto model, String name) {
        return value(model, name, true);
    }

    /**
     * As {@link #value(ModelProto, String)}; unless {@code keep}, a value not already kept is not collected
     * here but computed part by part as it is read, once ({@link StagedValue.Elements}), and not kept: for a
     * value no later layer reads, whose parts need never be held all at once. With room for whole values, every
     * value is kept, {@code keep} or not.
     */
    StagedValue value(ModelProto model, String name, boolean keep) {
        keep |= whole;
        StagedValue known = kept.get(name);
        lastRunNodes = 0;
        if (known != null) {
            return known;
        }
        GraphProto graph = model.getGraph();
        Set<String> graphInputs = new HashSet<>();
        graph.getInputList().forEach(v -> graphInputs.add(v.getName()));
        if (graphInputs.contains(name) || ActivationCollector.dependencies(graph, name) == null
                || ActivationCollector.floatType(model) != TensorProto.DataType.FLOAT_VALUE) {
            return new StagedValue(List.of(collector.collect(model, List.of(name)).get(name)));
        }
        List<NodeProto> nodes = graph.getNodeList();
        Set<String> needed = new HashSet<>(List.of(name));
        Set<String> fed = new java.util.LinkedHashSet<>();
        boolean[] include = new boolean[nodes.size()];
        for (int i = nodes.size() - 1; i >= 0; i--) {
            NodeProto node = nodes.get(i);
            if (node.getOutputList().stream().noneMatch(needed::contains)) {
                continue;
            }
            include[i] = true;
            for (String input : node.getInputList()) {
                if (kept.containsKey(input)) {
                    fed.add(input);
                } else if (!input.isEmpty()) {
                    needed.add(input);
                }
            }
        }
        java.nio.ByteBuffer stage = ModelBytes.serialize(stage(model, include, fed, name));
        // One part with room for whole values; else parts (the kept values share them), so no array holds all
        // samples' values at once.
        int[] starts = collector.partStarts(model, whole ? 1 : ActivationCollector.PARTS);
        Map<String, StagedValue> fedValues = new LinkedHashMap<>();
        fed.forEach(value -> fedValues.put(value, kept.get(value)));
        java.util.function.IntFunction<Tensor> compute = part -> {
            Map<String, Tensor> extra = new LinkedHashMap<>();
            fedValues.forEach((value, parts) -> extra.put(value, parts.parts().get(part)));
            return collector.run(stage, extra, List.of(name), starts[part], starts[part + 1]).get(name);
        };
        StagedValue value;
        if (keep) {
            List<Tensor> parts = new ArrayList<>();
            for (int part = 0; part + 1 < starts.length; part++) {
                parts.add(compute.apply(part));
            }
            value = new StagedValue(parts);
        } else {
            // The first part gives the shape, and is handed over when read.
            Tensor[] first = {compute.apply(0)};
            long[] shape = first[0].shape();
            shape[0] = starts[starts.length - 1];
            value = new StagedValue(shape, starts, part -> {
                Tensor ready = part == 0 ? first[0] : null;
                first[0] = part == 0 ? null : first[0];
                return ready != null ? ready : compute.apply(part);
            });
        }
        for (int i = 0; i < include.length; i++) {
            if (include[i]) {
                ran.add(i);
                lastRunNodes++;
            }
        }
        if (keep) {
            keep(graph, name, value);
        }
        return value;
    }

    /** Whether values are collected whole and kept ({@link #StagedActivations(ActivationCollector, boolean)}). */
    boolean keepsWhole() {
        return whole;
    }

    /** Nodes the last {@link #value} call ran (0 when it returned a kept value), for tests. */
    int lastRunNodes() {
        return lastRunNodes;
    }

    /** Records that {@code weight} changed: kept values computed from it are dropped. */
    void changed(String weight) {
        kept.keySet().removeIf(value -> keptDependencies.get(value).contains(weight));
        keptDependencies.keySet().retainAll(kept.keySet());
    }

    /** Drops the kept value {@code name}, if any: a later stage that needs it computes it again. */
    void release(String name) {
        kept.remove(name);
        keptDependencies.remove(name);
    }

    /** Keeps {@code value} and drops kept values that every reader has now consumed. */
    private void keep(GraphProto graph, String name, StagedValue value) {
        kept.put(name, value);
        keptDependencies.put(name, ActivationCollector.dependencies(graph, name));
        List<NodeProto> nodes = graph.getNodeList();
        Map<String, List<Integer>> readers = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            for (String input : nodes.get(i).getInputList()) {
                if (kept.containsKey(input)) {
                    readers.computeIfAbsent(input, k -> new ArrayList<>()).add(i);
                }
            }
        }
        Set<String> outputs = new HashSet<>();
        graph.getOutputList().forEach(v -> outputs.add(v.getName()));
        kept.keySet().removeIf(k -> !k.equals(name) && !outputs.contains(k)
                && readers.getOrDefault(k, List.of()).stream().allMatch(ran::contains));
        keptDependencies.keySet().retainAll(kept.keySet());
    }

    /**
     * The part of {@code model} that computes {@code output} from its inputs and the {@code fed} values, which
     * become graph inputs (float, first dimension the batch).
     */
    private ModelProto stage(ModelProto model, boolean[] include, Set<String> fed, String output) {
        GraphProto graph = model.getGraph();
        ModelProto.Builder builder = model.toBuilder();
        GraphProto.Builder stage = builder.getGraphBuilder();
        stage.clearNode().clearInitializer().clearOutput().clearValueInfo();
        Set<String> read = new HashSet<>();
        List<NodeProto> nodes = graph.getNodeList();
        for (int i = 0; i < nodes.size(); i++) {
            if (include[i]) {
                stage.addNode(nodes.get(i));
                read.addAll(nodes.get(i).getInputList());
            }
        }
        Set<String> declaredInputs = new HashSet<>();
        graph.getInputList().forEach(v -> declaredInputs.add(v.getName()));
        for (TensorProto initializer : graph.getInitializerList()) {
            if (read.contains(initializer.getName()) || declaredInputs.contains(initializer.getName())) {
                stage.addInitializer(initializer);
            }
        }
        for (String value : fed) {
            long[] shape = kept.get(value).shape();
            TensorShapeProto.Builder dims = TensorShapeProto.newBuilder()
                    .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("calibration_batch"));
            for (int d = 1; d < shape.length; d++) {
                dims.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(shape[d]));
            }
            stage.addInput(ValueInfoProto.newBuilder().setName(value).setType(TypeProto.newBuilder()
                    .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE)
                            .setShape(dims))));
        }
        stage.addOutput(ValueInfoProto.newBuilder().setName(output).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE))));
        return builder.build();
    }
}
