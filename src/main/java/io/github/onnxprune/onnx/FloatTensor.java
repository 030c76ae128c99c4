package io.github.onnxprune.onnx;

import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.util.Arrays;

/**
 * Read access to a floating-point tensor's elements, whatever its type (float32, float16, bfloat16, float64)
 * and storage (raw_data or typed field), and edits that keep that type and storage.
 *
 * <p>Edits work on the stored bits, never through a float round trip, so every element that an edit keeps
 * is bit-identical afterwards.
 */
public final class FloatTensor {

    /** Elements copied out of raw_data per step of a scan: small enough to stay in the cache. */
    private static final int SCAN_CHUNK = 16 * 1024;

    /** A float32's bits without the sign for +infinity; above it are the NaNs. */
    private static final int EXPONENT_BITS = 0x7f800000;

    private final TensorProto proto;
    private final DataType type;
    private final int size;
    /**
     * A little-endian view of raw_data (no copy) whose index 0 is the tensor's first byte, or null for typed
     * fields. Sliced: a view of bytes parsed in place starts somewhere inside the model's bytes.
     */
    private final ByteBuffer raw;

    private FloatTensor(TensorProto proto, DataType type, int size) {
        this.proto = proto;
        this.type = type;
        this.size = size;
        this.raw = proto.hasRawData()
                ? proto.getRawData().asReadOnlyByteBuffer().slice().order(ByteOrder.LITTLE_ENDIAN) : null;
    }

    /** Whether the tensor holds floating-point elements this class can read and edit. */
    public static boolean isSupported(TensorProto proto) {
        if (proto.getDataLocation() == TensorProto.DataLocation.EXTERNAL || proto.hasSegment()) {
            return false;
        }
        DataType type = DataType.forNumber(proto.getDataType());
        return type == DataType.FLOAT || type == DataType.FLOAT16 || type == DataType.BFLOAT16
                || type == DataType.DOUBLE;
    }

    /** Wraps a tensor; fails when {@link #isSupported} is false or the stored element count disagrees with dims. */
    public static FloatTensor of(TensorProto proto) {
        if (!isSupported(proto)) {
            throw new IllegalArgumentException("tensor '" + proto.getName()
                    + "' is not an inline floating-point tensor");
        }
        DataType type = DataType.forNumber(proto.getDataType());
        long expected = 1;
        for (long dim : proto.getDimsList()) {
            expected *= dim;
        }
        int stored = storedCount(proto, type);
        if (stored != expected) {
            throw new IllegalArgumentException("tensor '" + proto.getName() + "' has dims " + proto.getDimsList()
                    + " (" + expected + " elements) but stores " + stored);
        }
        return new FloatTensor(proto, type, stored);
    }

    private static int storedCount(TensorProto proto, DataType type) {
        if (proto.hasRawData()) {
            return proto.getRawData().size() / width(type);
        }
        return switch (type) {
            case FLOAT -> proto.getFloatDataCount();
            case DOUBLE -> proto.getDoubleDataCount();
            default -> proto.getInt32DataCount();
        };
    }

    private static int width(DataType type) {
        return switch (type) {
            case FLOAT -> 4;
            case DOUBLE -> 8;
            default -> 2;
        };
    }

    /** The wrapped tensor. */
    public TensorProto proto() {
        return proto;
    }

    /** The element type. */
    public DataType type() {
        return type;
    }

    /** The number of elements. */
    public int size() {
        return size;
    }

    /** The dimensions. */
    public long[] dims() {
        return proto.getDimsList().stream().mapToLong(Long::longValue).toArray();
    }

    /** All elements widened to double (exact for every supported type). */
    public double[] values() {
        double[] out = new double[size];
        for (int i = 0; i < size; i++) {
            out[i] = element(i);
        }
        return out;
    }

    /** Absolute values as floats, NaN treated as infinitely large so that it is never counted as small. */
    public float[] magnitudes() {
        // Read element by element rather than through values(): a double copy of a large tensor would double
        // the memory pruning needs.
        float[] out = new float[size];
        if (raw != null && type == DataType.FLOAT) {
            // The common case in one bulk copy, not an element at a time through the type switch.
            raw.asFloatBuffer().get(0, out);
            for (int i = 0; i < size; i++) {
                float magnitude = Math.abs(out[i]);
                out[i] = Float.isNaN(magnitude) ? Float.POSITIVE_INFINITY : magnitude;
            }
            return out;
        }
        for (int i = 0; i < size; i++) {
            float magnitude = (float) Math.abs(element(i));
            out[i] = Float.isNaN(magnitude) ? Float.POSITIVE_INFINITY : magnitude;
        }
        return out;
    }

