package io.github.onnxprune.eval;

import static io.github.onnxprune.eval.NpyBytes.doubles;
import static io.github.onnxprune.eval.NpyBytes.floats;
import static io.github.onnxprune.eval.NpyBytes.ints;
import static io.github.onnxprune.eval.NpyBytes.longs;
import static io.github.onnxprune.eval.NpyBytes.npy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class NpyFormatTest {

    private static final String SUBJECT = "validation data x.npz: array 'a'";

    /** numpy 2.4: {@code np.save(f, np.array([[1.5, -2], [3, 0.25]], dtype='<f4'))}, byte for byte. */
    private static final String NUMPY_2X2 =
            "934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73"
            + "652c20277368617065273a2028322c2032292c207d202020202020202020202020202020202020202020202020202020"
            + "202020202020202020202020202020202020202020202020202020202020200a0000c03f000000c0000040400000803e";

    private static Tensor read(byte[] bytes) throws IOException {
        return NpyFormat.read(new ByteArrayInputStream(bytes), SUBJECT);
    }

    private static String failure(byte[] bytes) {
        return assertThrows(ValidationDataException.class, () -> read(bytes)).getMessage();
    }

    @Test
    void readsBytesWrittenByNumpySave() throws IOException {
        byte[] bytes = HexFormat.of().parseHex(NUMPY_2X2);

        Tensor tensor = read(bytes);

        assertEquals(TensorKind.FLOAT, tensor.elementType());
        assertArrayEquals(new long[] {2, 2}, tensor.shape());
        assertArrayEquals(new float[] {1.5f, -2f, 3f, 0.25f}, (float[]) tensor.data());
    }

    @Test
    void handBuiltVersion1HeaderMatchesNumpyLayout() {
        byte[] bytes = npy("<f4", false, "(2, 2)", floats(1.5f, -2f, 3f, 0.25f));
        byte[] numpy = HexFormat.of().parseHex(NUMPY_2X2);
        assertArrayEquals(numpy, bytes);
    }

    @Test
    void readsEverySupportedDtype() throws IOException {
        Tensor f8 = read(npy("<f8", false, "(3,)", doubles(0.1, -2.5, 1e300)));
        assertEquals(TensorKind.DOUBLE, f8.elementType());
        assertArrayEquals(new double[] {0.1, -2.5, 1e300}, (double[]) f8.data());

        Tensor i8 = read(npy("<i8", false, "(2, 1)", longs(Long.MAX_VALUE, -7)));
        assertEquals(TensorKind.INT64, i8.elementType());
        assertArrayEquals(new long[] {2, 1}, i8.shape());
        assertArrayEquals(new long[] {Long.MAX_VALUE, -7}, (long[]) i8.data());

        Tensor i4 = read(npy("<i4", false, "(2,)", ints(Integer.MIN_VALUE, 9)));
        assertEquals(TensorKind.INT32, i4.elementType());
        assertArrayEquals(new int[] {Integer.MIN_VALUE, 9}, (int[]) i4.data());

        Tensor u1 = read(npy("|u1", false, "(3,)", new byte[] {0, 127, (byte) 255}));
        assertEquals(TensorKind.UINT8, u1.elementType());
        assertEquals(255.0, u1.doubleAt(2));

        Tensor b1 = read(npy("|b1", false, "(2,)", new byte[] {1, 0}));
        assertEquals(TensorKind.BOOL, b1.elementType());
        assertArrayEquals(new byte[] {1, 0}, (byte[]) b1.data());
    }

    @Test
    void readsVersion2And3Headers() throws IOException {
        Tensor v2 = read(npy(2, "<i8", false, "(3,)", longs(4, 5, 6)));
        assertArrayEquals(new long[] {4, 5, 6}, (long[]) v2.data());

        Tensor v3 = read(npy(3, "<f4", false, "(1, 2)", floats(7f, 8f)));
        assertArrayEquals(new long[] {1, 2}, v3.shape());
        assertArrayEquals(new float[] {7f, 8f}, (float[]) v3.data());
    }

    @Test
    void readsScalarAndEmptyShapes() throws IOException {
        Tensor scalar = read(npy("<f4", false, "()", floats(2.5f)));
        assertArrayEquals(new long[0], scalar.shape());
        assertEquals(1, scalar.elementCount());

        Tensor empty = read(npy("<f4", false, "(0, 4)", new byte[0]));
        assertArrayEquals(new long[] {0, 4}, empty.shape());
    }

    @Test
    void rejectsFortranOrder() {
        String message = failure(npy("<f4", true, "(2, 2)", floats(1, 2, 3, 4)));
        assertEquals("validation data x.npz: array 'a' is stored in Fortran (column-major) order, which is not "
                + "supported. Save it in C order: numpy.save(path, numpy.ascontiguousarray(array)).", message);
    }

    @Test
    void rejectsBigEndian() {
        String message = failure(npy(">f4", false, "(1,)", new byte[] {0x3f, (byte) 0x80, 0, 0}));
        assertEquals("validation data x.npz: array 'a' holds big-endian data ('>f4'), which is not supported. "
                + "Save it little-endian: numpy.save(path, array.astype('<f4')).", message);
    }

    @Test
    void rejectsUnsupportedDtypes() {
        String half = failure(npy("<f2", false, "(1,)", new byte[2]));
        assertEquals("validation data x.npz: array 'a' has dtype '<f2', which is not supported. Supported dtypes "
                + "are float32 ('<f4'), float64 ('<f8'), int64 ('<i8'), int32 ('<i4'), uint8 ('|u1') and bool "
                + "('|b1'); convert the array with astype before saving it.", half);

        String objects = failure(npy("|O", false, "(1,)", new byte[8]));
        assertEquals(true, objects.contains("has dtype '|O', which is not supported"), objects);

        byte[] structured = npy("<f4", false, "(1,)", floats(1f));
        String text = new String(structured, java.nio.charset.StandardCharsets.ISO_8859_1)
                .replace("'descr': '<f4'", "'descr': [('x', '<f4')]");
        String record = failure(text.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        assertEquals(true, record.contains("is a structured (record) array"), record);
    }

    @Test
    void reportsTruncatedData() {
        byte[] whole = npy("<f4", false, "(2, 3)", floats(1, 2, 3, 4, 5, 6));
        String message = failure(Arrays.copyOf(whole, whole.length - 5));
        assertEquals("validation data x.npz: array 'a' is truncated: its header declares float32 data of shape "
                + "[2, 3] (24 bytes) but only 19 bytes follow. The file was cut short; re-export it.", message);
    }

    @Test
    void reportsTruncatedHeader() {
        byte[] whole = npy("<f4", false, "(2,)", floats(1, 2));
        String message = failure(Arrays.copyOf(whole, 30));
        assertEquals("validation data x.npz: array 'a' is truncated: the file ends inside its header. The file "
                + "was cut short; re-export it.", message);
    }

    @Test
    void rejectsFilesThatAreNotNpy() {
        String message = failure("label,x\n1,2\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals(true, message.startsWith("validation data x.npz: array 'a' is not a .npy array"), message);
    }
}
