package io.github.onnxprune.eval;

import ai.onnx.proto.OnnxMl;
import java.util.List;

/** Decodes ONNX {@code TensorProto} messages (as stored in ONNX test data) into {@link Tensor}s. */
final class TensorProtos {

    private TensorProtos() {
    }

    /**
     * Decodes a tensor from {@code raw_data} (little-endian) or from the typed field that ONNX uses for its
     * element type: {@code float_data}, {@code double_data}, {@code int64_data}, or {@code int32_data} (which
     * also carries uint8 and bool values, one per int).
     *
     * @param proto the message
     * @param subject how messages name it, for example {@code validation data t/input_0.pb}
     * @return the tensor, in the element type the message declares
     */
    static Tensor decode(OnnxMl.TensorProto proto, String subject) {
        TensorKind kind = TensorKind.fromOnnx(proto.getDataType());
        if (!kind.isSupportedForData()) {
            throw new ValidationDataException(subject + " holds a tensor of " + kind.displayName() + " (ONNX data "
                    + "type " + proto.getDataType() + "), which is not supported. Save it as float32, float64, "
                    + "int64, int32, uint8 or bool.");
        }
        if (proto.getDataLocation() == OnnxMl.TensorProto.DataLocation.EXTERNAL) {
            throw new ValidationDataException(subject + " keeps its data in an external file, which is not "
                    + "supported here. Save the tensor with its data inline (onnx.numpy_helper."
                    + "from_array).");
        }
        long[] shape = proto.getDimsList().stream().mapToLong(Long::longValue).toArray();
        for (long dim : shape) {
            if (dim < 0) {
                throw corrupt(subject, "a negative dimension in " + Shapes.format(shape));
            }
        }
        int count = DataLimits.requireLoadable(shape, kind, subject);
        if (proto.hasRawData()) {
            long expected = (long) count * kind.byteSize();
            if (proto.getRawData().size() != expected) {
                throw corrupt(subject, proto.getRawData().size() + " bytes of raw_data where dims "
                        + Shapes.format(shape) + " of " + kind.displayName() + " need " + expected);
            }
            // Decoded straight from the message's bytes: no intermediate copy of the raw data.
            Object data = NpyFormat.decode(kind, proto.getRawData().asReadOnlyByteBuffer(), count);
            DataLimits.requireFinite(data, shape, subject);
            return Tensor.adopt(kind, shape, data);
        }
        Object data = switch (kind) {
            case FLOAT -> {
                float[] values = new float[checkCount(proto.getFloatDataCount(), count, "float_data", shape, subject)];
                for (int i = 0; i < values.length; i++) {
                    values[i] = proto.getFloatData(i);
                }
                yield values;
            }
            case DOUBLE -> {
                double[] values = new double[checkCount(proto.getDoubleDataCount(), count, "double_data", shape,
                        subject)];
                for (int i = 0; i < values.length; i++) {
                    values[i] = proto.getDoubleData(i);
                }
                yield values;
            }
            case INT64 -> {
                long[] values = new long[checkCount(proto.getInt64DataCount(), count, "int64_data", shape, subject)];
                for (int i = 0; i < values.length; i++) {
                    values[i] = proto.getInt64Data(i);
                }
                yield values;
            }
            case INT32 -> {
                int[] values = new int[checkCount(proto.getInt32DataCount(), count, "int32_data", shape, subject)];
                for (int i = 0; i < values.length; i++) {
                    values[i] = proto.getInt32Data(i);
                }
                yield values;
            }
            case UINT8, BOOL -> {
                List<Integer> ints = proto.getInt32DataList();
                byte[] values = new byte[checkCount(ints.size(), count, "int32_data", shape, subject)];
                for (int i = 0; i < values.length; i++) {
                    values[i] = (byte) ints.get(i).intValue();
                }
                yield values;
            }
            default -> throw new IllegalStateException("unreachable: " + kind);
        };
        DataLimits.requireFinite(data, shape, subject);
        return Tensor.adopt(kind, shape, data);
    }

    private static int checkCount(int actual, int expected, String field, long[] shape, String subject) {
        if (actual != expected) {
            throw corrupt(subject, actual + " values in " + field + " where dims " + Shapes.format(shape) + " need "
                    + expected);
        }
        return actual;
    }

    private static ValidationDataException corrupt(String subject, String problem) {
        return new ValidationDataException(subject + " is an inconsistent TensorProto: it has " + problem
                + ". Re-export it (onnx.numpy_helper.from_array).");
    }
}
