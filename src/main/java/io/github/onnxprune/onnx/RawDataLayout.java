package io.github.onnxprune.onnx;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.UnsafeByteOperations;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where each graph initializer's raw_data lies in a serialized model, found by protobuf's own wire reader (tags
 * and lengths, nothing decoded) so that a model whose tensors changed only in their values can be written by
 * patching the file's bytes ({@link PatchedSerialization}).
 *
 * @param rawData per initializer, in the graph's order: the offset and length of its raw_data, or null when it has
 *     none
 */
public record RawDataLayout(List<Range> rawData) {

    /** A byte range of the serialized model. */
    public record Range(int offset, int length) {
    }

    /** The layout of {@code bytes}, or empty when they are not as protobuf writes a model (see below). */
    public static Optional<RawDataLayout> of(ByteBuffer bytes) {
        return of(bytes, new StringBuilder());
    }

    /**
     * The layout of {@code bytes} (position 0 to the limit), or a reason it cannot be patched: the model's, graph's
     * and initializers' fields must come in ascending field order, as protobuf writes them, with no field that
     * protobuf would write after metadata_props, so that bytes appended to the file land where a serialization of
     * the changed model would put them.
     */
    static Optional<RawDataLayout> of(ByteBuffer bytes, StringBuilder reason) {
        List<Range> ranges = new ArrayList<>();
        try {
            CodedInputStream input = UnsafeByteOperations.unsafeWrap(bytes.duplicate().position(0)).newCodedInput();
            input.setSizeLimit(Integer.MAX_VALUE);
            int last = 0;
            boolean graphSeen = false;
            while (!input.isAtEnd()) {
                int tag = input.readTag();
                int field = WireFormat.getTagFieldNumber(tag);
                if (field < last || field > ModelProto.METADATA_PROPS_FIELD_NUMBER) {
                    reason.append("the model's field ").append(field).append(field < last ? " comes after field "
                            + last : " follows metadata_props");
                    return Optional.empty();
                }
                last = field;
                if (field == ModelProto.GRAPH_FIELD_NUMBER) {
                    if (graphSeen || WireFormat.getTagWireType(tag) != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        reason.append("the graph is written in more than one part");
                        return Optional.empty();
                    }
                    graphSeen = true;
                    int limit = input.pushLimit(input.readRawVarint32());
                    if (!graph(input, ranges, reason)) {
                        return Optional.empty();
                    }
                    input.popLimit(limit);
                } else {
                    input.skipField(tag);
                }
            }
        } catch (IOException e) {
            reason.append("its bytes could not be walked (").append(e.getMessage()).append(')');
            return Optional.empty();
        }
        return Optional.of(new RawDataLayout(ranges));
    }

    private static boolean graph(CodedInputStream input, List<Range> ranges, StringBuilder reason)
            throws IOException {
        int last = 0;
        while (!input.isAtEnd()) {
            int tag = input.readTag();
            int field = WireFormat.getTagFieldNumber(tag);
            if (field < last) {
                reason.append("the graph's field ").append(field).append(" comes after field ").append(last);
                return false;
            }
            last = field;
            if (field == GraphProto.INITIALIZER_FIELD_NUMBER
                    && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                int limit = input.pushLimit(input.readRawVarint32());
                Range range = tensor(input, reason);
                if (reason.length() > 0) {
                    return false;
                }
                ranges.add(range);
                input.popLimit(limit);
            } else {
                input.skipField(tag);
            }
        }
        return true;
    }

    /** The raw_data range of the tensor the input is positioned in, or null when it has none. */
    private static Range tensor(CodedInputStream input, StringBuilder reason) throws IOException {
        int last = 0;
        Range rawData = null;
        while (!input.isAtEnd()) {
            int tag = input.readTag();
            int field = WireFormat.getTagFieldNumber(tag);
            if (field < last || field == last && field == TensorProto.RAW_DATA_FIELD_NUMBER) {
                reason.append("an initializer's field ").append(field).append(" comes after field ").append(last);
                return null;
            }
            last = field;
            if (field == TensorProto.RAW_DATA_FIELD_NUMBER
                    && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                int length = input.readRawVarint32();
                rawData = new Range(input.getTotalBytesRead(), length);
                input.skipRawBytes(length);
            } else {
                input.skipField(tag);
            }
        }
        return rawData;
    }
}