    /**
     * The index of the first element that is NaN, or also infinite when {@code infinityToo}; -1 when there is
     * none.
     */
    public int firstNonFinite(boolean infinityToo) {
        if (raw != null && type == DataType.FLOAT) {
            // On the bits, a chunk at a time: a build's new JVM runs this once over every weight of the model,
            // before the JIT has compiled the buffer's per-element accessors.
            int limit = infinityToo ? EXPONENT_BITS - 1 : EXPONENT_BITS;
            IntBuffer bits = raw.asIntBuffer();
            int[] chunk = new int[Math.min(size, SCAN_CHUNK)];
            for (int start = 0; start < size; start += chunk.length) {
                int length = Math.min(chunk.length, size - start);
                bits.get(start, chunk, 0, length);
                for (int i = 0; i < length; i++) {
                    if ((chunk[i] & Integer.MAX_VALUE) > limit) {
                        return start + i;
                    }
                }
            }
            return -1;
        }
        for (int i = 0; i < size; i++) {
            double value = element(i);
            if (Double.isNaN(value) || (infinityToo && Double.isInfinite(value))) {
                return i;
            }
        }
        return -1;
    }

    /** The number of elements equal to zero (either sign). */
    public int zeroCount() {
        int zeros = 0;
        if (raw != null && type == DataType.FLOAT) {
            IntBuffer bits = raw.asIntBuffer();
            int[] chunk = new int[Math.min(size, SCAN_CHUNK)];
            for (int start = 0; start < size; start += chunk.length) {
                int length = Math.min(chunk.length, size - start);
                bits.get(start, chunk, 0, length);
                for (int i = 0; i < length; i++) {
                    if ((chunk[i] & Integer.MAX_VALUE) == 0) {
                        zeros++;
                    }
                }
            }
            return zeros;
        }
        for (int i = 0; i < size; i++) {
            if (element(i) == 0.0) {
                zeros++;
            }
        }
        return zeros;
    }

