package io.github.onnxprune.eval;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A dense, C-ordered array of validation data whose first dimension counts samples.
 *
 * <p>The data is one primitive array matching the element type: {@code float[]} for {@link TensorKind#FLOAT},
 * {@code double[]} for {@link TensorKind#DOUBLE}, {@code long[]} for {@link TensorKind#INT64}, {@code int[]}
 * for {@link TensorKind#INT32} and {@code byte[]} for {@link TensorKind#UINT8} and {@link TensorKind#BOOL}
 * (booleans as 0 and 1). The array is copied on the way in and out, so a tensor never changes.
 *
 * @param elementType the element type, one for which {@link TensorKind#isSupportedForData()} holds
 * @param shape the dimensions, none negative
 * @param data the elements in C order, as many as the shape's product
 */
public record Tensor(TensorKind elementType, long[] shape, Object data) {

    /** Validates that type, shape and array agree, and copies shape and data (see {@link #adopt}). */
    public Tensor {
        Objects.requireNonNull(elementType, "elementType");
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(data, "data");
        boolean owned = data instanceof Owned;
        if (owned) {
            data = ((Owned) data).array();
        }
        if (!elementType.isSupportedForData()) {
            throw new IllegalArgumentException("tensors of " + elementType.displayName() + " are not supported");
        }
        shape = shape.clone();
        for (long dim : shape) {
            if (dim < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Shapes.format(shape));
            }
        }
        int count = Shapes.elementCount(shape);
        if (count < 0) {
            throw new IllegalArgumentException("shape " + Shapes.format(shape) + " has too many elements");
        }
        if (!arrayClass(elementType).isInstance(data)) {
            throw new IllegalArgumentException(elementType.displayName() + " data must be a "
                    + arrayClass(elementType).getSimpleName() + ", got " + data.getClass().getSimpleName());
        }
        int length = java.lang.reflect.Array.getLength(data);
        if (length != count) {
            throw new IllegalArgumentException("shape " + Shapes.format(shape) + " needs " + count
                    + " elements but the data holds " + length);
        }
        if (!owned) {
            data = copyArray(data);
        }
    }

    /**
     * A tensor that takes over an array this package has just filled and holds no other reference to: copying
     * it would double the memory a large validation set needs while it is read.
     */
    static Tensor adopt(TensorKind elementType, long[] shape, Object data) {
        return new Tensor(elementType, shape, new Owned(data));
    }

    /** Marks an array handed over by {@link #adopt}; never stored. */
    private record Owned(Object array) {
    }

    /** Creates a float32 tensor. */
    public static Tensor ofFloats(long[] shape, float... values) {
        return new Tensor(TensorKind.FLOAT, shape, values);
    }

    /** Creates a float64 tensor. */
    public static Tensor ofDoubles(long[] shape, double... values) {
        return new Tensor(TensorKind.DOUBLE, shape, values);
    }

    /** Creates an int64 tensor. */
    public static Tensor ofLongs(long[] shape, long... values) {
        return new Tensor(TensorKind.INT64, shape, values);
    }

    /** Creates an int32 tensor. */
    public static Tensor ofInts(long[] shape, int... values) {
        return new Tensor(TensorKind.INT32, shape, values);
    }

    /** The dimensions (a copy). */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** The elements in C order (a copy of the primitive array). */
    @Override
    public Object data() {
        return copyArray(data);
    }

    /**
     * A read-only view of a float32 tensor's elements in C order, without the copy {@link #data()} makes: for
     * reading large activations once.
     */
    public java.nio.FloatBuffer floatView() {
        if (elementType != TensorKind.FLOAT) {
            throw new IllegalStateException("a " + elementType.displayName() + " tensor has no float view");
        }
        return java.nio.FloatBuffer.wrap((float[]) data).asReadOnlyBuffer();
    }

    /** Total number of elements. */
    public int elementCount() {
        return java.lang.reflect.Array.getLength(data);
    }

    /** Size of the first dimension: the number of samples. */
    public int sampleCount() {
        if (shape.length == 0) {
            throw new IllegalStateException("a scalar tensor has no sample dimension");
        }
        return (int) shape[0];
    }

    /** Number of elements in one sample (product of all dimensions after the first). */
    public int rowLength() {
        int rows = sampleCount();
        return rows == 0 ? Shapes.elementCount(Arrays.copyOfRange(shape, 1, shape.length)) : elementCount() / rows;
    }

    /**
     * Copies the samples {@code [fromRow, toRow)} into a new ONNX Runtime tensor of shape
     * {@code [toRow - fromRow, ...]}.
     *
     * <p>The copy goes straight into a direct, native-order buffer: ONNX Runtime would otherwise copy a heap
     * buffer a second time. The caller owns and must close the returned tensor.
     *
     * @param env the ONNX Runtime environment
     * @param fromRow first sample, inclusive
     * @param toRow last sample, exclusive
     * @return a new tensor
     * @throws OrtException when ONNX Runtime cannot create the tensor
     */
    public OnnxTensor toOnnxTensor(OrtEnvironment env, int fromRow, int toRow) throws OrtException {
        checkRows(fromRow, toRow);
        return toOnnxTensor(env, fromRow, toRow, ByteBuffer.allocateDirect(sliceBytes(fromRow, toRow))
                .order(ByteOrder.nativeOrder()));
    }

    /** Bytes the samples {@code [fromRow, toRow)} take in a tensor. */
    public int sliceBytes(int fromRow, int toRow) {
        return Math.multiplyExact((toRow - fromRow) * rowLength(), elementType.byteSize());
    }

    /**
     * As {@link #toOnnxTensor(OrtEnvironment, int, int)}, copying into {@code buffer} (direct, native order, at
     * least {@link #sliceBytes} long, read from position 0), which the tensor then reads in place: the buffer
     * must not be written again before the tensor is closed.
     */
    public OnnxTensor toOnnxTensor(OrtEnvironment env, int fromRow, int toRow, ByteBuffer buffer)
            throws OrtException {
        checkRows(fromRow, toRow);
        int rowLength = rowLength();
        int offset = fromRow * rowLength;
        int length = (toRow - fromRow) * rowLength;
        long[] sliceShape = shape.clone();
        sliceShape[0] = toRow - fromRow;
        if (!buffer.isDirect() || buffer.order() != ByteOrder.nativeOrder()
                || buffer.capacity() < sliceBytes(fromRow, toRow)) {
            throw new IllegalArgumentException("a tensor's buffer must be direct, in native order and at least "
                    + sliceBytes(fromRow, toRow) + " bytes long");
        }
        buffer.clear().limit(sliceBytes(fromRow, toRow));
        return switch (elementType) {
            case FLOAT -> {
                var view = buffer.asFloatBuffer().put((float[]) data, offset, length);
                yield OnnxTensor.createTensor(env, view.rewind(), sliceShape);
            }
            case DOUBLE -> {
                var view = buffer.asDoubleBuffer().put((double[]) data, offset, length);
                yield OnnxTensor.createTensor(env, view.rewind(), sliceShape);
            }
            case INT64 -> {
                var view = buffer.asLongBuffer().put((long[]) data, offset, length);
                yield OnnxTensor.createTensor(env, view.rewind(), sliceShape);
            }
            case INT32 -> {
                var view = buffer.asIntBuffer().put((int[]) data, offset, length);
                yield OnnxTensor.createTensor(env, view.rewind(), sliceShape);
            }
            case UINT8, BOOL -> {
                buffer.put((byte[]) data, offset, length).rewind();
                OnnxJavaType type = elementType == TensorKind.BOOL ? OnnxJavaType.BOOL : OnnxJavaType.UINT8;
                yield OnnxTensor.createTensor(env, buffer, sliceShape, type);
            }
            default -> throw new IllegalStateException("unreachable: " + elementType);
        };
    }

    /**
     * Copies the samples {@code [fromRow, toRow)} into a new tensor.
     *
     * @param fromRow first sample, inclusive
     * @param toRow last sample, exclusive
     * @return the slice
     */
    public Tensor rows(int fromRow, int toRow) {
        checkRows(fromRow, toRow);
        int rowLength = rowLength();
        long[] sliceShape = shape.clone();
        sliceShape[0] = toRow - fromRow;
        Object slice = java.lang.reflect.Array.newInstance(data.getClass().getComponentType(),
                (toRow - fromRow) * rowLength);
        System.arraycopy(data, fromRow * rowLength, slice, 0, (toRow - fromRow) * rowLength);
        return adopt(elementType, sliceShape, slice);
    }

    /**
     * Copies the samples {@code samples}, in that order, into a new tensor, keeping only the first {@code keep}
     * entries of the second dimension (all of them when {@code keep} is negative): a batch of sentences of
     * similar length cut to its longest.
     */
    public Tensor gather(int[] samples, int keep) {
        long[] sliceShape = shape.clone();
        sliceShape[0] = samples.length;
        int rowLength = rowLength();
        int inner = 1;
        int outer = 1;
        if (keep >= 0) {
            if (shape.length < 2 || keep > shape[1]) {
                throw new IllegalArgumentException("cannot keep " + keep + " of the second dimension of shape "
                        + Shapes.format(shape));
            }
            inner = rowLength / (int) Math.max(1, shape[1]);
            sliceShape[1] = keep;
            outer = keep;
        } else {
            inner = rowLength;
        }
        int sliceRow = outer * inner;
        Object slice = java.lang.reflect.Array.newInstance(data.getClass().getComponentType(),
                samples.length * sliceRow);
        for (int s = 0; s < samples.length; s++) {
            checkRows(samples[s], samples[s] + 1);
            System.arraycopy(data, samples[s] * rowLength, slice, s * sliceRow, sliceRow);
        }
        return adopt(elementType, sliceShape, slice);
    }

    /**
     * Joins tensors of one type along the sample dimension; all other dimensions must agree.
     */
    static Tensor concat(List<Tensor> parts) {
        Tensor first = parts.get(0);
        if (parts.size() == 1) {
            return first;
        }
        long rows = 0;
        int total = 0;
        for (Tensor part : parts) {
            if (part.elementType != first.elementType
                    || !Arrays.equals(part.shape, 1, part.shape.length, first.shape, 1, first.shape.length)) {
                throw new IllegalArgumentException("cannot join " + part + " to " + first);
            }
            rows += part.shape[0];
            total = Math.addExact(total, part.elementCount());
        }
        long[] shape = first.shape.clone();
        shape[0] = rows;
        Object joined = java.lang.reflect.Array.newInstance(first.data.getClass().getComponentType(), total);
        int position = 0;
        for (Tensor part : parts) {
            System.arraycopy(part.data, 0, joined, position, part.elementCount());
            position += part.elementCount();
        }
        return adopt(first.elementType, shape, joined);
    }

    /** Element {@code index} as a double (uint8 read unsigned). */
    double doubleAt(int index) {
        return switch (elementType) {
            case FLOAT -> ((float[]) data)[index];
            case DOUBLE -> ((double[]) data)[index];
            case INT64 -> ((long[]) data)[index];
            case INT32 -> ((int[]) data)[index];
            case UINT8, BOOL -> Byte.toUnsignedInt(((byte[]) data)[index]);
            default -> throw new IllegalStateException("unreachable: " + elementType);
        };
    }

    /** Element {@code index} as a long; only meaningful for integer kinds. */
    long longAt(int index) {
        return switch (elementType) {
            case INT64 -> ((long[]) data)[index];
            case INT32 -> ((int[]) data)[index];
            case UINT8, BOOL -> Byte.toUnsignedInt(((byte[]) data)[index]);
            default -> throw new IllegalStateException(elementType.displayName() + " is not an integer type");
        };
    }

    /**
     * Converts every element to {@code target}. Callers decide which conversions are safe; this only widens
     * or narrows numerically.
     */
    Tensor convertTo(TensorKind target) {
        if (target == elementType) {
            return this;
        }
        int count = elementCount();
        Object converted = switch (target) {
            case FLOAT -> {
                float[] out = new float[count];
                for (int i = 0; i < count; i++) {
                    out[i] = (float) doubleAt(i);
                }
                yield out;
            }
            case DOUBLE -> {
                double[] out = new double[count];
                for (int i = 0; i < count; i++) {
                    out[i] = doubleAt(i);
                }
                yield out;
            }
            case INT64 -> {
                long[] out = new long[count];
                for (int i = 0; i < count; i++) {
                    out[i] = longAt(i);
                }
                yield out;
            }
            case INT32 -> {
                int[] out = new int[count];
                for (int i = 0; i < count; i++) {
                    out[i] = Math.toIntExact(longAt(i));
                }
                yield out;
            }
            default -> throw new IllegalArgumentException("cannot convert to " + target.displayName());
        };
        return adopt(target, shape, converted);
    }

    /** The backing array without copying, for code in this package that only reads it. */
    Object dataView() {
        return data;
    }

    private void checkRows(int fromRow, int toRow) {
        if (fromRow < 0 || toRow > sampleCount() || fromRow > toRow) {
            throw new IndexOutOfBoundsException("rows [" + fromRow + ", " + toRow + ") of " + sampleCount());
        }
    }

    private static Class<?> arrayClass(TensorKind kind) {
        return switch (kind) {
            case FLOAT -> float[].class;
            case DOUBLE -> double[].class;
            case INT64 -> long[].class;
            case INT32 -> int[].class;
            case UINT8, BOOL -> byte[].class;
            default -> throw new IllegalArgumentException("tensors of " + kind.displayName() + " are not supported");
        };
    }

    private static Object copyArray(Object array) {
        int length = java.lang.reflect.Array.getLength(array);
        Object copy = java.lang.reflect.Array.newInstance(array.getClass().getComponentType(), length);
        System.arraycopy(array, 0, copy, 0, length);
        return copy;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Tensor that
                && elementType == that.elementType
                && Arrays.equals(shape, that.shape)
                && Objects.deepEquals(data, that.data);
    }

    @Override
    public int hashCode() {
        int dataHash = switch (elementType) {
            case FLOAT -> Arrays.hashCode((float[]) data);
            case DOUBLE -> Arrays.hashCode((double[]) data);
            case INT64 -> Arrays.hashCode((long[]) data);
            case INT32 -> Arrays.hashCode((int[]) data);
            default -> Arrays.hashCode((byte[]) data);
        };
        return Objects.hash(elementType, Arrays.hashCode(shape), dataHash);
    }

    @Override
    public String toString() {
        return "Tensor[" + elementType.displayName() + " " + Shapes.format(shape) + "]";
    }
}
