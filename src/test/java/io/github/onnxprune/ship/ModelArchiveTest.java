package io.github.onnxprune.ship;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelArchiveTest {

    @TempDir
    Path folder;

    @Test
    void writesEachModelDeflatedInNameOrderWithItsTimeCrcAndSizesTheSameBytesEveryTime() throws IOException {
        byte[] large = ChunkedDeflateTest.mixed(ChunkedDeflate.CHUNK * 2 + 99);
        byte[] small = ChunkedDeflateTest.mixed(5_000);
        Map<String, ByteBuffer> models = Map.of("models/z.onnx", ByteBuffer.wrap(small), "models/a.onnx",
                ByteBuffer.wrap(large));
        FileTime time = FileTime.fromMillis(1_700_000_000_000L);
        Path first = folder.resolve("first.zip");
        Path second = folder.resolve("second.zip");
        ModelArchive.write(first, models, time);
        ModelArchive.write(second, models, time);

        assertArrayEquals(Files.readAllBytes(first), Files.readAllBytes(second));
        try (JarFile zip = new JarFile(first.toFile())) {
            List<? extends ZipEntry> entries = Collections.list(zip.entries());
            assertEquals(List.of("models/a.onnx", "models/z.onnx"), entries.stream().map(ZipEntry::getName).toList());
            for (ZipEntry entry : entries) {
                byte[] expected = entry.getName().equals("models/a.onnx") ? large : small;
                CRC32 crc = new CRC32();
                crc.update(expected);
                assertEquals(ZipEntry.DEFLATED, entry.getMethod());
                assertEquals(expected.length, entry.getSize());
                assertEquals(crc.getValue(), entry.getCrc());
                assertEquals(ChunkedDeflate.deflatedSize(ByteBuffer.wrap(expected)), entry.getCompressedSize());
                assertEquals(time.toMillis() / 2000 * 2000, entry.getTime() / 2000 * 2000);
                assertArrayEquals(expected, zip.getInputStream(entry).readAllBytes());
            }
        }
        try (var files = Files.list(folder)) {
            assertEquals(List.of(first, second), files.sorted().toList(), "no spilled stream is left behind");
        }
    }
}