    /** Element {@code index} (flat, row-major) widened to double, read where it is stored: no copy of the tensor. */
    public double get(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("element " + index + " of " + size + " in tensor '" + proto.getName()
                    + "'");
        }
        return element(index);
    }

    private double element(int i) {
        if (raw != null) {
            return switch (type) {
                case FLOAT -> raw.getFloat(i * 4);
                case DOUBLE -> raw.getDouble(i * 8);
                case FLOAT16 -> HalfFloats.halfToFloat(raw.getShort(i * 2));
                default -> HalfFloats.bfloat16ToFloat(raw.getShort(i * 2));
            };
        }
        return switch (type) {
            case FLOAT -> proto.getFloatData(i);
            case DOUBLE -> proto.getDoubleData(i);
            case FLOAT16 -> HalfFloats.halfToFloat((short) proto.getInt32Data(i));
            default -> HalfFloats.bfloat16ToFloat((short) proto.getInt32Data(i));
        };
    }

    /** A copy in which the elements at the given flat indices are +0 and every other element is unchanged. */
    public TensorProto withZeros(int[] indices) {
        if (indices.length == 0) {
            return proto;
        }
        TensorProto.Builder builder = proto.toBuilder();
        if (proto.hasRawData()) {
            byte[] raw = proto.getRawData().toByteArray();
            int width = width(type);
            for (int index : indices) {
                Arrays.fill(raw, index * width, index * width + width, (byte) 0);
            }
            // The array is this method's own and never written again: wrapped, not copied a second time.
            return builder.setRawData(UnsafeByteOperations.unsafeWrap(raw)).build();
        }
        for (int index : indices) {
            switch (type) {
                case FLOAT -> builder.setFloatData(index, 0f);
                case DOUBLE -> builder.setDoubleData(index, 0d);
                default -> builder.setInt32Data(index, 0);
            }
        }
        return builder.build();
    }

    /**
     * A copy in which every element whose magnitude ({@link #magnitudes}) is below {@code threshold}, and the first
     * {@code ties} elements whose magnitude equals it (by position), are +0, and every other element is unchanged:
     * what {@link #withZeros} gives for the indices of that cut, without listing them. This proto itself when no
     * element is zeroed.
     */
    public TensorProto withZerosBelow(float threshold, int ties) {
        if (raw == null || type != DataType.FLOAT) {
            return withZeros(positionsBelow(magnitudes(), threshold, ties));
        }
        // Magnitudes compare as their bits do; NaN's bits lie above +infinity's, and magnitudes() makes NaN +infinity.
        int limit = Float.floatToRawIntBits(threshold);
        byte[] out = new byte[size * 4];
        IntBuffer source = raw.asIntBuffer();
        IntBuffer target = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer();
        int[] chunk = new int[Math.min(size, SCAN_CHUNK)];
        int tiesLeft = ties;
        int zeroed = 0;
        for (int start = 0; start < size; start += chunk.length) {
            int length = Math.min(chunk.length, size - start);
            source.get(start, chunk, 0, length);
            for (int i = 0; i < length; i++) {
                int magnitude = Math.min(chunk[i] & Integer.MAX_VALUE, EXPONENT_BITS);
                if (magnitude < limit || (magnitude == limit && tiesLeft-- > 0)) {
                    chunk[i] = 0;
                    zeroed++;
                }
            }
            target.put(start, chunk, 0, length);
        }
        // The array is this method's own and never written again: wrapped, not copied.
        return zeroed == 0 ? proto : proto.toBuilder().setRawData(UnsafeByteOperations.unsafeWrap(out)).build();
    }

    /**
     * The positions, ascending, of the values below {@code threshold} and of the first {@code ties} values equal to
     * it: the elements a cut of {@code magnitudes} takes, which {@link #withZerosBelow} zeroes in one pass.
     */
    public static int[] positionsBelow(float[] magnitudes, float threshold, int ties) {
        int below = 0;
        int equal = 0;
        for (float magnitude : magnitudes) {
            if (magnitude < threshold) {
                below++;
            } else if (magnitude == threshold) {
                equal++;
            }
        }
        int[] positions = new int[below + Math.min(ties, equal)];
        int tiesLeft = ties;
        for (int i = 0, count = 0; count < positions.length; i++) {
            if (magnitudes[i] < threshold || (magnitudes[i] == threshold && tiesLeft-- > 0)) {
                positions[count++] = i;
            }
        }
        return positions;
    }

    /**
     * A copy holding {@code newValues} (one per element, same shape) in this tensor's own type and storage:
     * raw_data stays raw_data, a typed field stays that field. float32 and the half types round to nearest,
     * ties to even (the IEEE default, as numpy does); float64 is exact. Elements whose value does not change
     * keep their stored bits, so a round trip of {@link #values()} is bit-identical.
     */
    public TensorProto withValues(double[] newValues) {
        if (newValues.length != size) {
            throw new IllegalArgumentException("tensor '" + proto.getName() + "' has " + size + " elements, got "
                    + newValues.length + " values");
        }
        double[] old = values();
        TensorProto.Builder builder = proto.toBuilder();
        if (proto.hasRawData()) {
            byte[] raw = proto.getRawData().toByteArray();
            ByteBuffer buffer = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < size; i++) {
                if (sameValue(old[i], newValues[i])) {
                    continue;
                }
                switch (type) {
                    case FLOAT -> buffer.putFloat(i * 4, (float) newValues[i]);
                    case DOUBLE -> buffer.putDouble(i * 8, newValues[i]);
                    case FLOAT16 -> buffer.putShort(i * 2, HalfFloats.floatToHalf((float) newValues[i]));
                    default -> buffer.putShort(i * 2, HalfFloats.floatToBfloat16((float) newValues[i]));
                }
            }
            return builder.setRawData(ByteString.copyFrom(raw)).build();
        }
        for (int i = 0; i < size; i++) {
            if (sameValue(old[i], newValues[i])) {
                continue;
            }
            switch (type) {
                case FLOAT -> builder.setFloatData(i, (float) newValues[i]);
                case DOUBLE -> builder.setDoubleData(i, newValues[i]);
                // float_data carries half and bfloat16 bits zero-extended in int32 (onnx.proto).
                case FLOAT16 -> builder.setInt32Data(i, HalfFloats.floatToHalf((float) newValues[i]) & 0xffff);
                default -> builder.setInt32Data(i, HalfFloats.floatToBfloat16((float) newValues[i]) & 0xffff);
            }
        }
        return builder.build();
    }

    /** Same value and sign, or both NaN: the stored bits need not change. */
    private static boolean sameValue(double a, double b) {
        return Double.doubleToLongBits(a) == Double.doubleToLongBits(b);
    }

    /**
     * A tensor of shape {@code newDims} whose element j is this tensor's element {@code flatIndices[j]}, in the
     * same type and storage: how whole rows, columns or channels are dropped.
     */
    public TensorProto select(long[] newDims, int[] flatIndices) {
        long count = 1;
        for (long dim : newDims) {
            count *= dim;
        }
        if (count != flatIndices.length) {
            throw new IllegalArgumentException("dims " + Arrays.toString(newDims) + " need " + count
                    + " elements, got " + flatIndices.length);
        }
        TensorProto.Builder builder = proto.toBuilder().clearDims();
        for (long dim : newDims) {
            builder.addDims(dim);
        }
        if (proto.hasRawData()) {
            int width = width(type);
            byte[] source = proto.getRawData().toByteArray();
            byte[] target = new byte[flatIndices.length * width];
            for (int j = 0; j < flatIndices.length; j++) {
                System.arraycopy(source, flatIndices[j] * width, target, j * width, width);
            }
            return builder.setRawData(ByteString.copyFrom(target)).build();
        }
        switch (type) {
            case FLOAT -> {
                builder.clearFloatData();
                for (int index : flatIndices) {
                    builder.addFloatData(proto.getFloatData(index));
                }
            }
            case DOUBLE -> {
                builder.clearDoubleData();
                for (int index : flatIndices) {
                    builder.addDoubleData(proto.getDoubleData(index));
                }
            }
            default -> {
                builder.clearInt32Data();
                for (int index : flatIndices) {
                    builder.addInt32Data(proto.getInt32Data(index));
                }
            }
        }
        return builder.build();
    }
}
