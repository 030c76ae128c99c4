package io.github.onnxprune.onnx;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Serializes a model that differs from the one a file held only in the values of tensors' raw_data (same lengths)
 * and in metadata_props appended after the original's, by copying the file's bytes, writing the changed values over
 * their old ones and appending the new metadata entries (a repeated field appended to a message parses as added
 * to its end). Weight pruning changes nothing else, so its output is written without serializing the whole model
 * again. The result parses to the same model as {@link ModelBytes#serialize}'s, and is byte for byte the same
 * whenever the file is as protobuf writes it (fields in order, which {@link RawDataLayout} checks where it walks).
 */
public final class PatchedSerialization {

    private PatchedSerialization() {
    }

    /**
     * How {@code changed} was serialized.
     *
     * @param bytes the serialized model: a read-only direct buffer at position 0
     * @param patched whether it was patched from the original's bytes rather than serialized whole
     * @param why what was patched, or why it could not be
     * @param originalPrefix how many bytes at its start are the original's, as they were copied: 0 when serialized
     *     whole, up to the first changed tensor's values when patched
     */
    public record Serialized(ByteBuffer bytes, boolean patched, String why, int originalPrefix) {
    }

    /**
     * {@code changed} serialized, by patching {@code originalBytes} (which {@code original} was parsed from) when
     * the only differences are raw_data values and appended metadata entries, otherwise whole.
     */
    public static Serialized serialize(ModelProto original, ByteBuffer originalBytes, ModelProto changed) {
        StringBuilder reason = new StringBuilder();
        Optional<Serialized> patched = patch(original, originalBytes, changed, reason);
        return patched.orElseGet(() -> new Serialized(ModelBytes.serialize(changed), false, reason.toString(), 0));
    }

    /** {@code changed} written over a copy of {@code originalBytes}, or empty with the reason it cannot be. */
    private static Optional<Serialized> patch(ModelProto original, ByteBuffer originalBytes, ModelProto changed,
            StringBuilder reason) {
        int kept = original.getMetadataPropsCount();
        if (changed.getMetadataPropsCount() < kept
                || !changed.getMetadataPropsList().subList(0, kept).equals(original.getMetadataPropsList())) {
            return refuse(reason, "metadata entries of the original were replaced or removed");
        }
        if (!outsideGraph(changed).equals(outsideGraph(original))) {
            return refuse(reason, "fields outside the graph changed");
        }
        GraphProto graph = original.getGraph();
        GraphProto changedGraph = changed.getGraph();
        if (changedGraph != graph && !withoutInitializers(changedGraph).equals(withoutInitializers(graph))) {
            return refuse(reason, "the graph changed beyond its initializers (nodes, inputs or outputs)");
        }
        if (changedGraph.getInitializerCount() != graph.getInitializerCount()) {
            return refuse(reason, "initializers were added or removed");
        }
        List<Integer> changedTensors = new ArrayList<>();
        for (int i = 0; i < graph.getInitializerCount(); i++) {
            TensorProto before = graph.getInitializer(i);
            TensorProto after = changedGraph.getInitializer(i);
            if (after == before || after.getRawData() == before.getRawData() && after.equals(before)) {
                continue;
            }
            if (!before.hasRawData() || !after.hasRawData()) {
                return refuse(reason, "tensor " + before.getName() + " holds its values outside raw_data");
            }
            if (after.getRawData().size() != before.getRawData().size()) {
                return refuse(reason, "tensor " + before.getName() + " changed length");
            }
            if (!after.toBuilder().clearRawData().build().equals(before.toBuilder().clearRawData().build())) {
                return refuse(reason, "tensor " + before.getName() + " changed beyond its raw_data values");
            }
            changedTensors.add(i);
        }
        // A file that parses to more or fewer bytes than it holds is not as protobuf writes it (a field given twice).
        if (original.getSerializedSize() != originalBytes.limit()) {
            return refuse(reason, "the file is not as protobuf writes it (" + originalBytes.limit() + " bytes, "
                    + original.getSerializedSize() + " once parsed)");
        }
        Optional<RawDataLayout> layout = RawDataLayout.of(originalBytes, reason);
        if (layout.isEmpty()) {
            return Optional.empty();
        }
        List<RawDataLayout.Range> ranges = layout.get().rawData();
        if (ranges.size() != graph.getInitializerCount()) {
            return refuse(reason, "the file's initializers could not be matched to the parsed ones");
        }
        List<Integer> order = new ArrayList<>();
        for (int i : changedTensors) {
            RawDataLayout.Range range = ranges.get(i);
            if (range == null || range.length() != graph.getInitializer(i).getRawData().size()) {
                return refuse(reason, "tensor " + graph.getInitializer(i).getName() + "'s raw_data was not found");
            }
            order.add(i);
        }
        order.sort(Comparator.comparingInt(i -> ranges.get(i).offset()));
        byte[] appended = ModelProto.newBuilder().addAllMetadataProps(changed.getMetadataPropsList()
                .subList(kept, changed.getMetadataPropsCount())).build().toByteArray();
        int length = originalBytes.limit();
        ByteBuffer output = ByteBuffer.allocateDirect(length + appended.length);
        // The unchanged stretches are copied and the changed values written in file order, each byte once.
        int copied = 0;
        for (int i : order) {
            RawDataLayout.Range range = ranges.get(i);
            output.put(copied, originalBytes, copied, range.offset() - copied);
            ByteString values = changedGraph.getInitializer(i).getRawData();
            values.copyTo(output.position(range.offset()));
            copied = range.offset() + range.length();
        }
        output.put(copied, originalBytes, copied, length - copied);
        output.put(length, appended);
        reason.append("patched the values of ").append(order.size()).append(" of ")
                .append(graph.getInitializerCount()).append(" initializers and appended ")
                .append(changed.getMetadataPropsCount() - kept).append(" metadata entries");
        int originalPrefix = order.isEmpty() ? length : ranges.get(order.get(0)).offset();
        return Optional.of(new Serialized(output.position(0).asReadOnlyBuffer(), true, reason.toString(),
                originalPrefix));
    }

    private static Optional<Serialized> refuse(StringBuilder reason, String why) {
        reason.append(why);
        return Optional.empty();
    }

    private static ModelProto outsideGraph(ModelProto model) {
        return model.toBuilder().clearGraph().clearMetadataProps().build();
    }

    private static GraphProto withoutInitializers(GraphProto graph) {
        return graph.toBuilder().clearInitializer().build();
    }

}
