package io.github.onnxprune.prune.nodes;

import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import io.github.onnxprune.onnx.FloatTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Axis-wise norms and multi-axis slicing of constant tensors. */
final class TensorOps {

    private TensorOps() {
    }

    /** Per index along {@code axis}: sum of |x| (l2 false) or of x^2 (l2 true) over all other axes. */
    static double[] axisNorms(FloatTensor tensor, int axis, boolean l2) {
        long[] dims = tensor.dims();
        int length = (int) dims[axis];
        long inner = 1;
        for (int a = axis + 1; a < dims.length; a++) {
            inner *= dims[a];
        }
        double[] values = tensor.values();
        double[] norms = new double[length];
        for (int i = 0; i < values.length; i++) {
            int index = (int) ((i / inner) % length);
            double v = values[i];
            norms[index] += l2 ? v * v : Math.abs(v);
        }
        return norms;
    }

    /**
     * Keeps, along each axis, the indices listed in {@code keep[axis]} (null keeps the axis whole), in the
     * tensor's own type and storage, bit-exactly.
     */
    static TensorProto select(FloatTensor tensor, int[][] keep) {
        long[] dims = tensor.dims();
        int rank = dims.length;
        int[][] indices = new int[rank][];
        long[] newDims = new long[rank];
        long[] strides = new long[rank];
        long stride = 1;
        for (int a = rank - 1; a >= 0; a--) {
            strides[a] = stride;
            stride *= dims[a];
            if (keep[a] == null) {
                indices[a] = new int[(int) dims[a]];
                for (int i = 0; i < dims[a]; i++) {
                    indices[a][i] = i;
                }
            } else {
                indices[a] = keep[a];
            }
            newDims[a] = indices[a].length;
        }
        long total = 1;
        for (long dim : newDims) {
            total *= dim;
        }
        int[] flat = new int[(int) total];
        int[] counter = new int[rank];
        for (int j = 0; j < total; j++) {
            long source = 0;
            for (int a = 0; a < rank; a++) {
                source += indices[a][counter[a]] * strides[a];
            }
            flat[j] = (int) source;
            for (int a = rank - 1; a >= 0; a--) {
                if (++counter[a] < newDims[a]) {
                    break;
                }
                counter[a] = 0;
            }
        }
        return tensor.select(newDims, flat);
    }

    /** The values of a 1-D int64 tensor, or null when it is not one. */
    static long[] int64Values(TensorProto tensor) {
        if (tensor.getDataType() != TensorProto.DataType.INT64_VALUE || tensor.getDimsCount() != 1
                || tensor.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            return null;
        }
        int count = (int) tensor.getDims(0);
        long[] values = new long[count];
        if (tensor.hasRawData()) {
            if (tensor.getRawData().size() != count * 8) {
                return null;
            }
            // Sliced so that index 0 is the tensor's first byte, also for a view into a model parsed in place.
            ByteBuffer raw = tensor.getRawData().asReadOnlyByteBuffer().slice().order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < count; i++) {
                values[i] = raw.getLong(i * 8);
            }
            return values;
        }
        if (tensor.getInt64DataCount() != count) {
            return null;
        }
        for (int i = 0; i < count; i++) {
            values[i] = tensor.getInt64Data(i);
        }
        return values;
    }

    /** A copy of a 1-D int64 tensor with one element changed, in the same storage. */
    static TensorProto withInt64(TensorProto tensor, int index, long value) {
        if (tensor.hasRawData()) {
            byte[] raw = tensor.getRawData().toByteArray();
            ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).putLong(index * 8, value);
            return tensor.toBuilder().setRawData(ByteString.copyFrom(raw)).build();
        }
        return tensor.toBuilder().setInt64Data(index, value).build();
    }

    /** The number of elements a tensor's dims describe. */
    static long elements(TensorProto tensor) {
        long count = 1;
        for (long dim : tensor.getDimsList()) {
            count *= dim;
        }
        return count;
    }
}
