package io.github.onnxprune.ship;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
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

    /** Writes {@code models} (entry name to bytes) to {@code zip}, every entry stamped with {@code time}. */
    public static void write(Path zip, Map<String, byte[]> models, FileTime time) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> model : new TreeMap<>(models).entrySet()) {
                ZipEntry entry = new ZipEntry(model.getKey());
                entry.setLastModifiedTime(time);
                out.putNextEntry(entry);
                out.write(model.getValue());
                out.closeEntry();
            }
        }
        AtomicFiles.write(zip, bytes.toByteArray());
    }
}
