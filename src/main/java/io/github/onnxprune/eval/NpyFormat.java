package io.github.onnxprune.eval;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reader for numpy's {@code .npy} format (versions 1.0, 2.0 and 3.0).
 *
 * <p>The format is documented in numpy's {@code numpy.lib.format}: the magic {@code \x93NUMPY}, a major and
 * minor version byte, a little-endian header length (2 bytes in version 1, 4 bytes later), then a Python
 * dict literal with {@code descr}, {@code fortran_order} and {@code shape}, then the raw elements. It is small
 * enough that a hand-written reader beats a dependency, and it never touches pickles.
 */
final class NpyFormat {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern STRUCTURED_DESCR = Pattern.compile("'descr'\\s*:\\s*\\[");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");
    /** Read size: small enough to stay in cache, a multiple of every element size. */
    private static final int CHUNK_BYTES = 1 << 16;
    private static final Pattern SHAPE_TUPLE = Pattern.compile(
            "\\s*+(?:\\d++L?+\\s*+(?:,\\s*+\\d++L?+\\s*+)*+,?+\\s*+)?+"); // possessive: no backtracking
    private static final String SUPPORTED =
            "float32 ('<f4'), float64 ('<f8'), int64 ('<i8'), int32 ('<i4'), uint8 ('|u1') and bool ('|b1')";

    private NpyFormat() {
    }

    /**
     * Reads one array from a stream of unknown length.
     *
     * @see #read(InputStream, String, long)
     */
    static Tensor read(InputStream in, String subject) throws IOException {
        return read(in, subject, Long.MAX_VALUE);
    }

    /**
     * Reads one array. Nothing is allocated for the data before its declared size has been checked against
     * {@code available} and the free heap, and the data is decoded straight into its typed array, so a crafted
     * header cannot exhaust the heap.
     *
     * @param in the stream positioned at the magic; it is read to the end of the data, not closed
     * @param subject how messages name the array, for example {@code validation data a.npz: array 'input'}
     * @param available the most bytes the stream can hold (the file's or zip entry's size), header included
     * @return the array as a tensor of its stored element type
     * @throws ValidationDataException when the bytes are not a supported .npy array
     * @throws IOException when reading fails
     */
    static Tensor read(InputStream in, String subject, long available) throws IOException {
        byte[] prefix = in.readNBytes(MAGIC.length + 2);
        for (int i = 0; i < MAGIC.length; i++) {
            if (i >= prefix.length || prefix[i] != MAGIC[i]) {
                throw new ValidationDataException(subject + " is not a .npy array: it does not start with the "
                        + "\\x93NUMPY magic. Save arrays with numpy.save, numpy.savez or numpy.savez_compressed.");
            }
        }
        if (prefix.length < MAGIC.length + 2) {
            throw truncated(subject, "its header");
        }
        int major = prefix[MAGIC.length];
        int headerLength;
        int lengthBytes;
        if (major == 1) {
            lengthBytes = 2;
            byte[] length = readExactly(in, 2, subject, "its header");
            headerLength = (length[0] & 0xFF) | (length[1] & 0xFF) << 8;
        } else if (major == 2 || major == 3) {
            lengthBytes = 4;
            byte[] length = readExactly(in, 4, subject, "its header");
            long value = ByteBuffer.wrap(length).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xFFFFFFFFL;
            if (value > 1 << 20) {
                throw new ValidationDataException(subject + " declares a header of " + value
                        + " bytes, which no real .npy file has; the file is corrupt. Re-export it with numpy.save.");
            }
            headerLength = (int) value;
        } else {
            throw new ValidationDataException(subject + " uses .npy format version " + major + "."
                    + prefix[MAGIC.length + 1] + ", but only versions 1, 2 and 3 exist. Re-export it with numpy.save.");
        }
        byte[] headerBytes = readExactly(in, headerLength, subject, "its header");
        // Version 3 only differs by allowing UTF-8 in the header (structured field names).
        String header = new String(headerBytes, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);

        if (STRUCTURED_DESCR.matcher(header).find()) {
            throw new ValidationDataException(subject + " is a structured (record) array, which cannot feed a "
                    + "model. Save each field as its own array with one of the dtypes " + SUPPORTED + ".");
        }
        String descr = group(DESCR, header, subject, "descr");
        String fortran = group(FORTRAN, header, subject, "fortran_order");
        String shapeText = group(SHAPE, header, subject, "shape");
        if (fortran.equals("True")) {
            throw new ValidationDataException(subject + " is stored in Fortran (column-major) order, which is not "
                    + "supported. Save it in C order: numpy.save(path, numpy.ascontiguousarray(array)).");
        }
        TensorKind kind = kindOf(descr, subject);
        long[] shape = parseShape(shapeText, subject);
        int count = DataLimits.requireLoadable(shape, kind, subject);
        long byteCount = (long) count * kind.byteSize();
        long afterHeader = available - (MAGIC.length + 2L + lengthBytes + headerLength);
        if (byteCount > afterHeader) {
            // Checked before anything is allocated: a corrupt header cannot make the reader reserve its size.
            throw new ValidationDataException(subject + " is truncated: its header declares " + kind.displayName()
                    + " data of shape " + Shapes.format(shape) + " (" + byteCount + " bytes) but only "
                    + Math.max(0, afterHeader) + " bytes follow. The file was cut short; re-export it.");
        }
        DataLimits.requireHeap(byteCount, subject);
        Object data = readData(in, kind, count, subject, shape);
        DataLimits.requireFinite(data, shape, subject);
        return Tensor.adopt(kind, shape, data);
    }

