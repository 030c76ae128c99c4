package io.github.onnxprune.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.onnxprune.ship.FileStamp;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelDigestsTest {

    @Test
    void aDigestIsTheSha256OfTheWholeBufferComputedOnce() {
        ModelDigests digests = new ModelDigests(KnownDigests.none());
        ByteBuffer bytes = ByteBuffer.wrap("abc".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).position(2);
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", digests.of(bytes));
        digests.remember(ByteBuffer.allocate(1), "known");
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", digests.of(bytes));
    }

    @Test
    void aModelPatchedFromItsFileContinuesFromTheFingerprintsDigestOfIt(@TempDir Path folder) throws Exception {
        byte[] original = new byte[3 << 20];
        new java.util.Random(3).nextBytes(original);
        Path file = Files.write(folder.resolve("model.onnx"), original);
        // Settled before it is hashed, as a project's model is, so that its stamp is trusted.
        Thread.sleep(FileStamp.SETTLED_NANOS / 1_000_000 + 100);
        KnownDigests known = KnownDigests.none();
        assertEquals(RunFingerprint.sha256(original), known.sha256(file));
        byte[] patched = Arrays.copyOf(original, original.length + 10);
        patched[(5 << 20) / 2] ^= 1;
        ModelDigests digests = new ModelDigests(known);
        ByteBuffer bytes = ByteBuffer.wrap(patched);
        digests.continueFromOriginal(bytes, file, (5 << 20) / 2);
        assertEquals(RunFingerprint.sha256(patched), digests.of(bytes));

        // The prefix is taken on trust from the state at 2 MiB: bytes before it are not read again.
        byte[] claimed = patched.clone();
        claimed[1 << 20] ^= 1;
        ByteBuffer claimedBytes = ByteBuffer.wrap(claimed);
        digests.continueFromOriginal(claimedBytes, file, (5 << 20) / 2);
        assertEquals(RunFingerprint.sha256(patched), digests.of(claimedBytes));

        // Once the file changed (its stamp with it), nothing is continued from what it held.
        Files.write(file, claimed);
        ModelDigests afterChange = new ModelDigests(known);
        afterChange.continueFromOriginal(claimedBytes, file, (5 << 20) / 2);
        assertEquals(RunFingerprint.sha256(claimed), afterChange.of(claimedBytes));
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
        ModelDigests digests = new ModelDigests(KnownDigests.none());
        assertThrows(InternalError.class, () -> digests.of(mapped));
    }
}
