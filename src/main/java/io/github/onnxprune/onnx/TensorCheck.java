package io.github.onnxprune.onnx;

import ai.onnx.proto.OnnxMl.SparseTensorProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.nio.file.Path;

/**
 * Checks one stored tensor of a model before anything reads its data: it must keep its data inside the model
 * file, and its dims must agree with the data it holds.
 */
final class TensorCheck {

    private TensorCheck() {
    }

    /**
     * Rejects a tensor that refers to external data or whose dims and data disagree.
     *
     * @param file the model file, for messages
     * @param tensor the tensor
     * @param where where the tensor sits, for example {@code initializer 'W' of the body of node 'loop' (Loop)}
     */
    static void check(Path file, TensorProto tensor, String where) {
        rejectExternal(file, tensor, where);
        long count = elementCount(file, tensor, where);
        int type = tensor.getDataType();
        if (type == TensorProto.DataType.STRING_VALUE) {
            if (tensor.hasRawData()) {
                throw inconsistent(file, where, "a string tensor with raw_data, which strings cannot use");
            }
            requireCount(file, where, tensor.getStringDataCount(), count, "string_data");
            return;
        }
        ElementLayout layout = ElementLayout.of(type);
        if (layout == null) {
            throw new InvalidModelException(file, where + " has element type " + type + ", which is not an ONNX"
                    + " tensor element type ONNX Runtime knows. The file is corrupt or from a newer exporter;"
                    + " export it again.");
        }
        int typedCount = typedCount(tensor, layout);
        if (tensor.hasRawData()) {
            if (typedCount > 0) {
                throw inconsistent(file, where, "both raw_data and " + layout.field + " values");
            }
            long expected = layout.bytesFor(count);
            if (tensor.getRawData().size() != expected) {
                throw inconsistent(file, where, tensor.getRawData().size() + " bytes of raw_data where dims "
                        + dims(tensor) + " need " + expected);
            }
            return;
        }
        requireCount(file, where, typedCount, layout.valuesFor(count), layout.field);
    }

    /**
     * Checks a sparse tensor's values and indices and that they agree with its dims.
     *
     * @param kind what the tensor is, for example {@code initializer}
     * @param context where it sits, for example {@code the main graph}
     */
    static void checkSparse(Path file, SparseTensorProto sparse, String kind, String context) {
        String name = sparse.getValues().getName();
        String described = kind + (name.isEmpty() ? "" : " '" + name + "'") + " of " + context;
        check(file, sparse.getValues(), "values of sparse " + described);
        check(file, sparse.getIndices(), "indices of sparse " + described);
        long dense = 1;
        for (long dim : sparse.getDimsList()) {
            if (dim < 0) {
                throw inconsistent(file, "sparse " + described, "a negative dimension in " + sparse.getDimsList());
            }
            dense = multiply(file, "sparse " + described, dense, dim);
        }
        long values = elementCount(file, sparse.getValues(), "values of sparse " + described);
        long indices = elementCount(file, sparse.getIndices(), "indices of sparse " + described);
        if (values > dense || (indices != values && indices != values * sparse.getDimsCount())) {
            throw inconsistent(file, "sparse " + described, values + " values and " + indices + " indices for dims "
                    + sparse.getDimsList());
        }
    }

    private static void rejectExternal(Path file, TensorProto tensor, String where) {
        if (tensor.getDataLocation() != TensorProto.DataLocation.EXTERNAL && tensor.getExternalDataCount() == 0) {
            return;
        }
        String location = tensor.getExternalDataList().stream().filter(entry -> entry.getKey().equals("location"))
                .map(entry -> " ('" + entry.getValue() + "')").findFirst().orElse("");
        throw new InvalidModelException(file, where + " keeps its data in an external file" + location
                + ", which is not supported: nothing was read from it. Save the model with every tensor inside the"
                + " .onnx file (onnx.save_model(model, path, save_as_external_data=False)); models over 2 GB"
                + " cannot be pruned yet.");
    }

