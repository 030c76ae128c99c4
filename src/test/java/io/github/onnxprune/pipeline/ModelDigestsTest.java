package io.github.onnxprune.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelDigestsTest {

    @Test
    void aDigestIsTheSha256OfTheWholeBufferComputedOnce() {
        ModelDigests digests = new ModelDigests();
        ByteBuffer bytes = ByteBuffer.wrap("abc".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).position(2);
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", digests.of(bytes));
        digests.remember(ByteBuffer.allocate(1), "known");
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", digests.of(bytes));
    }

    @Test
    void anErrorWhileHashingIsRethrownAsItselfNotWrapped(@TempDir Path folder) throws IOException {
        // A mapped model file truncated under the build: reading the mapping raises an InternalError, which the
        // run must see as the Error it is (as an OutOfMemoryError must reach the heap message), not wrapped.
        Path file = folder.resolve("model.onnx");
        Files.write(file, new byte[1 << 16]);
        MappedByteBuffer mapped;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, 1 << 16);
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(0);
        }
        ModelDigests digests = new ModelDigests();
        assertThrows(InternalError.class, () -> digests.of(mapped));
    }
}