    /** Decodes the elements chunk by chunk into one typed array: the raw bytes are never held whole. */
    private static Object readData(InputStream in, TensorKind kind, int count, String subject, long[] shape)
            throws IOException {
        Object values = newArray(kind, count);
        int size = kind.byteSize();
        byte[] chunk = new byte[CHUNK_BYTES];
        int done = 0;
        while (done < count) {
            int elements = Math.min(count - done, CHUNK_BYTES / size);
            int read = in.readNBytes(chunk, 0, elements * size);
            if (read < elements * size) {
                throw new ValidationDataException(subject + " is truncated: its header declares "
                        + kind.displayName() + " data of shape " + Shapes.format(shape) + " (" + (long) count * size
                        + " bytes) but only " + ((long) done * size + read) + " bytes follow. The file was cut short;"
                        + " re-export it.");
            }
            ByteBuffer buffer = ByteBuffer.wrap(chunk, 0, read).order(ByteOrder.LITTLE_ENDIAN);
            decodeInto(kind, buffer, values, done, elements);
            done += elements;
        }
        return values;
    }

    /** Decodes {@code count} little-endian elements of a supported kind from the buffer's position. */
    static Object decode(TensorKind kind, ByteBuffer little, int count) {
        Object values = newArray(kind, count);
        decodeInto(kind, little.order(ByteOrder.LITTLE_ENDIAN), values, 0, count);
        return values;
    }

    /** The typed array that holds {@code count} elements of a kind .npy files may hold. */
    private static Object newArray(TensorKind kind, int count) {
        return switch (kind) {
            case FLOAT -> new float[count];
            case DOUBLE -> new double[count];
            case INT64 -> new long[count];
            case INT32 -> new int[count];
            case UINT8, BOOL -> new byte[count];
            default -> throw new IllegalStateException("unreachable: " + kind);
        };
    }

    private static void decodeInto(TensorKind kind, ByteBuffer buffer, Object values, int offset, int count) {
        switch (kind) {
            case FLOAT -> buffer.asFloatBuffer().get((float[]) values, offset, count);
            case DOUBLE -> buffer.asDoubleBuffer().get((double[]) values, offset, count);
            case INT64 -> buffer.asLongBuffer().get((long[]) values, offset, count);
            case INT32 -> buffer.asIntBuffer().get((int[]) values, offset, count);
            case UINT8, BOOL -> buffer.get((byte[]) values, offset, count);
            default -> throw new IllegalStateException("unreachable: " + kind);
        }
    }

    private static TensorKind kindOf(String descr, String subject) {
        if (descr.length() >= 2) {
            char order = descr.charAt(0);
            String type = descr.substring(1);
            // One-byte types have no byte order; numpy writes '|' but accept any marker.
            if (type.equals("u1") && (order == '|' || order == '<' || order == '>' || order == '=')) {
                return TensorKind.UINT8;
            }
            if (type.equals("b1") && (order == '|' || order == '<' || order == '>' || order == '=')) {
                return TensorKind.BOOL;
            }
            TensorKind kind = switch (type) {
                case "f4" -> TensorKind.FLOAT;
                case "f8" -> TensorKind.DOUBLE;
                case "i8" -> TensorKind.INT64;
                case "i4" -> TensorKind.INT32;
                default -> null;
            };
            if (kind != null && order == '<') {
                return kind;
            }
            if (kind != null && order == '>') {
                throw new ValidationDataException(subject + " holds big-endian data ('" + descr + "'), which is not "
                        + "supported. Save it little-endian: numpy.save(path, array.astype('<" + type + "')).");
            }
        }
        throw new ValidationDataException(subject + " has dtype '" + descr + "', which is not supported. "
                + "Supported dtypes are " + SUPPORTED + "; convert the array with astype before saving it.");
    }

    private static long[] parseShape(String text, String subject) {
        if (!SHAPE_TUPLE.matcher(text).matches()) {
            throw new ValidationDataException(subject + " has an unreadable shape '(" + text + ")' in its "
                    + "header; the file is corrupt. Re-export it with numpy.save.");
        }
        String trimmed = text.trim();
        if (trimmed.isEmpty()) {
            return new long[0];
        }
        // The pattern admits one trailing comma, Python's one-element tuple "(5,)"; split drops the empty part.
        String[] parts = trimmed.split(",");
        long[] shape = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            String dim = parts[i].trim();
            if (dim.endsWith("L")) {
                dim = dim.substring(0, dim.length() - 1); // Python 2 longs
            }
            try {
                shape[i] = Long.parseLong(dim);
            } catch (NumberFormatException e) {
                throw new ValidationDataException(subject + " has a dimension '" + dim + "' in its shape that no"
                        + " array can have; the file is corrupt. Re-export it with numpy.save.");
            }
        }
        return shape;
    }

    private static String group(Pattern pattern, String header, String subject, String key) {
        Matcher matcher = pattern.matcher(header);
        if (!matcher.find()) {
            throw new ValidationDataException(subject + " has a .npy header without a readable '" + key
                    + "' entry; the file is corrupt or not written by numpy. Re-export it with numpy.save.");
        }
        return matcher.group(1);
    }

    private static byte[] readExactly(InputStream in, int length, String subject, String part) throws IOException {
        byte[] bytes = in.readNBytes(length);
        if (bytes.length < length) {
            throw truncated(subject, part);
        }
        return bytes;
    }

    private static ValidationDataException truncated(String subject, String part) {
        return new ValidationDataException(subject + " is truncated: the file ends inside " + part
                + ". The file was cut short; re-export it.");
    }
}
