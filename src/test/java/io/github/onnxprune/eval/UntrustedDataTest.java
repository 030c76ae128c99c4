package io.github.onnxprune.eval;

import static io.github.onnxprune.eval.NpyBytes.doubles;
import static io.github.onnxprune.eval.NpyBytes.floats;
import static io.github.onnxprune.eval.NpyBytes.longs;
import static io.github.onnxprune.eval.NpyBytes.npy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Validation and calibration files that are malformed, hostile or hold values no metric can use. */
class UntrustedDataTest {

    private static final ModelSignature TABULAR = new ModelSignature(
            List.of(new TensorSpec("input", TensorKind.FLOAT, new long[] {-1, 3})),
            List.of(new TensorSpec("output", TensorKind.FLOAT, new long[] {-1, 10})));

    private static final ModelSignature TABULAR_DOUBLE = new ModelSignature(
            List.of(new TensorSpec("input", TensorKind.DOUBLE, new long[] {-1, 3})),
            List.of(new TensorSpec("output", TensorKind.FLOAT, new long[] {-1, 10})));

    @TempDir
    Path dir;

    // ---- non-finite values ------------------------------------------------------------------------------

    @Test
    void nanInAnNpyFileIsNamedByRowAndColumn() throws IOException {
        float[] values = {0, 1, 2, 3, 4, 5, 6, Float.NaN, 8, 9, 10, 11};
        write("npy/input.npy", npy("<f4", false, "(4, 3)", floats(values)));
        String message = failure(dir.resolve("npy"), TABULAR);
        assertEquals("validation data " + dir.resolve("npy/input.npy") + " holds NaN at row 2, column 1 (flattened"
                + " index 7 of shape [4, 3]; rows are samples, columns the values within one, both counted from 0)."
                + " NaN and infinite values cannot be measured or fitted: clean the data or drop that sample, then"
                + " export it again.", message);
    }

    @Test
    void infinityInAnNpzArrayOfHigherRankIsNamedByRowAndPositionWithinTheSample() throws IOException {
        double[] values = new double[2 * 3 * 2];
        values[9] = Double.NEGATIVE_INFINITY;
        ModelSignature image = new ModelSignature(
                List.of(new TensorSpec("input", TensorKind.DOUBLE, new long[] {-1, 3, 2})),
                List.of(new TensorSpec("output", TensorKind.FLOAT, new long[] {-1, 10})));
        Path npz = npz("data.npz", ZipEntry.DEFLATED, "input", npy("<f8", false, "(2, 3, 2)", doubles(values)));
        String message = failure(npz, image);
        assertTrue(message.startsWith("validation data " + npz + ": array 'input' holds -Infinity at row 1, column 3"
                + " (flattened index 9 of shape [2, 3, 2];"), message);
    }

    @Test
    void nonFiniteValuesInOnnxTestDataAreRefusedInRawAndTypedFieldsAndInReferenceOutputs() throws IOException {
        Path set = dir.resolve("pb/test_data_set_0");
        Files.createDirectories(set);
        OnnxMl.TensorProto.Builder typed = OnnxMl.TensorProto.newBuilder().setName("input").setDataType(1)
                .addDims(2).addDims(3);
        for (float value : new float[] {0, 1, Float.POSITIVE_INFINITY, 3, 4, 5}) {
            typed.addFloatData(value);
        }
        Files.write(set.resolve("input_0.pb"), typed.build().toByteArray());
        assertTrue(failure(dir.resolve("pb"), TABULAR).startsWith("validation data " + set.resolve("input_0.pb")
                + " holds +Infinity at row 0, column 2 (flattened index 2 of shape [2, 3];"));

        OnnxMl.TensorProto raw = OnnxMl.TensorProto.newBuilder().setName("input").setDataType(1).addDims(2)
                .addDims(3).setRawData(ByteString.copyFrom(floats(0, 1, 2, 3, Float.NaN, 5))).build();
        Files.write(set.resolve("input_0.pb"), raw.toByteArray());
        assertTrue(failure(dir.resolve("pb"), TABULAR).contains("holds NaN at row 1, column 1"));

        Files.write(set.resolve("input_0.pb"), raw.toBuilder().setRawData(ByteString.copyFrom(floats(0, 1, 2, 3, 4,
                5))).build().toByteArray());
        OnnxMl.TensorProto reference = OnnxMl.TensorProto.newBuilder().setDataType(1).addDims(2).addDims(2)
                .setRawData(ByteString.copyFrom(floats(0.5f, 0.5f, Float.NaN, 1))).build();
        Files.write(set.resolve("output_0.pb"), reference.toByteArray());
        assertTrue(failure(dir.resolve("pb"), TABULAR).startsWith("validation data " + set.resolve("output_0.pb")
                + " holds NaN at row 1, column 0"));
    }

