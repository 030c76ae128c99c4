package io.github.onnxprune.eval;

import static io.github.onnxprune.eval.NpyBytes.floats;
import static io.github.onnxprune.eval.NpyBytes.longs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxTestDataFormatTest {

    private static final ModelSignature TWO_INPUTS = new ModelSignature(
            List.of(new TensorSpec("x", TensorKind.FLOAT, new long[] {-1, 2}),
                    new TensorSpec("mask", TensorKind.INT64, new long[] {-1, 1})),
            List.of(new TensorSpec("scores", TensorKind.FLOAT, new long[] {-1, 3})));

    private static final ModelSignature ONE_INPUT = new ModelSignature(
            List.of(new TensorSpec("x", TensorKind.FLOAT, new long[] {-1, 2})),
            List.of(new TensorSpec("scores", TensorKind.FLOAT, new long[] {-1, 3})));

    @TempDir
    Path dir;

    private static OnnxMl.TensorProto.Builder tensor(String name, DataType type, long... dims) {
        OnnxMl.TensorProto.Builder builder = OnnxMl.TensorProto.newBuilder().setDataType(type.getNumber());
        if (name != null) {
            builder.setName(name);
        }
        for (long dim : dims) {
            builder.addDims(dim);
        }
        return builder;
    }

    private void write(String file, OnnxMl.TensorProto.Builder tensor) throws IOException {
        Path path = dir.resolve(file);
        Files.createDirectories(path.getParent());
        Files.write(path, tensor.build().toByteArray());
    }

    @Test
    void joinsSetsMatchingTensorsByNameOrPosition() throws IOException {
        // Set 0: x in raw_data, the unnamed second file feeds the second input by position.
        write("model/test_data_set_0/input_0.pb", tensor("x", DataType.FLOAT, 2, 2)
                .setRawData(ByteString.copyFrom(floats(1, 2, 3, 4))));
        write("model/test_data_set_0/input_1.pb", tensor(null, DataType.INT64, 2, 1)
                .addInt64Data(1).addInt64Data(0));
        write("model/test_data_set_0/output_0.pb", tensor("scores", DataType.FLOAT, 2, 3)
                .addFloatData(0.1f).addFloatData(0.7f).addFloatData(0.2f)
                .addFloatData(0.9f).addFloatData(0.05f).addFloatData(0.05f));
        // Set 1: names contradict positions, and names win; typed fields for inputs, raw_data for the output.
        write("model/test_data_set_1/input_0.pb", tensor("mask", DataType.INT64, 1, 1)
                .setRawData(ByteString.copyFrom(longs(1))));
        write("model/test_data_set_1/input_1.pb", tensor("x", DataType.FLOAT, 1, 2)
                .addFloatData(5).addFloatData(6));
        write("model/test_data_set_1/output_0.pb", tensor("scores", DataType.FLOAT, 1, 3)
                .setRawData(ByteString.copyFrom(floats(0.2f, 0.3f, 0.5f))));

        ValidationData data = ValidationDataReader.read(dir.resolve("model"), TWO_INPUTS, null);

        assertEquals(3, data.sampleCount());
        assertEquals(List.of("x", "mask"), List.copyOf(data.inputs().keySet()));
        assertEquals(Tensor.ofFloats(new long[] {3, 2}, 1, 2, 3, 4, 5, 6), data.inputs().get("x"));
        assertEquals(Tensor.ofLongs(new long[] {3, 1}, 1, 0, 1), data.inputs().get("mask"));
        assertNull(data.labels());
        assertArrayEquals(new float[][] {{0.1f, 0.7f, 0.2f}, {0.9f, 0.05f, 0.05f}, {0.2f, 0.3f, 0.5f}},
                data.referenceOutputs());
        assertArrayEquals(new long[] {1, 0, 2}, data.effectiveLabels());
        assertEquals(dir.resolve("model"), data.source());
    }

    @Test
    void integerOutputsAreLabelsAndSetsSortByNumber() throws IOException {
        for (int set : new int[] {10, 2, 0}) {
            write("t/test_data_set_" + set + "/input_0.pb", tensor("x", DataType.FLOAT, 1, 2)
                    .setRawData(ByteString.copyFrom(floats(set, -set))));
            write("t/test_data_set_" + set + "/output_0.pb", tensor("label", DataType.INT32, 1)
                    .addInt32Data(set));
        }

        ValidationData data = ValidationDataReader.read(dir.resolve("t"), ONE_INPUT, null);

        assertEquals(Tensor.ofFloats(new long[] {3, 2}, 0, 0, 2, -2, 10, -10), data.inputs().get("x"));
        assertArrayEquals(new long[] {0, 2, 10}, data.labels());
        assertNull(data.referenceOutputs());
    }

    @Test
    void mixedLabelAndReferenceSetsBecomeLabels() throws IOException {
        write("t/test_data_set_0/input_0.pb", tensor("x", DataType.FLOAT, 1, 2).addFloatData(1).addFloatData(2));
        write("t/test_data_set_0/output_0.pb", tensor("labels", DataType.INT64, 1).addInt64Data(2));
        write("t/test_data_set_1/input_0.pb", tensor("x", DataType.FLOAT, 2, 2)
                .addFloatData(3).addFloatData(4).addFloatData(5).addFloatData(6));
        write("t/test_data_set_1/output_0.pb", tensor("logits", DataType.FLOAT, 2, 3)
                .setRawData(ByteString.copyFrom(floats(0.9f, 0.1f, 0f, -1f, 3f, 2f))));

        ValidationData data = ValidationDataReader.read(dir.resolve("t"), ONE_INPUT, null);

        assertArrayEquals(new long[] {2, 0, 1}, data.labels());
        assertNull(data.referenceOutputs());
        assertEquals(Tensor.ofFloats(new long[] {3, 2}, 1, 2, 3, 4, 5, 6), data.inputs().get("x"));
    }

    @Test
    void readsASingleSetFolderWithoutOutputs() throws IOException {
        write("t/test_data_set_0/input_0.pb", tensor("", DataType.DOUBLE, 1, 2).addDoubleData(0.5).addDoubleData(1));
        ModelSignature doubles = new ModelSignature(
                List.of(new TensorSpec("x", TensorKind.DOUBLE, new long[] {1, 2})), List.of());

        ValidationData data = ValidationDataReader.read(dir.resolve("t/test_data_set_0"), doubles, null);

        assertEquals(Tensor.ofDoubles(new long[] {1, 2}, 0.5, 1.0), data.inputs().get("x"));
        assertNull(data.labels());
        assertNull(data.effectiveLabels());
    }

    @Test
    void reportsInconsistentTensors() throws IOException {
        write("t/test_data_set_0/input_0.pb", tensor("x", DataType.FLOAT, 2, 2)
                .setRawData(ByteString.copyFrom(floats(1, 2, 3))));
        Path file = dir.resolve("t/test_data_set_0/input_0.pb");

        String message = assertThrows(ValidationDataException.class,
                () -> ValidationDataReader.read(dir.resolve("t"), ONE_INPUT, null)).getMessage();

        assertEquals("validation data " + file + " is an inconsistent TensorProto: it has 12 bytes of raw_data "
                + "where dims [2, 2] of float32 need 16. Re-export it (onnx.numpy_helper.from_array).", message);
    }

    @Test
    void reportsTypedFieldCountMismatchAndShapeMismatch() throws IOException {
        write("a/test_data_set_0/input_0.pb", tensor("x", DataType.FLOAT, 1, 2).addFloatData(1));
        String typed = assertThrows(ValidationDataException.class,
                () -> ValidationDataReader.read(dir.resolve("a"), ONE_INPUT, null)).getMessage();
        assertTrue(typed.contains("it has 1 values in float_data where dims [1, 2] need 2"), typed);

        write("b/test_data_set_0/input_0.pb", tensor("x", DataType.FLOAT, 1, 3).addFloatData(1).addFloatData(2)
                .addFloatData(3));
        String shape = assertThrows(ValidationDataException.class,
                () -> ValidationDataReader.read(dir.resolve("b"), ONE_INPUT, null)).getMessage();
        assertEquals("validation data " + dir.resolve("b/test_data_set_0/input_0.pb") + " has shape [1, 3] but "
                + "model input 'x' expects [N, 2]. Export the validation set with the model's input shape.", shape);
    }

    @Test
    void requiresTheSameFilesInEverySet() throws IOException {
        for (int set = 0; set < 2; set++) {
            write("t/test_data_set_" + set + "/input_0.pb", tensor("x", DataType.FLOAT, 1, 2)
                    .addFloatData(1).addFloatData(2));
        }
        write("t/test_data_set_0/output_0.pb", tensor("y", DataType.INT64, 1).addInt64Data(1));

        String message = assertThrows(ValidationDataException.class,
                () -> ValidationDataReader.read(dir.resolve("t"), ONE_INPUT, null)).getMessage();

        assertEquals("validation data " + dir.resolve("t") + ": test_data_set_0 has output_0.pb but "
                + "test_data_set_1 has none. Give every test_data_set the same files.", message);
    }

    @Test
    void reportsAMissingInputAndAFileThatIsNoTensor() throws IOException {
        write("t/test_data_set_0/input_0.pb", tensor("x", DataType.FLOAT, 1, 2).addFloatData(1).addFloatData(2));
        String missing = assertThrows(ValidationDataException.class,
                () -> ValidationDataReader.read(dir.resolve("t"), TWO_INPUTS, null)).getMessage();
        assertEquals("validation data " + dir.resolve("t/test_data_set_0") + " has no tensor for model input "
                + "'mask'. Add input_N.pb files for every model input ('x', 'mask').", missing);

        Path garbage = dir.resolve("g/test_data_set_0/input_0.pb");
        Files.createDirectories(garbage.getParent());
        Files.write(garbage, new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff});
        String invalid = assertThrows(ValidationDataException.class,
                () -> ValidationDataReader.read(dir.resolve("g"), ONE_INPUT, null)).getMessage();
        assertTrue(invalid.startsWith("validation data " + garbage + " is not a serialized ONNX TensorProto"),
                invalid);
    }
}
