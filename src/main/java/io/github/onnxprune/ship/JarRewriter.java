package io.github.onnxprune.ship;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Replaces the content of some entries of a jar (or any zip) and keeps everything else: entry order, times,
 * extra fields, comments and compression method. Writes a temporary file beside the target and moves it into
 * place, so a failure never leaves a half-written jar.
 */
public final class JarRewriter {

    private JarRewriter() {
    }

    /**
     * Writes {@code target}: a copy of {@code source} whose entries named in {@code replacements} hold the new
     * bytes. {@code source} and {@code target} may be the same file.
     *
     * @return whether any entry's content changed; when none did and source is target, nothing is written
     */
    public static boolean rewrite(Path source, Path target, Map<String, byte[]> replacements) throws IOException {
        try (ZipFile zip = new ZipFile(source.toFile())) {
            Set<String> missing = new HashSet<>(replacements.keySet());
            boolean changed = false;
            for (Enumeration<? extends ZipEntry> entries = zip.entries(); entries.hasMoreElements(); ) {
                ZipEntry entry = entries.nextElement();
                byte[] replacement = replacements.get(entry.getName());
                if (replacement != null) {
                    missing.remove(entry.getName());
                    try (InputStream in = zip.getInputStream(entry)) {
                        changed |= !Arrays.equals(in.readAllBytes(), replacement);
                    }
                }
            }
            if (!missing.isEmpty()) {
                throw new IOException("jar " + source + " has no entries " + missing.stream().sorted().toList());
            }
            if (!changed && source.equals(target)) {
                return false;
            }
            Path temporary = Files.createTempFile(target.toAbsolutePath().getParent(),
                    target.getFileName().toString(), ".tmp");
            try {
                try (OutputStream file = Files.newOutputStream(temporary);
                        ZipOutputStream out = new ZipOutputStream(file)) {
                    if (zip.getComment() != null) {
                        out.setComment(zip.getComment());
                    }
                    for (Enumeration<? extends ZipEntry> entries = zip.entries(); entries.hasMoreElements(); ) {
                        ZipEntry entry = entries.nextElement();
                        byte[] content;
                        try (InputStream in = zip.getInputStream(entry)) {
                            content = in.readAllBytes();
                        }
                        byte[] replacement = replacements.get(entry.getName());
                        writeEntry(out, entry, replacement != null ? replacement : content);
                    }
                }
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(temporary);
            }
            return changed;
        }
    }

    private static void writeEntry(ZipOutputStream out, ZipEntry original, byte[] content) throws IOException {
        ZipEntry copy = new ZipEntry(original.getName());
        copy.setTime(original.getTime());
        if (original.getExtra() != null) {
            copy.setExtra(original.getExtra());
        }
        if (original.getComment() != null) {
            copy.setComment(original.getComment());
        }
        if (original.getMethod() == ZipEntry.STORED) {
            CRC32 crc = new CRC32();
            crc.update(content);
            copy.setMethod(ZipEntry.STORED);
            copy.setSize(content.length);
            copy.setCompressedSize(content.length);
            copy.setCrc(crc.getValue());
        } else {
            copy.setMethod(ZipEntry.DEFLATED);
        }
        out.putNextEntry(copy);
        out.write(content);
        out.closeEntry();
    }
}