    /** The product of the tensor's dims, after checking none is negative and it does not overflow. */
    static long elementCount(Path file, TensorProto tensor, String where) {
        long count = 1;
        for (long dim : tensor.getDimsList()) {
            if (dim < 0) {
                throw inconsistent(file, where, "a negative dimension in " + dims(tensor));
            }
            count = multiply(file, where, count, dim);
        }
        return count;
    }

    private static long multiply(Path file, String where, long count, long dim) {
        try {
            return Math.multiplyExact(count, dim);
        } catch (ArithmeticException e) {
            throw inconsistent(file, where, "dimensions whose product overflows");
        }
    }

    private static int typedCount(TensorProto tensor, ElementLayout layout) {
        return switch (layout.field) {
            case "float_data" -> tensor.getFloatDataCount();
            case "double_data" -> tensor.getDoubleDataCount();
            case "int64_data" -> tensor.getInt64DataCount();
            case "uint64_data" -> tensor.getUint64DataCount();
            default -> tensor.getInt32DataCount();
        };
    }

    private static void requireCount(Path file, String where, long actual, long expected, String field) {
        if (actual != expected) {
            throw inconsistent(file, where, actual + " values in " + field + " where its dims need " + expected);
        }
    }

    private static String dims(TensorProto tensor) {
        return tensor.getDimsList().toString();
    }

    private static InvalidModelException inconsistent(Path file, String where, String problem) {
        return new InvalidModelException(file, where + " is inconsistent: it has " + problem + ". The file is"
                + " corrupt or was edited by hand; export the model again.");
    }

    /** How ONNX stores elements of one type: bits per element and the typed field used without raw_data. */
    private record ElementLayout(int bits, String field, int valuesPerElement, boolean packed) {

        static ElementLayout of(int type) {
            return switch (type) {
                case TensorProto.DataType.FLOAT_VALUE -> new ElementLayout(32, "float_data", 1, false);
                case TensorProto.DataType.UINT8_VALUE, TensorProto.DataType.INT8_VALUE,
                        TensorProto.DataType.BOOL_VALUE -> new ElementLayout(8, "int32_data", 1, false);
                // FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2, FLOAT8E5M2FNUZ
                case 17, 18, 19, 20 -> new ElementLayout(8, "int32_data", 1, false);
                case TensorProto.DataType.UINT16_VALUE, TensorProto.DataType.INT16_VALUE,
                        TensorProto.DataType.FLOAT16_VALUE, TensorProto.DataType.BFLOAT16_VALUE ->
                        new ElementLayout(16, "int32_data", 1, false);
                case TensorProto.DataType.INT32_VALUE -> new ElementLayout(32, "int32_data", 1, false);
                case TensorProto.DataType.INT64_VALUE -> new ElementLayout(64, "int64_data", 1, false);
                case TensorProto.DataType.DOUBLE_VALUE -> new ElementLayout(64, "double_data", 1, false);
                case TensorProto.DataType.UINT32_VALUE, TensorProto.DataType.UINT64_VALUE ->
                        new ElementLayout(type == TensorProto.DataType.UINT32_VALUE ? 32 : 64, "uint64_data", 1,
                                false);
                case TensorProto.DataType.COMPLEX64_VALUE -> new ElementLayout(64, "float_data", 2, false);
                case TensorProto.DataType.COMPLEX128_VALUE -> new ElementLayout(128, "double_data", 2, false);
                // UINT4, INT4, FLOAT4E2M1: two elements per byte, also two per int32_data value
                case 21, 22, 23 -> new ElementLayout(4, "int32_data", 1, true);
                default -> null;
            };
        }

        /** Bytes of raw_data the count needs, or -1 when no tensor could hold that many. */
        long bytesFor(long count) {
            if (count > Integer.MAX_VALUE) {
                return -1; // protobuf messages end at 2 GB, so the data cannot be there
            }
            return packed ? (count + 1) / 2 : count * (bits / 8);
        }

        long valuesFor(long count) {
            if (count > Integer.MAX_VALUE) {
                return -1;
            }
            return packed ? (count + 1) / 2 : count * valuesPerElement;
        }
    }
}
