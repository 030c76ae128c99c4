package io.github.onnxprune.quantize;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import io.github.onnxprune.onnx.NodeAttributes;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Builders for the constant tensors and attributes the int8 forms need, always little-endian raw_data. */
final class Protos {

    private Protos() {
    }

    static TensorProto int8(String name, byte[] values, long... dims) {
        return tensor(name, TensorProto.DataType.INT8, ByteString.copyFrom(values), dims);
    }

    static TensorProto uint8(String name, int value) {
        return tensor(name, TensorProto.DataType.UINT8, ByteString.copyFrom(new byte[] {(byte) value}));
    }

    static TensorProto floats(String name, float[] values, long... dims) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float value : values) {
            buffer.putFloat(value);
        }
        return tensor(name, TensorProto.DataType.FLOAT, ByteString.copyFrom(buffer.array()), dims);
    }

    static TensorProto ints(String name, int[] values, long... dims) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int value : values) {
            buffer.putInt(value);
        }
        return tensor(name, TensorProto.DataType.INT32, ByteString.copyFrom(buffer.array()), dims);
    }

    static TensorProto longs(String name, long[] values, long... dims) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long value : values) {
            buffer.putLong(value);
        }
        return tensor(name, TensorProto.DataType.INT64, ByteString.copyFrom(buffer.array()), dims);
    }

    private static TensorProto tensor(String name, TensorProto.DataType type, ByteString raw, long... dims) {
        TensorProto.Builder builder = TensorProto.newBuilder().setName(name).setDataType(type.getNumber())
                .setRawData(raw);
        for (long dim : dims) {
            builder.addDims(dim);
        }
        return builder.build();
    }

    static AttributeProto intAttribute(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value)
                .build();
    }

    static AttributeProto intsAttribute(String name, long... values) {
        AttributeProto.Builder builder = AttributeProto.newBuilder().setName(name)
                .setType(AttributeProto.AttributeType.INTS);
        for (long value : values) {
            builder.addInts(value);
        }
        return builder.build();
    }

    /** The node's attribute of that name, if it has one. */
    static AttributeProto attribute(NodeProto node, String name) {
        return NodeAttributes.find(node, name);
    }

    static long intAttribute(NodeProto node, String name, long fallback) {
        return NodeAttributes.intValue(node, name, fallback);
    }

    static float floatAttribute(NodeProto node, String name, float fallback) {
        return NodeAttributes.floatValue(node, name, fallback);
    }
}
