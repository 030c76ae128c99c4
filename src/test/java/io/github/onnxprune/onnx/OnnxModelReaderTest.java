package io.github.onnxprune.onnx;

import static io.github.onnxprune.Fixtures.fixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxModelReaderTest {

    private static final Path MODEL = fixture("digits-mlp/model.onnx");

    @TempDir
    Path folder;

    /** The largest raw_data initializer, whose bytes dominate the model's size. */
    private static TensorProto largest(ModelProto model) {
        return model.getGraph().getInitializerList().stream()
                .max(java.util.Comparator.comparingInt(t -> t.getRawData().size())).orElseThrow();
    }

    @Test
    void tensorDataParsedFromBytesIsAViewOfThemNotACopy() throws IOException {
        byte[] bytes = Files.readAllBytes(MODEL);
        ModelProto model = OnnxModelReader.parse(MODEL, bytes);
        TensorProto tensor = largest(model);
        assertTrue(tensor.getRawData().size() > 1000);
        double before = FloatTensor.of(tensor).values()[0];
        int offset = indexOf(bytes, tensor.getRawData().toByteArray());

        // Changing the parsed bytes changes the parsed tensor: proof that no copy was made.
        bytes[offset] ^= (byte) 0x40;

        assertNotEquals(before, FloatTensor.of(tensor).values()[0]);
    }

    @Test
    void aModelReadFromItsFileKeepsItsTensorsInTheMappedFile() {
        ModelProto model = OnnxModelReader.read(MODEL);

        assertTrue(largest(model).getRawData().size() > 1000);
        for (TensorProto tensor : model.getGraph().getInitializerList()) {
            if (tensor.getRawData().size() > 0) {
                assertTrue(tensor.getRawData().asReadOnlyByteBuffer().isDirect(), tensor.getName()
                        + " was copied onto the heap");
            }
        }
    }

    @Test
    void aModelParsedInPlaceEqualsAndSerializesAsOneParsedFromACopy() throws IOException {
        byte[] bytes = Files.readAllBytes(MODEL);

        ModelProto inPlace = OnnxModelReader.read(MODEL);

        assertEquals(ModelProto.parseFrom(bytes), inPlace);
        assertArrayEquals(ModelProto.parseFrom(bytes).toByteArray(), inPlace.toByteArray());
    }

    @Test
    void tensorValuesReadFromAModelParsedInPlaceAreThoseOfACopy() throws IOException {
        byte[] bytes = Files.readAllBytes(MODEL);
        ModelProto copied = ModelProto.parseFrom(bytes);

        for (ModelProto inPlace : java.util.List.of(OnnxModelReader.parse(MODEL, bytes.clone()),
                OnnxModelReader.read(MODEL))) {
            for (int i = 0; i < copied.getGraph().getInitializerCount(); i++) {
                TensorProto expected = copied.getGraph().getInitializer(i);
                if (FloatTensor.isSupported(expected)) {
                    // A view starts inside the model's bytes: every reader must count from the tensor's own start.
                    assertArrayEquals(FloatTensor.of(expected).values(),
                            FloatTensor.of(inPlace.getGraph().getInitializer(i)).values(), expected.getName());
                }
            }
        }
    }

    @Test
    void anEmptyFileIsRefusedByName() throws IOException {
        Path empty = Files.createFile(folder.resolve("empty.onnx"));

        InvalidModelException error = assertThrows(InvalidModelException.class, () -> OnnxModelReader.read(empty));

        assertTrue(error.getMessage().contains("empty.onnx"), error.getMessage());
        assertTrue(error.getMessage().contains("the file is empty"), error.getMessage());
    }

    @Test
    void aGitLfsPointerOrOtherTextIsRefusedSayingWhatItIs() throws IOException {
        Path pointer = folder.resolve("pointer.onnx");
        Files.writeString(pointer, "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff"
                + "69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 90405214\n");
        Path html = folder.resolve("page.onnx");
        Files.writeString(html, "<!DOCTYPE html>\n<html><head><title>Sign in</title></head></html>\n");

        assertEquals("ONNX model " + pointer + ": the file is a Git LFS pointer, not the model: this checkout holds"
                + " only the pointer the repository keeps in its place. Install Git LFS and run git lfs pull (in CI,"
                + " check out with LFS enabled), then build again.", assertThrows(InvalidModelException.class,
                        () -> OnnxModelReader.read(pointer)).getMessage());
        assertEquals("ONNX model " + html + ": the file is text, not an ONNX model (it begins '<!DOCTYPE html>')."
                + " Replace it with the exported .onnx file.", assertThrows(InvalidModelException.class,
                        () -> OnnxModelReader.read(html)).getMessage());
    }

    @Test
    void aMissingFileIsRefusedByName() {
        Path missing = folder.resolve("missing.onnx");

        InvalidModelException error = assertThrows(InvalidModelException.class,
                () -> OnnxModelReader.read(missing));

        assertTrue(error.getMessage().contains("missing.onnx"), error.getMessage());
        assertTrue(error.getMessage().contains("cannot be read"), error.getMessage());
    }

    @Test
    void aTruncatedMappedModelIsRefusedByName() throws IOException {
        byte[] bytes = Files.readAllBytes(MODEL);
        Path cut = folder.resolve("cut.onnx");
        Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length / 2));

        InvalidModelException error = assertThrows(InvalidModelException.class, () -> OnnxModelReader.read(cut));

        assertTrue(error.getMessage().contains("cut.onnx"), error.getMessage());
    }

    @Test
    void aDirectBufferIsParsedInPlaceFromItsStartWhateverItsPosition() throws IOException {
        byte[] bytes = Files.readAllBytes(MODEL);
        ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length).put(bytes);

        ModelProto model = OnnxModelReader.parse(MODEL, direct);

        assertEquals(ModelProto.parseFrom(bytes), model);
        assertTrue(largest(model).getRawData().asReadOnlyByteBuffer().isDirect());
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }

    @Test
    void thePreloadedModelPassesEveryCheckAndItsThreadEndsOnItsOwn() throws Exception {
        // A model the checks refused would leave the validator's classes unloaded: the head start would be lost.
        ModelProto small = OnnxModelReader.readSmallModel();
        assertEquals("MatMul", small.getGraph().getNode(0).getOpType());
        assertEquals(4, small.getGraph().getInitializer(0).getRawData().size());
        assertEquals("batch", small.getGraph().getInput(0).getType().getTensorType().getShape().getDim(0)
                .getDimParam());
        Thread preload = OnnxModelReader.preload();
        assertTrue(preload.isDaemon(), "a build that ends meanwhile must not wait for it");
        preload.join(60_000);
        assertEquals(Thread.State.TERMINATED, preload.getState());
    }
}
