package io.github.onnxprune.ship;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Faults suite: a real JVM killed (SIGKILL) in the middle of rewriting a jar. */
class KilledRewriteTest {

    @TempDir
    Path folder;

    @Test
    void aBuildKilledDuringTheJarRewriteLeavesTheJarIntactAndTheNextRunRemovesItsTemporaryFile() throws Exception {
        Path jar = folder.resolve("app.jar");
        writeSlowToRewriteJar(jar);
        byte[] before = Files.readAllBytes(jar);

        Process child = ChildProcess.start(folder.resolve("child.log"), "rewrite", jar.toString(), "models/m.onnx");
        Path temporary = null;
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (temporary == null) {
            if (!child.isAlive()) {
                fail("the rewrite ended before it could be killed: " + Files.readString(folder.resolve("child.log")));
            }
            if (System.nanoTime() > deadline) {
                child.destroyForcibly();
                fail("no temporary file appeared");
            }
            temporary = halfWrittenTemporary().orElse(null);
            Thread.sleep(1);
        }
        child.destroyForcibly().waitFor();

        assertNotEquals(0, child.exitValue());
        assertTrue(Files.size(temporary) > 0);
        assertArrayEquals(before, Files.readAllBytes(jar), "the jar is byte-identical after the kill");
        // The next run removes what the killed one left, then rewrites normally.
        // The jar's temporary file and, when the kill came while a model entry was being deflated, its spill.
        List<Path> left;
        try (Stream<Path> files = Files.list(folder)) {
            left = files.filter(AtomicFiles::isTemporary).sorted().toList();
        }
        assertTrue(left.contains(temporary), left.toString());
        assertEquals(left, AtomicFiles.deleteStale(folder, false).stream().sorted().toList());
        assertTrue(JarRewriter.rewrite(jar, jar,
                Map.of("models/m.onnx", ByteBuffer.wrap("pruned".getBytes(StandardCharsets.UTF_8)))));
        try (Stream<Path> files = Files.list(folder)) {
            assertFalse(files.anyMatch(AtomicFiles::isTemporary), "no temporary file stays after a normal rewrite");
        }
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            assertEquals("pruned", new String(zip.getInputStream(zip.getEntry("models/m.onnx")).readAllBytes(),
                    StandardCharsets.UTF_8));
            assertEquals(65, zip.size());
        }
    }

    /** The jar's own temporary file once it holds data (not the model entry's spilled stream, which lives briefly). */
    private Optional<Path> halfWrittenTemporary() throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(AtomicFiles::isTemporary)
                    .filter(file -> file.getFileName().toString().startsWith("app.jar.onnx-prune-")).filter(file -> {
                try {
                    return Files.size(file) > 0;
                } catch (IOException e) {
                    return false;
                }
            }).findFirst();
        }
    }

    /** 64 MiB of random bytes stored uncompressed but marked deflated: the rewrite deflates them, about a second. */
    private static void writeSlowToRewriteJar(Path jar) throws IOException {
        Random random = new Random(8);
        byte[] block = new byte[1 << 20];
        try (OutputStream file = Files.newOutputStream(jar); ZipOutputStream out = new ZipOutputStream(file)) {
            out.setLevel(Deflater.NO_COMPRESSION);
            out.putNextEntry(new ZipEntry("models/m.onnx"));
            out.write("original".getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
            for (int i = 0; i < 64; i++) {
                random.nextBytes(block);
                out.putNextEntry(new ZipEntry("data/" + i + ".bin"));
                out.write(block);
                out.closeEntry();
            }
        }
    }
}
