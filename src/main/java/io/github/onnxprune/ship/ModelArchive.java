package io.github.onnxprune.ship;

import io.github.onnxprune.onnx.ModelBytes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Packs pruned models into a zip for projects that build no jar, reproducibly (sorted entries, fixed time). */
public final class ModelArchive {

    private ModelArchive() {
    }

    /**
     * Writes {@code models} (entry name to bytes, each from position 0 to its limit) to {@code zip}, every entry
     * stamped with {@code time}; streamed, so no model is copied onto the heap.
     */
    public static void write(Path zip, Map<String, ByteBuffer> models, FileTime time) throws IOException {
        AtomicFiles.write(zip, file -> {
            // AtomicFiles closes the file; closing the zip stream must only finish the zip.
            try (ZipOutputStream out = new ZipOutputStream(new KeptOpen(file))) {
                for (Map.Entry<String, ByteBuffer> model : new TreeMap<>(models).entrySet()) {
                    ZipEntry entry = new ZipEntry(model.getKey());
                    entry.setLastModifiedTime(time);
                    out.putNextEntry(entry);
                    ModelBytes.writeTo(model.getValue(), out);
                    out.closeEntry();
                }
            }
        });
    }
}
