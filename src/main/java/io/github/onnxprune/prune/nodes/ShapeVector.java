package io.github.onnxprune.prune.nodes;

import ai.onnx.proto.OnnxMl.NodeProto;
import io.github.onnxprune.onnx.ModelGraph;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The entries of a Reshape's target shape, whether it is one constant or computed at run time the way
 * BERT-family exports compute it: {@code Concat(Unsqueeze(Gather(Shape(x), 0)), ..., Constant [12],
 * Constant [32])}. Each entry is either a known number stored in a constant (which can be rewritten) or a value
 * computed at run time (which follows the tensors it is read from).
 */
final class ShapeVector {

    /**
     * One entry.
     *
     * @param value the number, or null when computed at run time
     * @param constant the constant holding it, or null
     * @param index its position within that constant
     */
    record Entry(Long value, String constant, int index) {

        boolean known() {
            return value != null;
        }
    }

    private ShapeVector() {
    }

    /** The entries of {@code shape}, or empty when neither a 1-D int64 constant nor a Concat of 1-D pieces. */
    static Optional<List<Entry>> of(ModelGraph graph, Ranks ranks, String shape) {
        List<Entry> entries = new ArrayList<>();
        if (constantEntries(graph, shape, entries)) {
            return Optional.of(entries);
        }
        Optional<Integer> producer = graph.producer(shape);
        if (producer.isEmpty()) {
            return Optional.empty();
        }
        NodeProto node = graph.nodes().get(producer.get());
        if (!node.getOpType().equals("Concat") || !ModelGraph.isDefaultDomain(node.getDomain())) {
            return Optional.empty();
        }
        for (String piece : node.getInputList()) {
            if (constantEntries(graph, piece, entries)) {
                continue;
            }
            int length = ranks.length(piece);
            if (length < 0) {
                return Optional.empty();
            }
            for (int i = 0; i < length; i++) {
                entries.add(new Entry(null, null, i));
            }
        }
        return Optional.of(entries);
    }

    private static boolean constantEntries(ModelGraph graph, String name, List<Entry> entries) {
        long[] values = graph.constant(name).map(c -> TensorOps.int64Values(c.tensor())).orElse(null);
        if (values == null) {
            return false;
        }
        for (int i = 0; i < values.length; i++) {
            entries.add(new Entry(values[i], name, i));
        }
        return true;
    }
}
