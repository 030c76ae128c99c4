package io.github.onnxprune.eval;

import static io.github.onnxprune.eval.NpyBytes.doubles;
import static io.github.onnxprune.eval.NpyBytes.floats;
import static io.github.onnxprune.eval.NpyBytes.ints;
import static io.github.onnxprune.eval.NpyBytes.longs;
import static io.github.onnxprune.eval.NpyBytes.npy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ValidationDataReaderTest {

    /** One float32 input of shape [N, 3], the shape of a small tabular classifier. */
    private static final ModelSignature TABULAR = signature(new TensorSpec("input", TensorKind.FLOAT,
            new long[] {-1, 3}));

    private static final float[] FOUR_BY_THREE = {0f, 0.5f, 1f, 1.5f, 2f, 2.5f, 3f, 3.5f, 4f, 4.5f, 5f, 5.5f};

    @TempDir
    Path dir;

    static ModelSignature signature(TensorSpec... inputs) {
        return new ModelSignature(List.of(inputs),
                List.of(new TensorSpec("output", TensorKind.FLOAT, new long[] {-1, 10})));
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path file = dir.resolve(name);
        Files.createDirectories(file.getParent());
        Files.write(file, bytes);
        return file;
    }

    private Path writeText(String name, String text) throws IOException {
        return write(name, text.getBytes(StandardCharsets.UTF_8));
    }

    private static String failure(Path path, ModelSignature signature, String labelName) {
        return assertThrows(ValidationDataException.class,
                () -> ValidationDataReader.read(path, signature, labelName)).getMessage();
    }

    private static void assertFourByThree(ValidationData data) {
        assertEquals(4, data.sampleCount());
        Tensor input = data.inputs().get("input");
        assertEquals(TensorKind.FLOAT, input.elementType());
        assertArrayEquals(new long[] {4, 3}, input.shape());
        assertArrayEquals(FOUR_BY_THREE, (float[]) input.data());
    }

    // ---- directory of .npy files ------------------------------------------------------------------------

    @Test
    void readsNpyDirectoryWithLabels() throws IOException {
        write("npy/input.npy", npy("<f4", false, "(4, 3)", floats(FOUR_BY_THREE)));
        write("npy/labels.npy", npy("<i8", false, "(4,)", longs(3, 0, 9, 1)));

        ValidationData data = ValidationDataReader.read(dir.resolve("npy"), TABULAR, null);

        assertFourByThree(data);
        assertArrayEquals(new long[] {3, 0, 9, 1}, data.labels());
        assertNull(data.referenceOutputs());
        assertEquals(dir.resolve("npy"), data.source());
        assertEquals(List.of("input"), List.copyOf(data.inputs().keySet()));
    }

    @Test
    void npyDirectoryWithoutLabelsHasNoLabels() throws IOException {
        write("npy/input.npy", npy("<f4", false, "(4, 3)", floats(FOUR_BY_THREE)));

        ValidationData data = ValidationDataReader.read(dir.resolve("npy"), TABULAR, null);

        assertFourByThree(data);
        assertNull(data.labels());
        assertNull(data.effectiveLabels());
    }

    @Test
    void readsInt32LabelsUnderAConfiguredName() throws IOException {
        write("npy/input.npy", npy("<f4", false, "(4, 3)", floats(FOUR_BY_THREE)));
        write("npy/target.npy", npy("<i4", false, "(4, 1)", ints(2, 2, 7, 0)));

        ValidationData data = ValidationDataReader.read(dir.resolve("npy"), TABULAR, "target");

        assertArrayEquals(new long[] {2, 2, 7, 0}, data.labels());
    }

    @Test
    void ordersInputsLikeTheModelAndWidensSafeTypes() throws IOException {
        ModelSignature twoInputs = signature(
                new TensorSpec("ids", TensorKind.INT64, new long[] {-1, 2}),
                new TensorSpec("scale", TensorKind.DOUBLE, new long[] {-1}));
        write("npy/scale.npy", npy("<f4", false, "(2,)", floats(0.5f, 2f)));
        write("npy/ids.npy", npy("<i4", false, "(2, 2)", ints(1, 2, 3, 4)));

        ValidationData data = ValidationDataReader.read(dir.resolve("npy"), twoInputs, null);

        assertEquals(List.of("ids", "scale"), List.copyOf(data.inputs().keySet()));
        assertEquals(Tensor.ofLongs(new long[] {2, 2}, 1, 2, 3, 4), data.inputs().get("ids"));
        assertEquals(Tensor.ofDoubles(new long[] {2}, 0.5, 2.0), data.inputs().get("scale"));
    }

    @Test
    void namesTheMissingNpyFile() throws IOException {
        write("npy/features.npy", npy("<f4", false, "(4, 3)", floats(FOUR_BY_THREE)));

        String message = failure(dir.resolve("npy"), TABULAR, null);

        assertEquals("validation data " + dir.resolve("npy") + " has no input.npy for model input 'input'; it "
                + "holds features.npy. Save one <input name>.npy per model input ('input') and labels.npy.", message);
    }

    @Test
    void calibrationDataIsNotAskedForLabels() throws IOException {
        write("npy/features.npy", npy("<f4", false, "(4, 3)", floats(FOUR_BY_THREE)));
        Path npz = writeNpz("other.npz", ZipEntry.DEFLATED, Map.of("x", npy("<f4", false, "(4, 3)",
                floats(FOUR_BY_THREE))));

        assertEquals("calibration data " + dir.resolve("npy") + " has no input.npy for model input 'input'; it "
                + "holds features.npy. Save one <input name>.npy per model input ('input') (labels are not needed).",
                assertThrows(ValidationDataException.class, () -> ValidationDataReader.read(dir.resolve("npy"),
                        TABULAR, null, DataRole.CALIBRATION)).getMessage());
        assertTrue(assertThrows(ValidationDataException.class, () -> ValidationDataReader.read(npz, TABULAR, null,
                DataRole.CALIBRATION)).getMessage().endsWith("Save it with numpy.savez(path, input=inputs), one"
                + " keyword per model input ('input')."));
    }

    @Test
    void namesTheTruncatedNpyFile() throws IOException {
        byte[] whole = npy("<f4", false, "(4, 3)", floats(FOUR_BY_THREE));
        write("npy/input.npy", java.util.Arrays.copyOf(whole, whole.length - 4));

        String message = failure(dir.resolve("npy"), TABULAR, null);

        assertEquals("validation data " + dir.resolve("npy").resolve("input.npy") + " is truncated: its header "
                + "declares float32 data of shape [4, 3] (48 bytes) but only 44 bytes follow. The file was cut "
                + "short; re-export it.", message);
    }

    // ---- .npz -------------------------------------------------------------------------------------------

    private Path writeNpz(String name, int method, Map<String, byte[]> arrays) throws IOException {
        Path file = dir.resolve(name);
        try (OutputStream out = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> array : arrays.entrySet()) {
                ZipEntry entry = new ZipEntry(array.getKey() + ".npy");
                entry.setMethod(method);
                if (method == ZipEntry.STORED) {
                    CRC32 crc = new CRC32();
                    crc.update(array.getValue());
                    entry.setSize(array.getValue().length);
                    entry.setCompressedSize(array.getValue().length);
                    entry.setCrc(crc.getValue());
                }
                zip.putNextEntry(entry);
                zip.write(array.getValue());
                zip.closeEntry();
            }
        }
        return file;
    }

    private static Map<String, byte[]> inputAndLabels(byte[] input) {
        Map<String, byte[]> arrays = new LinkedHashMap<>();
        arrays.put("labels", npy("<i8", false, "(4,)", longs(3, 0, 9, 1)));
        arrays.put("input", input);
        return arrays;
    }

    @Test
    void readsStoredAndDeflatedNpzAlike() throws IOException {
        Map<String, byte[]> arrays = inputAndLabels(npy("<f4", false, "(4, 3)", floats(FOUR_BY_THREE)));
        Path stored = writeNpz("stored.npz", ZipEntry.STORED, arrays);
        Path deflated = writeNpz("deflated.npz", ZipEntry.DEFLATED, arrays);

        ValidationData fromStored = ValidationDataReader.read(stored, TABULAR, null);
        ValidationData fromDeflated = ValidationDataReader.read(deflated, TABULAR, "labels");

        assertFourByThree(fromStored);
        assertFourByThree(fromDeflated);
        assertArrayEquals(new long[] {3, 0, 9, 1}, fromStored.labels());
        assertArrayEquals(new long[] {3, 0, 9, 1}, fromDeflated.labels());
        assertEquals(fromStored.inputs(), fromDeflated.inputs());
    }

    @Test
    void explainsAShapeMismatch() throws IOException {
        Path npz = writeNpz("digits.npz", ZipEntry.DEFLATED,
                inputAndLabels(npy("<f4", false, "(6, 2)", floats(new float[12]))));

        String message = failure(npz, TABULAR, null);

        assertEquals("validation data " + npz + ": array 'input' has shape [6, 2] but model input 'input' expects "
                + "[N, 3]. Export the validation set with the model's input shape.", message);
    }

    @Test
    void explainsARankMismatch() throws IOException {
        Path npz = writeNpz("flat.npz", ZipEntry.DEFLATED,
                inputAndLabels(npy("<f4", false, "(12,)", floats(FOUR_BY_THREE))));

        String message = failure(npz, TABULAR, null);

        assertEquals("validation data " + npz + ": array 'input' has shape [12] but model input 'input' expects "
                + "[N, 3]. Export the validation set with the model's input shape.", message);
    }

    @Test
    void refusesFloat64ForAFloat32Input() throws IOException {
        Path npz = writeNpz("f8.npz", ZipEntry.STORED,
                inputAndLabels(npy("<f8", false, "(4, 3)", doubles(new double[12]))));

        String message = failure(npz, TABULAR, null);

        assertEquals("validation data " + npz + ": array 'input' holds float64 values but model input 'input' "
                + "expects float32. Save it as float32 (numpy: array.astype('float32')).", message);
    }

    @Test
    void refusesUint8ForAFloat32InputRatherThanGuessTheScaling() throws IOException {
        Path npz = writeNpz("u8.npz", ZipEntry.STORED,
                inputAndLabels(npy("|u1", false, "(4, 3)", new byte[12])));

        String message = failure(npz, TABULAR, null);

        assertTrue(message.contains("holds uint8 values but model input 'input' expects float32"), message);
    }

    @Test
    void listsTheArraysOfAnNpzMissingAnInput() throws IOException {
        Path npz = writeNpz("other.npz", ZipEntry.DEFLATED, Map.of("x", npy("<f4", false, "(4, 3)",
                floats(FOUR_BY_THREE))));

        String message = failure(npz, TABULAR, null);

        assertEquals("validation data " + npz + " has no array 'input' for model input 'input'; it holds arrays "
                + "'x'. Save it with numpy.savez(path, input=inputs, labels=labels), one keyword per model input "
                + "('input').", message);
    }

    @Test
    void rejectsLabelsThatDoNotFitTheInputs() throws IOException {
        Map<String, byte[]> arrays = new LinkedHashMap<>();
        arrays.put("input", npy("<f4", false, "(4, 3)", floats(FOUR_BY_THREE)));
        arrays.put("labels", npy("<i8", false, "(3,)", longs(1, 2, 3)));
        Path fewer = writeNpz("fewer.npz", ZipEntry.DEFLATED, arrays);
        assertEquals("validation data " + fewer + ": array 'labels' holds 3 labels but the inputs hold 4 samples. "
                + "Export inputs and labels from the same validation set.", failure(fewer, TABULAR, null));

        arrays.put("labels", npy("<f4", false, "(4,)", floats(1, 2, 3, 4)));
        Path floating = writeNpz("floating.npz", ZipEntry.DEFLATED, arrays);
        assertEquals("validation data " + floating + ": array 'labels' holds float32 values, but labels must be "
                + "integer class indices. Save them as int64 (numpy: labels.astype('int64')).",
                failure(floating, TABULAR, null));

        arrays.put("labels", npy("<i8", false, "(4, 2)", longs(new long[8])));
        Path oneHot = writeNpz("onehot.npz", ZipEntry.DEFLATED, arrays);
        assertTrue(failure(oneHot, TABULAR, null).contains("has shape [4, 2] but labels must have shape [N]"));
    }

    @Test
    void rejectsUnreadableZip() throws IOException {
        Path npz = writeText("broken.npz", "this is not a zip archive");

        String message = failure(npz, TABULAR, null);

        assertTrue(message.startsWith("validation data " + npz + " is not a readable .npz (zip) archive ("),
                message);
        assertTrue(message.endsWith("Save it with numpy.savez or numpy.savez_compressed."), message);
    }

    @Test
    void checksAFixedBatchSize() throws IOException {
        ModelSignature fixedPairs = signature(new TensorSpec("input", TensorKind.FLOAT, new long[] {2, 2}));
        Path npz = writeNpz("odd.npz", ZipEntry.DEFLATED,
                Map.of("input", npy("<f4", false, "(3, 2)", floats(new float[6]))));

        String message = failure(npz, fixedPairs, null);

        assertEquals("validation data " + npz + ": array 'input' has 3 samples but model input 'input' has a fixed "
                + "batch size of 2 (shape [2, 2]), so the number of samples must be a multiple of 2. Drop the "
                + "extra samples or export the model with a dynamic batch dimension.", message);
    }

    @Test
    void checksThatAllInputsHoldTheSameSamples() throws IOException {
        ModelSignature twoInputs = signature(
                new TensorSpec("a", TensorKind.FLOAT, new long[] {-1, 1}),
                new TensorSpec("b", TensorKind.FLOAT, new long[] {-1, 1}));
        Path npz = writeNpz("uneven.npz", ZipEntry.DEFLATED, Map.of(
                "a", npy("<f4", false, "(2, 1)", floats(1, 2)),
                "b", npy("<f4", false, "(3, 1)", floats(1, 2, 3))));

        String message = failure(npz, twoInputs, null);

        assertEquals("validation data " + npz + ": array 'b' holds 3 samples but the data for model input 'a' "
                + "holds 2. Export all inputs from the same validation set.", message);
    }

    // ---- paths and formats ------------------------------------------------------------------------------

    @Test
    void reportsAMissingPath() {
        Path missing = dir.resolve("nowhere.npz");

        assertEquals("validation data " + missing + " does not exist. Point <validationData> at a "
                + "directory of <input>.npy files, a .npz file, a .csv file or an ONNX test-data folder "
                + "(test_data_set_*).", failure(missing, TABULAR, null));
    }

    @Test
    void reportsUnusablePaths() throws IOException {
        Path single = write("input.npy", npy("<f4", false, "(4, 3)", floats(FOUR_BY_THREE)));
        assertTrue(failure(single, TABULAR, null).contains("is a single .npy file"));

        Path json = writeText("data.json", "{}");
        assertTrue(failure(json, TABULAR, null).contains("has an unrecognised format"));

        Files.createDirectories(dir.resolve("empty"));
        assertTrue(failure(dir.resolve("empty"), TABULAR, null)
                .contains("is a directory without .npy files or test_data_set_* folders"));
    }

    @Test
    void refusesModelInputsNoFormatCanFeed() throws IOException {
        Path npz = writeNpz("any.npz", ZipEntry.DEFLATED, Map.of());
        ModelSignature half = signature(new TensorSpec("x", TensorKind.FLOAT16, new long[] {-1, 2}));

        assertEquals("validation data " + npz + " cannot feed model input 'x': its element type is float16, and "
                + "only float32, float64, int64, int32, uint8 and bool inputs are supported.",
                failure(npz, half, null));
    }

    // ---- .csv -------------------------------------------------------------------------------------------

    @Test
    void readsCsvWithTheLabelColumnInTheMiddle() throws IOException {
        Path csv = writeText("data.csv", "\uFEFF a , \"label\" ,b,c\n"
                + "0, 3, 0.5, 1\n"
                + "1.5 ,0,2,2.5\r\n"
                + "3,9,\"3.5\",4\n"
                + "4.5,1,5,5.5\n"
                + "\n");

        ValidationData data = ValidationDataReader.read(csv, TABULAR, null);

        assertFourByThree(data);
        assertArrayEquals(new long[] {3, 0, 9, 1}, data.labels());
        assertEquals(csv, data.source());
    }

    @Test
    void readsCsvWithAConfiguredLabelColumnIntoADoubleInput() throws IOException {
        ModelSignature doubles = signature(new TensorSpec("x", TensorKind.DOUBLE, new long[] {-1, 2}));
        Path csv = writeText("wine.csv", "alcohol,class,ash\n13.2,2.0,0.1\n");

        ValidationData data = ValidationDataReader.read(csv, doubles, "class");

        assertEquals(Tensor.ofDoubles(new long[] {1, 2}, 13.2, 0.1), data.inputs().get("x"));
        assertArrayEquals(new long[] {2}, data.labels());
    }

    @Test
    void csvWithoutLabelColumnHasNoLabels() throws IOException {
        Path csv = writeText("features.csv", "a,b,c\n1,2,3\n");

        ValidationData data = ValidationDataReader.read(csv, TABULAR, null);

        assertNull(data.labels());
        assertEquals(Tensor.ofFloats(new long[] {1, 3}, 1, 2, 3), data.inputs().get("input"));
    }

    @Test
    void namesLineAndColumnOfABadCsvCell() throws IOException {
        Path csv = writeText("bad.csv", "a,label,b,c\n0,3,0.5,1\n1.5,0,two,2.5\n");

        String message = failure(csv, TABULAR, null);

        assertEquals("validation data " + csv + ": line 3, column 3 ('b') holds 'two', which is not a decimal"
                + " number such as 3, -0.25 or 1.5e-3 (NaN, Infinity and empty cells are not accepted). Fix the cell or"
                + " remove the row.", message);
    }

    @Test
    void rejectsEmptyCellsRaggedRowsAndFractionalLabels() throws IOException {
        Path empty = writeText("empty-cell.csv", "a,label,b,c\n0,3,,1\n");
        assertEquals("validation data " + empty + ": line 2, column 3 ('b') holds '', which is not a decimal"
                + " number such as 3, -0.25 or 1.5e-3 (NaN, Infinity and empty cells are not accepted). Fix the cell or"
                + " remove the row.", failure(empty, TABULAR, null));

        Path ragged = writeText("ragged.csv", "a,label,b,c\n0,3,1\n");
        assertEquals("validation data " + ragged + ": line 2 has 3 cells but the header has 4 columns. Give every "
                + "row one value per column (commas inside values are not supported).", failure(ragged, TABULAR,
                null));

        Path fractional = writeText("fractional.csv", "a,label,b,c\n0,2.5,1,1\n");
        assertEquals("validation data " + fractional + ": line 2, column 2 ('label') holds '2.5', which is not an "
                + "integer class index. Labels must be whole numbers such as 0, 1, 2.", failure(fractional, TABULAR,
                null));
    }

    @Test
    void explainsAWrongCsvFeatureCount() throws IOException {
        Path csv = writeText("wine.csv", "a,class,b,c\n0,1,2,3\n");

        String message = failure(csv, TABULAR, null);

        assertEquals("validation data " + csv + " has 4 feature columns but model input 'input' expects [N, 3] (no "
                + "column is named 'label', so every column counts as a feature; if one of them holds the labels, "
                + "name it with <labelName>, e.g. <labelName>class</labelName>). Export one column per model"
                + " feature.", message);
        Path unnamed = writeText("plain.csv", "a,b,c,d\n0,1,2,3\n");
        assertTrue(failure(unnamed, TABULAR, null).contains("if one of them holds the labels, name it with"
                + " <labelName>). Export"));
    }

    @Test
    void csvNeedsASingleMatrixInput() throws IOException {
        Path csv = writeText("two.csv", "a,b\n1,2\n");
        ModelSignature twoInputs = signature(
                new TensorSpec("a", TensorKind.FLOAT, new long[] {-1, 1}),
                new TensorSpec("b", TensorKind.FLOAT, new long[] {-1, 1}));

        assertEquals("validation data " + csv + " is a CSV file, which can only feed a model with exactly one input "
                + "of shape [N, F]; this model has inputs 'a' [N, 1], 'b' [N, 1]. Use a .npz file or a directory "
                + "of .npy files instead.", failure(csv, twoInputs, null));
    }

    @Test
    void csvWithOnlyAHeaderIsRejected() throws IOException {
        Path csv = writeText("header.csv", "a,b,c,label\n\n");

        assertEquals("validation data " + csv + " has a header but no data rows. Export a non-empty validation set.",
                failure(csv, TABULAR, null));
    }
}
