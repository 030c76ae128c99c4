package io.github.onnxprune.prune.calibrate;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import io.github.onnxprune.eval.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The values one model computes on the calibration samples, collected stage by stage while only the weights of
 * already collected stages change (the re-fitted layers, in graph order). Each value collected is kept and fed
 * back to ONNX Runtime as an input of later runs, so a run computes only the nodes between the values already
 * known and the one asked for (a transformer block's attention, or its feed-forward layer) instead of the whole
 * graph from the model's inputs: all stages together cost about one pass of the model, however deep it is. A
 * kept value is dropped when every node reading it has run, or when a weight it is computed from changes; what
 * is no longer kept is computed again from the values that are, so the results never depend on what is kept.
 * When the heap has room ({@code whole}) each value is held on the heap, one array per core; otherwise it is
 * collected in parts of whole batches ({@link ActivationCollector#partStarts}), each part written to a scratch
 * file as it comes ({@link ScratchFiles}) and read back when a stage or a fit needs it, so the heap holds a part
 * or two at a time whatever the model's depth and the calibration set's size. Both give the same values, bit for
 * bit: ONNX Runtime sees the same batches either way. Token sequences of padded sentences are computed in batches
 * of similar length cut to their longest and kept as their real tokens' rows only ({@link TokenRows}), in the same
 * {@link ActivationCollector#PARTS} parts on any heap, as the batches are formed within each part.
 *
 * <p>Only float values of the model's batch size are kept (the layers' inputs): shape arithmetic and masks are
 * computed again in each run, which costs little. A graph with subgraphs (If, Loop, Scan) runs whole every
 * time, as their bodies may read any outer value.
 */
final class StagedActivations implements AutoCloseable {

    /** Parts a value held on the heap is computed in, side by side: one per core, at most four. */
    static final int CONCURRENT_PARTS = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));

    private final ActivationCollector collector;
    private final boolean whole;
    private final ScratchFiles scratch;
    private final Map<String, StagedValue> kept = new HashMap<>();
    private final Map<String, List<java.nio.file.Path>> spilled = new HashMap<>();
    private final Map<String, Set<String>> keptDependencies = new HashMap<>();
    private final Set<Integer> ran = new HashSet<>();
    private int lastRunNodes;

    /** Values in parts kept in scratch files ({@link ActivationCollector#scratchFolder}): the smallest heap. */
    StagedActivations(ActivationCollector collector) {
        this(collector, false);
    }

    /**
     * Values held on the heap, one part per core, when {@code whole} (the results are the same, with fewer ONNX
     * Runtime sessions and no file written), else as {@link #StagedActivations(ActivationCollector)}.
     */
    StagedActivations(ActivationCollector collector, boolean whole) {
        this.collector = collector;
        this.whole = whole;
        this.scratch = whole ? null : new ScratchFiles(collector.scratchFolder());
    }

    /** The value {@code name} of {@code model} on every calibration sample, first dimension the samples. */
    StagedValue value(ModelProto model, String name) {
        StagedValue known = kept.get(name);
        lastRunNodes = 0;
        if (known != null) {
            return known;
        }
        GraphProto graph = model.getGraph();
        Set<String> graphInputs = new HashSet<>();
        graph.getInputList().forEach(v -> graphInputs.add(v.getName()));
        if (graphInputs.contains(name) || ModelCut.dependencies(graph, name) == null
                || ModelCut.floatType(model) != TensorProto.DataType.FLOAT_VALUE) {
            return new StagedValue(List.of(collector.collect(model, List.of(name)).get(name)));
        }
        List<NodeProto> nodes = graph.getNodeList();
        Set<String> needed = new HashSet<>(List.of(name));
        Set<String> fed = new LinkedHashSet<>();
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
        Map<String, StagedValue> fedValues = new LinkedHashMap<>();
        fed.forEach(value -> fedValues.put(value, kept.get(value)));
        // Sentences cut to their batch's longest when every value fed is kept as real tokens' rows.
        TokenRows layout = collector.trimmedRows(model);
        TokenRows rows = layout != null && fedValues.values().stream().allMatch(v -> v.layout() != null) ? layout
                : null;
        // In parts of whole batches computed side by side, one ONNX Runtime session per core (each one thread, as
        // every session of the plugin), so a part's values do not depend on how many run at once. Cut sentences
        // are batched by length within each part, so then the parts are the same on any heap.
        int[] starts = collector.partStarts(model, whole && layout == null ? CONCURRENT_PARTS
                : ActivationCollector.PARTS);
        StagedValue value;
        // The stage goes to a file ONNX Runtime reads, deleted once its runs are done (ModelFile).
        try (ModelFile stage = ModelFile.of(stage(model, include, fed, name), collector.scratchFolder())) {
            value = rows == null ? null : trimmed(stage.path(), fedValues, name, starts, rows);
            if (value == null) {
                value = padded(stage.path(), fedValues, name, starts);
            }
        }
        for (int i = 0; i < include.length; i++) {
            if (include[i]) {
                ran.add(i);
                lastRunNodes++;
            }
        }
        keep(graph, name, value);
        return value;
    }

    /** {@code name} computed on whole, padded sentences (every sample's every position), part by part. */
    private StagedValue padded(java.nio.file.Path stage, Map<String, StagedValue> fedValues, String name,
            int[] starts) {
        int count = starts.length - 1;
        Tensor[] parts = whole ? new Tensor[count] : null;
        java.nio.file.Path[] files = new java.nio.file.Path[count];
        long[][] shapes = new long[count][];
        // In parts, each goes to its file as soon as it is computed: at most one part per core on the heap.
        sideBySide(count, part -> hold(compute(stage, fedValues, name, starts, part), part, parts, files, shapes));
        return wholeSentences(name, starts, parts, files, shapes);
    }

    /** Keeps part {@code part} of a value: held in {@code parts} when values are whole, else in a file. */
    private void hold(Tensor computed, int part, Tensor[] parts, java.nio.file.Path[] files, long[][] shapes) {
        shapes[part] = computed.shape();
        if (whole) {
            parts[part] = computed;
        } else {
            files[part] = scratch.write(computed);
        }
    }

    /** The value whose parts, each its samples whole, {@link #hold} kept. */
    private StagedValue wholeSentences(String name, int[] starts, Tensor[] parts, java.nio.file.Path[] files,
            long[][] shapes) {
        if (whole) {
            return new StagedValue(List.of(parts));
        }
        long[] shape = shapes[0].clone();
        shape[0] = starts[starts.length - 1];
        spilled.put(name, List.of(files));
        return new StagedValue(shape, starts, part -> scratch.read(files[part], shapes[part]));
    }

    /**
     * {@code name} computed on sentences cut to their batch's longest and kept as real tokens' rows, part by part;
     * when it is not a token sequence, on whole sentences by the same runs ({@link ActivationCollector#runTrimmed}).
     * Null in the rare case that parts disagree (then nothing is kept of it).
     */
    private StagedValue trimmed(java.nio.file.Path stage, Map<String, StagedValue> fedValues, String name,
            int[] starts, TokenRows rows) {
        int count = starts.length - 1;
        Tensor[] parts = whole ? new Tensor[count] : null;
        java.nio.file.Path[] files = new java.nio.file.Path[count];
        long[][] shapes = new long[count][];
        boolean[] tokens = new boolean[count];
        sideBySide(count, part -> {
            ActivationCollector.PartRun computed = collector.runTrimmed(stage, fedValues, name, part, starts[part],
                    starts[part + 1]);
            tokens[part] = computed.tokens();
            hold(computed.value(), part, parts, files, shapes);
        });
        boolean allTokens = true;
        boolean noTokens = true;
        for (int part = 0; part < count; part++) {
            allTokens &= tokens[part] && shapes[part][1] == shapes[0][1];
            noTokens &= !tokens[part];
        }
        if (noTokens) {
            return wholeSentences(name, starts, parts, files, shapes);
        }
        if (!allTokens) {
            if (scratch != null) {
                java.util.Arrays.stream(files).filter(java.util.Objects::nonNull).forEach(scratch::delete);
            }
            return null;
        }
        long[] shape = {starts[count], rows.tokens(), shapes[0][1]};
        if (whole) {
            return new StagedValue(shape, starts, rows, List.of(parts), null);
        }
        spilled.put(name, List.of(files));
        return new StagedValue(shape, starts, rows, null, part -> scratch.read(files[part], shapes[part]));
    }

    /** Runs {@code task} on parts 0 to {@code count - 1}, as many at once as there are cores. */
    private static void sideBySide(int count, java.util.function.IntConsumer task) {
        java.util.stream.IntStream.range(0, count).parallel().forEach(task);
    }

    /** Part {@code part} of {@code name} from {@code stage}, fed the same part of the kept values it reads. */
    private Tensor compute(java.nio.file.Path stage, Map<String, StagedValue> fedValues, String name, int[] starts,
            int part) {
        Map<String, Tensor> extra = new LinkedHashMap<>();
        fedValues.forEach((value, parts) -> extra.put(value, parts.paddedPart(part)));
        return collector.run(stage, extra, List.of(name), starts[part], starts[part + 1]).get(name);
    }

    /** How many scratch files hold kept values now (none when values are whole), for tests. */
    int scratchFiles() {
        return scratch == null ? 0 : scratch.count();
    }

    /** Deletes the scratch files of the values still kept, and lets the stages' input buffers go. */
    @Override
    public void close() {
        collector.releaseSpareBuffers();
        kept.clear();
        keptDependencies.clear();
        spilled.clear();
        if (scratch != null) {
            scratch.close();
        }
    }

    /** Nodes the last {@link #value} call ran (0 when it returned a kept value), for tests. */
    int lastRunNodes() {
        return lastRunNodes;
    }

    /** Records that {@code weight} changed: kept values computed from it are dropped. */
    void changed(String weight) {
        dropIf(value -> keptDependencies.get(value).contains(weight));
    }

    /** Drops the kept values {@code drop} accepts, and their scratch files. */
    private void dropIf(java.util.function.Predicate<String> drop) {
        for (String value : new ArrayList<>(kept.keySet())) {
            if (drop.test(value)) {
                kept.remove(value);
                keptDependencies.remove(value);
                List<java.nio.file.Path> files = spilled.remove(value);
                if (files != null) {
                    files.forEach(scratch::delete);
                }
            }
        }
    }

    /** Keeps {@code value} and drops kept values that every reader has now consumed. */
    private void keep(GraphProto graph, String name, StagedValue value) {
        kept.put(name, value);
        keptDependencies.put(name, ModelCut.dependencies(graph, name));
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
        dropIf(k -> !k.equals(name) && !outputs.contains(k)
                && readers.getOrDefault(k, List.of()).stream().allMatch(ran::contains));
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
            boolean cut = kept.get(value).layout() != null;
            for (int d = 1; d < shape.length; d++) {
                // Real tokens' rows are fed cut to each batch's longest sentence.
                dims.addDim(cut && d == 1 ? TensorShapeProto.Dimension.newBuilder().setDimParam("calibration_tokens")
                        : TensorShapeProto.Dimension.newBuilder().setDimValue(shape[d]));
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
