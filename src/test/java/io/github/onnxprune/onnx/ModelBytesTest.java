package io.github.onnxprune.onnx;

import static io.github.onnxprune.Fixtures.fixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelBytesTest {

    private static final Path MODEL = fixture("digits-mlp/model.onnx");

    @TempDir
    Path folder;

    @Test
    void aMappedFileHoldsTheFilesBytesReadOnlyAndOutsideTheHeap() throws IOException {
        ByteBuffer mapped = ModelBytes.map(MODEL);

        assertTrue(mapped.isDirect());
        assertTrue(mapped.isReadOnly());
        assertEquals(0, mapped.position());
        assertArrayEquals(Files.readAllBytes(MODEL), ModelBytes.toArray(mapped));
        assertThrows(ReadOnlyBufferException.class, () -> mapped.put(0, (byte) 1));
    }

    @Test
    void anEmptyFileMapsToAnEmptyBuffer() throws IOException {
        Path empty = Files.createFile(folder.resolve("empty.onnx"));

        assertEquals(0, ModelBytes.map(empty).limit());
    }

    @Test
    void serializingGivesExactlyTheBytesOfToByteArrayOutsideTheHeap() {
        ModelProto model = OnnxModelReader.read(MODEL);
        // Half parsed from the mapped file (views), half new tensors on the heap, as a pruned model is.
        TensorProto first = model.getGraph().getInitializer(0);
        ModelProto edited = ModelGraph.of(model).withConstants(java.util.Map.of(first.getName(),
                FloatTensor.of(first).withZeros(new int[] {0, 1, 2})));

        ByteBuffer serialized = ModelBytes.serialize(edited);

        assertTrue(serialized.isDirect());
        assertTrue(serialized.isReadOnly());
        assertArrayEquals(edited.toByteArray(), ModelBytes.toArray(serialized));
        assertFalse(java.util.Arrays.equals(model.toByteArray(), ModelBytes.toArray(serialized)));
    }

    @Test
    void writingToAStreamCopiesEveryByteInPiecesWhateverThePosition() throws IOException {
        byte[] bytes = new byte[200_003];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 7 + i / 1000);
        }
        ByteBuffer buffer = ByteBuffer.allocateDirect(bytes.length).put(bytes);
        // Left at its end by the put: the whole buffer is still what is written.
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        ModelBytes.writeTo(buffer, out);

        assertArrayEquals(bytes, out.toByteArray());
        assertEquals(bytes.length, buffer.position(), "the caller's position is left alone");
    }

    @Test
    void theCrcIsThatOfTheWholeBuffer() {
        byte[] bytes = "a model's bytes".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        CRC32 crc = new CRC32();
        crc.update(bytes);
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        buffer.position(5);

        assertEquals(crc.getValue(), ModelBytes.crc32(buffer));
        assertEquals(5, buffer.position());
    }

    @Test
    void aHeapCopyIsACopy() {
        ByteBuffer buffer = ByteBuffer.wrap(new byte[] {1, 2, 3});

        byte[] copy = ModelBytes.toArray(buffer);

        assertArrayEquals(new byte[] {1, 2, 3}, copy);
        assertNotSame(buffer.array(), copy);
    }
}
