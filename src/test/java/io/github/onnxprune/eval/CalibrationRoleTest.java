package io.github.onnxprune.eval;

import static io.github.onnxprune.eval.NpyBytes.floats;
import static io.github.onnxprune.eval.NpyBytes.npy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A file given as {@code <calibrationData>} is called calibration data in every format's messages. */
class CalibrationRoleTest {

    private static final ModelSignature TABULAR = ValidationDataReaderTest.signature(
            new TensorSpec("input", TensorKind.FLOAT, new long[] {-1, 3}));

    @TempDir
    Path dir;

    private static String failure(Path path) {
        return assertThrows(ValidationDataException.class,
                () -> ValidationDataReader.read(path, TABULAR, null, DataRole.CALIBRATION)).getMessage();
    }

    @Test
    void aMissingFileNamesTheCalibrationElement() {
        Path missing = dir.resolve("nowhere.npz");

        assertEquals("calibration data " + missing + " does not exist. Point <calibrationData> at a "
                + "directory of <input>.npy files, a .npz file, a .csv file or an ONNX test-data folder "
                + "(test_data_set_*).", failure(missing));
    }

    @Test
    void csvNamesCalibrationDataAndTheCalibrationSet() throws IOException {
        Path csv = dir.resolve("header.csv");
        Files.writeString(csv, "a,b,c,label\n\n", StandardCharsets.UTF_8);

        assertEquals("calibration data " + csv + " has a header but no data rows. Export a non-empty calibration "
                + "set.", failure(csv));
    }

    @Test
    void npyDirectoryNamesCalibrationData() throws IOException {
        Path npy = Files.createDirectories(dir.resolve("npy"));
        Files.write(npy.resolve("input.npy"), npy("<f4", false, "(2, 2)", floats(1, 2, 3, 4)));

        assertEquals("calibration data " + npy.resolve("input.npy") + " has shape [2, 2] but model input 'input' "
                + "expects [N, 3]. Export the calibration set with the model's input shape.", failure(npy));
    }

    @Test
    void npzNamesCalibrationData() throws IOException {
        Path npz = dir.resolve("c.npz");
        try (OutputStream out = Files.newOutputStream(npz); ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry("input.npy"));
            zip.write(npy("<f4", false, "(0, 3)", new byte[0]));
            zip.closeEntry();
        }

        assertEquals("calibration data " + npz + ": array 'input' holds no samples. Export a non-empty calibration "
                + "set.", failure(npz));
    }

    @Test
    void onnxTestDataNamesCalibrationData() throws IOException {
        Path set = Files.createDirectories(dir.resolve("model/test_data_set_0"));
        Files.write(set.resolve("input_0.pb"), OnnxMl.TensorProto.newBuilder().setName("input")
                .setDataType(DataType.FLOAT.getNumber()).addDims(1).addDims(2)
                .setRawData(ByteString.copyFrom(floats(1, 2))).build().toByteArray());

        assertEquals("calibration data " + set.resolve("input_0.pb") + " has shape [1, 2] but model input 'input' "
                + "expects [N, 3]. Export the calibration set with the model's input shape.",
                failure(dir.resolve("model")));
    }

    @Test
    void validationIsTheDefaultRole() throws IOException {
        Path csv = dir.resolve("header.csv");
        Files.writeString(csv, "a,b,c,label\n\n", StandardCharsets.UTF_8);

        assertEquals("validation data " + csv + " has a header but no data rows. Export a non-empty validation set.",
                assertThrows(ValidationDataException.class, () -> ValidationDataReader.read(csv, TABULAR, null))
                        .getMessage());
    }
}
