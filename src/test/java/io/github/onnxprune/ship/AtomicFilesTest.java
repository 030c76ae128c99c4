package io.github.onnxprune.ship;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {

    @TempDir
    Path folder;

    @Test
    void aReplacedFileKeepsItsPermissions() throws IOException {
        Path target = folder.resolve("app.jar");
        Files.writeString(target, "old");
        Set<PosixFilePermission> executable = PosixFilePermissions.fromString("rwxr-x---");
        Files.setPosixFilePermissions(target, executable);

        AtomicFiles.write(target, bytes("new"));

        assertArrayEquals(bytes("new"), Files.readAllBytes(target));
        assertEquals(executable, Files.getPosixFilePermissions(target));
    }

    @Test
    void aBufferIsWrittenWholeWhateverItsPosition() throws IOException {
        Path target = folder.resolve("model.onnx");
        java.nio.ByteBuffer content = java.nio.ByteBuffer.allocateDirect(100_000);
        for (int i = 0; i < 100_000; i++) {
            content.put((byte) (i % 251));
        }

        AtomicFiles.write(target, content);

        assertArrayEquals(io.github.onnxprune.onnx.ModelBytes.toArray(content), Files.readAllBytes(target));
    }

    @Test
    void aFileHoldsABufferOnlyWhenEveryByteIsTheSame() throws IOException {
        byte[] bytes = new byte[150_001];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i % 253);
        }
        Path file = Files.write(folder.resolve("model.onnx"), bytes);
        byte[] lastDiffers = bytes.clone();
        lastDiffers[bytes.length - 1] ^= 1;
        byte[] firstDiffers = bytes.clone();
        firstDiffers[0] ^= 1;

        assertTrue(AtomicFiles.holds(file, java.nio.ByteBuffer.wrap(bytes)));
        assertFalse(AtomicFiles.holds(file, java.nio.ByteBuffer.wrap(lastDiffers)));
        assertFalse(AtomicFiles.holds(file, java.nio.ByteBuffer.wrap(firstDiffers)));
        assertFalse(AtomicFiles.holds(file, java.nio.ByteBuffer.wrap(java.util.Arrays.copyOf(bytes, 150_000))));
        assertFalse(AtomicFiles.holds(folder.resolve("missing.onnx"), java.nio.ByteBuffer.wrap(bytes)));
    }

    @Test
    void aStreamHoldsABufferOnlyWhenItEndsWithIt() throws IOException {
        byte[] bytes = bytes("the same bytes");
        java.nio.ByteBuffer shorter = java.nio.ByteBuffer.wrap(bytes("the same"));

        assertTrue(AtomicFiles.sameContent(new java.io.ByteArrayInputStream(bytes), java.nio.ByteBuffer.wrap(bytes)));
        assertFalse(AtomicFiles.sameContent(new java.io.ByteArrayInputStream(bytes), shorter));
        assertFalse(AtomicFiles.sameContent(new java.io.ByteArrayInputStream(bytes("the same")),
                java.nio.ByteBuffer.wrap(bytes)));
    }

    @Test
    void aNewFileGetsThePermissionsOfAnyNewFileNotOwnerOnly() throws IOException {
        Path reference = Files.createFile(folder.resolve("reference"));
        Path target = folder.resolve("report.json");

        AtomicFiles.write(target, bytes("{}"));

        assertEquals(Files.getPosixFilePermissions(reference), Files.getPosixFilePermissions(target));
        // What Files.createTempFile gives, and the old code shipped: only readable by its owner.
        assertNotEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(target));
        assertEquals(List.of(reference, target), files());
    }

    @Test
    void aWriteThatFailsHalfWayLeavesTheTargetAsItWasAndNoTemporaryFile() throws IOException {
        Path target = folder.resolve("report.json");
        Files.writeString(target, "previous");
        // An output stream that fails the way a full disk does, after part of the content went out.
        IOException error = assertThrows(IOException.class, () -> AtomicFiles.write(target, out -> {
            out.write(new byte[100_000]);
            throw new IOException("No space left on device");
        }));

        assertTrue(error.getMessage().startsWith("Cannot write " + target + " (through report.json.onnx-prune-"),
                error.getMessage());
        assertTrue(error.getMessage().endsWith(".tmp): No space left on device"), error.getMessage());
        assertEquals("previous", Files.readString(target));
        assertEquals(List.of(target), files());
    }

    @Test
    void staleTemporaryFilesAreRecognisedAndOnlyThoseAreDeleted() throws IOException {
        Path models = Files.createDirectories(folder.resolve("models/models"));
        Path stale = Files.writeString(models.resolve("x.onnx.onnx-prune-0123456789abcdef.tmp"), "half");
        Path staleJar = Files.writeString(folder.resolve("app.jar.onnx-prune-fedcba9876543210.tmp"), "half");
        Path other = Files.writeString(folder.resolve("x.onnx-prune-notours.tmp"), "keep");
        Path model = Files.writeString(models.resolve("x.onnx"), "keep");

        assertEquals(List.of(staleJar), AtomicFiles.deleteStale(folder, false));
        assertEquals(List.of(stale), AtomicFiles.deleteStale(folder, true));

        assertEquals(List.of(folder.resolve("models"), models, model, other), files());
    }

    @Test
    void aFileSystemFailureIsDescribedByItsFileAndReason() {
        assertEquals("/t/onnx-prune/.lock: Read-only file system", AtomicFiles.describe(
                new FileSystemException("/t/onnx-prune/.lock", null, "Read-only file system")));
        assertEquals("/t/onnx-prune/.lock: permission denied",
                AtomicFiles.describe(new AccessDeniedException("/t/onnx-prune/.lock")));
        assertEquals("No space left on device", AtomicFiles.describe(new IOException("No space left on device")));
    }

    private List<Path> files() throws IOException {
        try (Stream<Path> walk = Files.walk(folder)) {
            return walk.filter(p -> !p.equals(folder)).sorted().toList();
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