    @Test
    void csvAcceptsPlainDecimalsOnly() throws IOException {
        Path good = text("good.csv", "a,b,c,label\n1,-.5,+3.,0\n1e-3,2E+2,-0.0,1\n");
        ValidationData data = ValidationDataReader.read(good, TABULAR, null);
        assertArrayEquals(new float[] {1f, -0.5f, 3f, 0.001f, 200f, -0f}, (float[]) data.inputs().get("input").data());
        for (String cell : List.of("2.5f", "0x1p4", "Infinity", "-Infinity", "NaN", "1d", "1_000", "1e", "--1")) {
            Path bad = text("bad.csv", "a,b,c,label\n1,2,3,0\n4," + cell + ",6,1\n");
            assertEquals("validation data " + bad + ": line 3, column 2 ('b') holds '" + cell + "', which is not a"
                    + " decimal number such as 3, -0.25 or 1.5e-3 (NaN, Infinity and empty cells are not accepted)."
                    + " Fix the cell or remove the row.", failure(bad, TABULAR), cell);
        }
    }

    @Test
    void csvDecimalsBeyondTheInputTypeAreRefused() throws IOException {
        Path floatOverflow = text("big.csv", "a,b,c,label\n1,2,3e39,0\n");
        assertEquals("validation data " + floatOverflow + ": line 2, column 3 ('c') holds '3e39', beyond the range of"
                + " float32 (it would be infinite). Scale the feature or fix the cell.", failure(floatOverflow,
                TABULAR));
        assertEquals(3e39, ((double[]) ValidationDataReader.read(floatOverflow, TABULAR_DOUBLE, null).inputs()
                .get("input").data())[2]);
        Path doubleOverflow = text("huge.csv", "a,b,c,label\n1,2,1e400,0\n");
        assertTrue(failure(doubleOverflow, TABULAR_DOUBLE).contains("holds '1e400', beyond the range of float64"));
    }

    // ---- malformed and oversized shapes -----------------------------------------------------------------

    @Test
    void anUnreadableShapeTupleIsAClearFailure() throws IOException {
        for (String shape : List.of("(,)", "(,3)", "(3,,)", "(-1, 3)", "(3 4)", "(99999999999999999999,)")) {
            write("npy/input.npy", npy("<f4", false, shape, floats(1, 2, 3)));
            String message = failure(dir.resolve("npy"), TABULAR);
            assertTrue(message.startsWith("validation data " + dir.resolve("npy/input.npy") + " has "), message);
            assertTrue(message.contains("the file is corrupt. Re-export it with numpy.save."), message);
        }
    }

    @Test
    void shapesNoArrayCanHoldAreRefusedBeforeAnythingIsAllocated() throws IOException {
        write("npy/input.npy", npy("<f4", false, "(2000000000, 0)", new byte[0]));
        assertEquals("validation data " + dir.resolve("npy/input.npy") + " declares shape [2000000000, 0]: its"
                + " 2000000000 samples hold no values at all. Export the model's real input shape.",
                failure(dir.resolve("npy"), TABULAR));
        write("npy/input.npy", npy("<f4", false, "(3000000000, 3)", new byte[0]));
        assertTrue(failure(dir.resolve("npy"), TABULAR).contains("whose dimension 0 no array can hold"));
        write("npy/input.npy", npy("<f8", false, "(400000000, 3)", new byte[0]));
        assertTrue(failure(dir.resolve("npy"), TABULAR).contains("over 2 GB, more than one array can hold"));
    }

