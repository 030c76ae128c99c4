package io.github.onnxprune.ship;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.onnxprune.report.FileSizes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarInputStream;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JarRewriterTest {

    private static final long TIME = 1_700_000_000_000L;

    @TempDir
    Path folder;

    @Test
    void anEntryADonorHoldsIsCopiedAsStoredThereAndOneWithOtherBytesIsDeflatedAgain() throws IOException {
        Path jar = jar(folder.resolve("app.jar"));
        byte[] pruned = new byte[200_000];
        for (int i = 0; i < pruned.length; i++) {
            pruned[i] = (byte) (i % 7 == 0 ? i * 31 : 0);
        }
        // Level 1: a stream neither the default level nor Huffman coding alone would write.
        Path donor = folder.resolve("donor.jar");
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(donor))) {
            out.setLevel(1);
            out.putNextEntry(new ZipEntry("models/m.onnx"));
            out.write(pruned);
            out.closeEntry();
        }

        assertTrue(JarRewriter.rewrite(jar, jar, Map.of("models/m.onnx", ByteBuffer.wrap(pruned)),
                List.of(folder.resolve("missing.jar"), donor)));

        assertArrayEquals(rawEntry(donor, "models/m.onnx"), rawEntry(jar, "models/m.onnx"));
        assertArrayEquals(pruned, JarRewriter.read(jar, "models/m.onnx"));
        assertArrayEquals(bytes("kept as stored"), JarRewriter.read(jar, "stored.txt"));

        byte[] other = pruned.clone();
        other[100] ^= 1;
        assertTrue(JarRewriter.rewrite(jar, jar, Map.of("models/m.onnx", ByteBuffer.wrap(other)), List.of(donor)));
        ByteArrayOutputStream deflated = new ByteArrayOutputStream();
        ChunkedDeflate.deflate(ByteBuffer.wrap(other), 1, deflated);
        assertArrayEquals(deflated.toByteArray(), rawEntry(jar, "models/m.onnx"));
        assertArrayEquals(other, JarRewriter.read(jar, "models/m.onnx"));
    }

    private static byte[] rawEntry(Path zip, String name) throws IOException {
        try (org.apache.commons.compress.archivers.zip.ZipFile file =
                org.apache.commons.compress.archivers.zip.ZipFile.builder().setPath(zip).get();
                java.io.InputStream in = file.getRawInputStream(file.getEntry(name))) {
            return in.readAllBytes();
        }
    }

    @Test
    void replacesOneEntryAndKeepsOrderTimesAndMethodsOfAll() throws IOException {
        Path jar = jar(folder.resolve("app.jar"));
        assertTrue(JarRewriter.rewrite(jar, jar, Map.of("models/m.onnx", ByteBuffer.wrap(bytes("pruned")))));
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            List<ZipEntry> entries = Collections.list(zip.entries()).stream().map(e -> (ZipEntry) e).toList();
            assertEquals(List.of("META-INF/MANIFEST.MF", "models/m.onnx", "stored.txt"),
                    entries.stream().map(ZipEntry::getName).toList());
            for (ZipEntry entry : entries) {
                assertEquals(new ZipEntry(entry).getTime(), entry.getTime());
                assertEquals(TIME / 2000 * 2000, entry.getTime(), entry.getName());
            }
            assertArrayEquals(bytes("pruned"), zip.getInputStream(zip.getEntry("models/m.onnx")).readAllBytes());
            assertArrayEquals(bytes("Manifest-Version: 1.0\n"),
                    zip.getInputStream(zip.getEntry("META-INF/MANIFEST.MF")).readAllBytes());
            assertEquals(ZipEntry.STORED, zip.getEntry("stored.txt").getMethod());
            assertArrayEquals(bytes("kept as stored"), zip.getInputStream(zip.getEntry("stored.txt")).readAllBytes());
        }
        List<Path> left = new ArrayList<>();
        try (var files = Files.list(folder)) {
            files.forEach(left::add);
        }
        assertEquals(List.of(jar), left, "no temporary file is left behind");
    }

    @Test
    void theCompressedSizeOfARewrittenEntryIsItsDeflatedSizeAndOnlyForTheBytesItHolds() throws IOException {
        Path jar = jar(folder.resolve("app.jar"));
        byte[] pruned = new byte[200_000];
        for (int i = 0; i < pruned.length; i++) {
            pruned[i] = (byte) (i % 7 == 0 ? i * 31 : 0);
        }
        JarRewriter.rewrite(jar, jar, Map.of("models/m.onnx", ByteBuffer.wrap(pruned)));
        assertEquals(FileSizes.deflatedSize(ByteBuffer.wrap(pruned)),
                JarRewriter.compressedSize(jar, "models/m.onnx", ByteBuffer.wrap(pruned)).getAsLong());
        byte[] other = pruned.clone();
        other[5] = 1;
        assertTrue(JarRewriter.compressedSize(jar, "models/m.onnx", ByteBuffer.wrap(other)).isEmpty());
        assertTrue(JarRewriter.compressedSize(jar, "models/none.onnx", ByteBuffer.wrap(pruned)).isEmpty());
        assertTrue(JarRewriter.compressedSize(jar, "stored.txt", ByteBuffer.wrap(bytes("kept as stored"))).isEmpty());
    }

    @Test
    void aLargeModelDeflatedOnSeveralThreadsIsReadByJarFileWithItsCrcAndSizes() throws IOException {
        Path jar = jar(folder.resolve("app.jar"));
        byte[] model = ChunkedDeflateTest.mixed(2 * ChunkedDeflate.CHUNK + 5_000);
        JarRewriter.rewrite(jar, jar, Map.of("models/m.onnx", ByteBuffer.wrap(model)));
        CRC32 crc = new CRC32();
        crc.update(model);
        byte[] expected = ChunkedDeflateTest.stream(model, 1);
        try (JarFile read = new JarFile(jar.toFile(), true)) {
            JarEntry entry = read.getJarEntry("models/m.onnx");
            assertEquals(ZipEntry.DEFLATED, entry.getMethod());
            assertEquals(model.length, entry.getSize());
            assertEquals(crc.getValue(), entry.getCrc());
            assertEquals(expected.length, entry.getCompressedSize());
            // JarFile's stream checks the CRC-32 and the size against the entry's at its end.
            assertArrayEquals(model, read.getInputStream(entry).readAllBytes());
            assertEquals("1.0", read.getManifest().getMainAttributes().getValue("Manifest-Version"));
        }
        // Read as a stream too (the local headers, as java -jar's class loaders and unzip do not need them).
        try (JarInputStream in = new JarInputStream(Files.newInputStream(jar))) {
            List<String> names = new ArrayList<>();
            for (JarEntry entry = in.getNextJarEntry(); entry != null; entry = in.getNextJarEntry()) {
                names.add(entry.getName());
                if (entry.getName().equals("models/m.onnx")) {
                    assertArrayEquals(model, in.readAllBytes());
                }
            }
            assertEquals(List.of("models/m.onnx", "stored.txt"), names, "the manifest is read apart");
        }
    }

    @Test
    void entriesNotReplacedAreCopiedWithTheirCompressedBytes() throws IOException {
        // Level 1 and a stored entry: streams a re-deflate at the default level would not give back.
        Path jar = folder.resolve("level1.jar");
        byte[] classes = ChunkedDeflateTest.mixed(300_000);
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(jar))) {
            out.setLevel(1);
            put(out, "com/example/App.class", classes, false);
            put(out, "models/m.onnx", bytes("original model"), false);
            put(out, "stored.txt", bytes("kept as stored"), true);
        }
        byte[] before = rawEntry(jar, "com/example/App.class");

        JarRewriter.rewrite(jar, jar, Map.of("models/m.onnx", ByteBuffer.wrap(bytes("pruned"))));

        assertArrayEquals(before, rawEntry(jar, "com/example/App.class"));
        assertArrayEquals(bytes("kept as stored"), rawEntry(jar, "stored.txt"));
        try (JarFile read = new JarFile(jar.toFile(), true)) {
            assertArrayEquals(classes, read.getInputStream(read.getEntry("com/example/App.class")).readAllBytes());
            assertEquals(ZipEntry.STORED, read.getEntry("stored.txt").getMethod());
        }
    }

    @Test
    void theOriginalPutBackFromADonorGivesTheJarToolsFileByteForByte() throws IOException {
        // As jar:jar writes through commons-compress (plexus-archiver adds entries deflated beforehand as raw
        // entries): Unix modes, a directory entry, deflated and stored entries, sizes in the local headers.
        Path built = folder.resolve("built.jar");
        byte[] model = ChunkedDeflateTest.mixed(400_000);
        try (org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream out =
                new org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream(built)) {
            for (String name : List.of("models/", "models/m.onnx", "stored.txt")) {
                org.apache.commons.compress.archivers.zip.ZipArchiveEntry entry =
                        new org.apache.commons.compress.archivers.zip.ZipArchiveEntry(name);
                entry.setTime(TIME);
                entry.setUnixMode(name.endsWith("/") ? 040755 : 0100644);
                byte[] content = name.equals("models/m.onnx") ? model : name.endsWith("/") ? new byte[0]
                        : bytes("kept as stored");
                CRC32 crc = new CRC32();
                crc.update(content);
                entry.setSize(content.length);
                entry.setCrc(crc.getValue());
                if (name.equals("models/m.onnx")) {
                    java.util.zip.Deflater deflater = new java.util.zip.Deflater(6, true);
                    deflater.setInput(content);
                    deflater.finish();
                    byte[] deflated = new byte[content.length + 1024];
                    int length = 0;
                    while (!deflater.finished()) {
                        length += deflater.deflate(deflated, length, deflated.length - length);
                    }
                    deflater.end();
                    entry.setMethod(ZipEntry.DEFLATED);
                    entry.setCompressedSize(length);
                    out.addRawArchiveEntry(entry, new java.io.ByteArrayInputStream(deflated, 0, length));
                    continue;
                }
                entry.setMethod(ZipEntry.STORED);
                out.putArchiveEntry(entry);
                out.write(content);
                out.closeArchiveEntry();
            }
        }
        Path jar = folder.resolve("app.jar");
        Files.copy(built, jar);

        JarRewriter.rewrite(jar, jar, Map.of("models/m.onnx", ByteBuffer.wrap(new byte[1000])));
        JarRewriter.rewrite(jar, jar, Map.of("models/m.onnx", ByteBuffer.wrap(model)), List.of(built));

        assertArrayEquals(Files.readAllBytes(built), Files.readAllBytes(jar));
    }

    @Test
    void aPrunedModelDeflatedInRunsIsReadByJarFileAndUnzip() throws Exception {
        Path jar = jar(folder.resolve("app.jar"));
        byte[] model = Arrays.copyOf(ChunkedDeflateTest.mixed(ChunkedDeflate.CHUNK), 4 * ChunkedDeflate.CHUNK + 999);
        byte[] pruned = RunLengthDeflateTest.halfPruned(3 * ChunkedDeflate.CHUNK, new java.util.Random(21));
        System.arraycopy(pruned, 0, model, ChunkedDeflate.CHUNK, pruned.length);
        List<ChunkedDeflate.Method> methods = new ArrayList<>();
        for (int index = 0; index < 4; index++) {
            methods.add(ChunkedDeflate.method(ChunkedDeflate.chunkOf(ByteBuffer.wrap(model), index)));
        }
        assertEquals(List.of(ChunkedDeflate.Method.LZ77, ChunkedDeflate.Method.RUNS, ChunkedDeflate.Method.RUNS,
                ChunkedDeflate.Method.RUNS), methods, "the last chunk's 999 zeros take whichever");

        JarRewriter.rewrite(jar, jar, Map.of("models/m.onnx", ByteBuffer.wrap(model)));

        try (JarFile read = new JarFile(jar.toFile(), true)) {
            assertArrayEquals(model, read.getInputStream(read.getEntry("models/m.onnx")).readAllBytes());
        }
        Path unzip = Path.of("/usr/bin/unzip");
        if (Files.isExecutable(unzip)) {
            Process test = new ProcessBuilder(unzip.toString(), "-t", jar.toString()).redirectErrorStream(true)
                    .start();
            String output = new String(test.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, test.waitFor(), output);
            assertTrue(output.contains("testing: models/m.onnx") && output.contains("No errors detected"), output);
        }
    }

    @Test
    void aSecondRewriteWithTheSameBytesChangesNothing() throws IOException {
        Path jar = jar(folder.resolve("app.jar"));
        JarRewriter.rewrite(jar, jar, Map.of("models/m.onnx", ByteBuffer.wrap(bytes("pruned"))));
        byte[] once = Files.readAllBytes(jar);
        assertFalse(JarRewriter.rewrite(jar, jar, Map.of("models/m.onnx", ByteBuffer.wrap(bytes("pruned")))));
        assertArrayEquals(once, Files.readAllBytes(jar));
    }

    @Test
    void writingTheSameReplacementTwiceGivesTheSameBytes() throws IOException {
        Path jar = jar(folder.resolve("app.jar"));
        JarRewriter.rewrite(jar, folder.resolve("a.jar"), Map.of("models/m.onnx", ByteBuffer.wrap(bytes("pruned"))));
        JarRewriter.rewrite(jar, folder.resolve("b.jar"), Map.of("models/m.onnx", ByteBuffer.wrap(bytes("pruned"))));
        assertArrayEquals(Files.readAllBytes(folder.resolve("a.jar")), Files.readAllBytes(folder.resolve("b.jar")));
    }

    @Test
    void aMissingEntryIsAnErrorAndTheJarIsUntouched() throws IOException {
        Path jar = jar(folder.resolve("app.jar"));
        byte[] before = Files.readAllBytes(jar);
        IOException error = assertThrows(IOException.class,
                () -> JarRewriter.rewrite(jar, jar, Map.of("models/other.onnx", ByteBuffer.wrap(bytes("x")))));
        assertEquals("jar " + jar + " has no entries [models/other.onnx]", error.getMessage());
        assertArrayEquals(before, Files.readAllBytes(jar));
    }

    @Test
    void aRewrittenJarKeepsItsPermissionsAndANewCopyTakesTheOriginals() throws IOException {
        Path jar = jar(folder.resolve("app.jar"));
        Set<PosixFilePermission> executable = PosixFilePermissions.fromString("rwxr-xr-x");
        Files.setPosixFilePermissions(jar, executable);

        JarRewriter.rewrite(jar, jar, Map.of("models/m.onnx", ByteBuffer.wrap(bytes("pruned"))));
        JarRewriter.rewrite(jar, folder.resolve("app-pruned.jar"),
                Map.of("models/m.onnx", ByteBuffer.wrap(bytes("pruned"))));

        assertEquals(executable, Files.getPosixFilePermissions(jar));
        assertEquals(executable, Files.getPosixFilePermissions(folder.resolve("app-pruned.jar")));
    }

    @Test
    void aLaunchScriptBeforeTheZipIsKeptByteForByte() throws IOException {
        byte[] script = bytes("#!/bin/bash\n# launch script\nexec java -jar \"$0\" \"$@\"\nexit 0\n");
        byte[] zip = Files.readAllBytes(jar(folder.resolve("plain.jar")));
        // As `cat script app.jar` makes it (offsets count from the zip), and as Spring Boot writes its executable
        // jars (offsets count from the file's start, script included).
        for (boolean offsetsIncludeScript : new boolean[] {false, true}) {
            Path jar = folder.resolve("launch-" + offsetsIncludeScript + ".jar");
            Files.write(jar, concat(script, offsetsIncludeScript ? shiftOffsets(zip, script.length) : zip));
            assertEquals(script.length, ZipPrefix.length(jar));

            JarRewriter.rewrite(jar, jar, Map.of("models/m.onnx", ByteBuffer.wrap(bytes("pruned"))));

            byte[] rewritten = Files.readAllBytes(jar);
            assertArrayEquals(script, Arrays.copyOf(rewritten, script.length));
            assertEquals(script.length, ZipPrefix.length(jar));
            try (ZipFile read = new ZipFile(jar.toFile())) {
                assertArrayEquals(bytes("pruned"), read.getInputStream(read.getEntry("models/m.onnx")).readAllBytes());
                assertArrayEquals(bytes("kept as stored"),
                        read.getInputStream(read.getEntry("stored.txt")).readAllBytes());
            }
        }
        assertEquals(0, ZipPrefix.length(folder.resolve("plain.jar")));
    }

    /** The zip with every central directory offset moved by {@code by}, as a writer that counted a prefix makes it. */
    private static byte[] shiftOffsets(byte[] zip, int by) {
        ByteBuffer buffer = ByteBuffer.wrap(zip.clone()).order(ByteOrder.LITTLE_ENDIAN);
        int end = zip.length - 22;
        assertEquals(0x06054b50, buffer.getInt(end));
        int central = buffer.getInt(end + 16);
        int entries = buffer.getShort(end + 10);
        buffer.putInt(end + 16, central + by);
        int at = central;
        for (int i = 0; i < entries; i++) {
            buffer.putInt(at + 42, buffer.getInt(at + 42) + by);
            at += 46 + buffer.getShort(at + 28) + buffer.getShort(at + 30) + buffer.getShort(at + 32);
        }
        return buffer.array();
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] both = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        return both;
    }

    private static Path jar(Path path) throws IOException {
        try (OutputStream file = Files.newOutputStream(path); ZipOutputStream out = new ZipOutputStream(file)) {
            put(out, "META-INF/MANIFEST.MF", bytes("Manifest-Version: 1.0\n"), false);
            put(out, "models/m.onnx", bytes("original model"), false);
            put(out, "stored.txt", bytes("kept as stored"), true);
        }
        return path;
    }

    private static void put(ZipOutputStream out, String name, byte[] content, boolean stored) throws IOException {
        ZipEntry entry = new ZipEntry(name);
        entry.setTime(TIME);
        if (stored) {
            CRC32 crc = new CRC32();
            crc.update(content);
            entry.setMethod(ZipEntry.STORED);
            entry.setSize(content.length);
            entry.setCrc(crc.getValue());
        }
        out.putNextEntry(entry);
        out.write(content);
        out.closeEntry();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
