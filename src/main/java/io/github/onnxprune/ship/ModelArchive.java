package io.github.onnxprune.ship;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;

/** Packs pruned models into a zip for projects that build no jar, reproducibly (sorted entries, fixed time). */
public final class ModelArchive {

    private ModelArchive() {
    }

    /**
     * Writes {@code models} (entry name to bytes, each from position 0 to its limit) to {@code zip}, every entry
     * stamped with {@code time}, each model deflated on every core ({@link ChunkedDeflate}).
     */
    public static void write(Path zip, Map<String, ByteBuffer> models, FileTime time) throws IOException {
        AtomicFiles.write(zip, file -> {
            // AtomicFiles closes the file; closing the zip stream must only finish the zip.
            try (ZipArchiveOutputStream out = new ZipArchiveOutputStream(new KeptOpen(file))) {
                for (Map.Entry<String, ByteBuffer> model : new TreeMap<>(models).entrySet()) {
                    ZipArchiveEntry entry = new ZipArchiveEntry(model.getKey());
                    entry.setLastModifiedTime(time);
                    ChunkedDeflate.addEntry(out, entry, model.getValue(), zip, ChunksAhead.NONE);
                }
            }
        });
    }
}
