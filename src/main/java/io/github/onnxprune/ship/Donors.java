package io.github.onnxprune.ship;

import io.github.onnxprune.onnx.ModelBytes;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipFile;

/** Zips whose deflated entries a rewrite copies as they are stored instead of deflating the same bytes again. */
final class Donors implements Closeable {

    private final List<ZipFile> zips;

    private Donors(List<ZipFile> zips) {
        this.zips = zips;
    }

    /** Opens each of {@code files} that exists; one that is not a readable zip is passed over. */
    static Donors open(List<Path> files) throws IOException {
        List<ZipFile> zips = new ArrayList<>();
        for (Path file : files) {
            if (Files.isRegularFile(file)) {
                try {
                    zips.add(ZipFile.builder().setPath(file).get());
                } catch (IOException e) {
                    // A damaged kept archive only means deflating again.
                }
            }
        }
        return new Donors(zips);
    }

    /**
     * Adds {@code entry} to {@code out} with the stored deflate stream of the first donor entry named {@code name}
     * that holds {@code content}'s length and CRC-32.
     *
     * @return whether a donor had it; when not, nothing was written
     */
    boolean copy(String name, ByteBuffer content, ZipArchiveEntry entry, ZipArchiveOutputStream out)
            throws IOException {
        long crc = -1;
        for (ZipFile zip : zips) {
            ZipArchiveEntry donated = zip.getEntry(name);
            if (donated == null || donated.getMethod() != ZipEntry.DEFLATED || donated.getCompressedSize() < 0
                    || donated.getSize() != content.limit()) {
                continue;
            }
            if (crc < 0) {
                crc = ModelBytes.crc32(content);
            }
            if (donated.getCrc() != crc) {
                continue;
            }
            JarRewriter.addStored(zip, donated, entry, out);
            return true;
        }
        return false;
    }

    @Override
    public void close() throws IOException {
        IOException failure = null;
        for (ZipFile zip : zips) {
            try {
                zip.close();
            } catch (IOException e) {
                failure = e;
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