    @Test
    void aHeaderDeclaringFarMoreDataThanTheFileHoldsFailsBeforeReading() throws IOException {
        // 100 M float32 (400 MB) declared, 12 bytes present.
        write("npy/input.npy", npy("<f4", false, "(33333333, 3)", floats(1, 2, 3)));
        assertEquals("validation data " + dir.resolve("npy/input.npy") + " is truncated: its header declares float32"
                + " data of shape [33333333, 3] (399999996 bytes) but only 12 bytes follow. The file was cut short;"
                + " re-export it.", failure(dir.resolve("npy"), TABULAR));
        Path npz = npz("lying.npz", ZipEntry.DEFLATED, "input", npy("<f4", false, "(33333333, 3)", floats(1, 2, 3)));
        assertEquals("validation data " + npz + ": array 'input' is truncated: its header declares float32 data of"
                + " shape [33333333, 3] (399999996 bytes) but only 12 bytes follow. The file was cut short;"
                + " re-export it.", failure(npz, TABULAR));
    }

    @Test
    void anNpzEntryInflatingOverAThousandFoldIsRefused() throws IOException {
        int rows = 2 * 1024 * 1024; // 24 MiB of float32 zeros deflate to about 24 KiB
        byte[] array = npy("<f4", false, "(" + rows + ", 3)", new byte[rows * 12]);
        Path npz = npz("bomb.npz", ZipEntry.DEFLATED, "input", array);
        assertTrue(Files.size(npz) < 40_000, "size " + Files.size(npz));
        String message = failure(npz, TABULAR);
        assertTrue(message.startsWith("validation data " + npz + ": array 'input' inflates from "), message);
        assertTrue(message.contains(" to " + array.length + " bytes, more than 1000-fold"), message);
    }

    @Test
    void anArrayLargerThanTheFreeHeapIsRefusedWithWhatToDo() {
        ValidationDataException e = assertThrows(ValidationDataException.class,
                () -> DataLimits.requireHeap(400L << 20, 500L << 20, "validation data a.npz: array 'input'"));
        assertEquals("validation data a.npz: array 'input' needs 400.0 MiB in memory and as much again for the batches"
                + " made from it, but only 500.0 MiB of heap is free. Give Maven more memory (MAVEN_OPTS=-Xmx4g) or use"
                + " fewer samples.", e.getMessage());
        DataLimits.requireHeap(200L << 20, 500L << 20, "fits");
    }

    @Test
    void onnxTensorDimsThatNoArrayCanHoldAreRefused() throws IOException {
        Path set = dir.resolve("pb/test_data_set_0");
        Files.createDirectories(set);
        Files.write(set.resolve("input_0.pb"), OnnxMl.TensorProto.newBuilder().setName("input").setDataType(1)
                .addDims(2000000000).addDims(0).build().toByteArray());
        assertTrue(failure(dir.resolve("pb"), TABULAR).contains("declares shape [2000000000, 0]: its 2000000000"
                + " samples hold no values at all"));
    }

    private String failure(Path path, ModelSignature signature) {
        return assertThrows(ValidationDataException.class, () -> ValidationDataReader.read(path, signature, null))
                .getMessage();
    }

    private void write(String name, byte[] bytes) throws IOException {
        Path file = dir.resolve(name);
        Files.createDirectories(file.getParent());
        Files.write(file, bytes);
    }

    private Path text(String name, String content) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, content, StandardCharsets.UTF_8);
        return file;
    }

    private Path npz(String name, int method, String array, byte[] npy) throws IOException {
        Path file = dir.resolve(name);
        try (OutputStream out = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry(array + ".npy"));
            zip.write(npy);
            zip.closeEntry();
            zip.putNextEntry(new ZipEntry("labels.npy"));
            zip.write(npy("<i8", false, "(1,)", longs(0)));
            zip.closeEntry();
        }
        return file;
    }
}
