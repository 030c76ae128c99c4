package io.github.onnxprune.ship;

import io.github.onnxprune.onnx.ModelBytes;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;

/**
 * Replaces the content of some entries of a jar (or any zip) and keeps everything else: the bytes before the
 * zip (a launch script), entry order, times, extra fields, comments, compression method and the file's
 * permissions. Writes through {@link AtomicFiles}, so a failure or a killed build never leaves a half-written jar.
 * Entries are streamed: neither a replaced nor a copied entry is ever held whole on the heap.
 */
public final class JarRewriter {

    private JarRewriter() {
    }

    /** The names among {@code names} that {@code jar} has no entry for, sorted. */
    public static List<String> missingEntries(Path jar, Collection<String> names) throws IOException {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            return names.stream().filter(name -> zip.getEntry(name) == null || zip.getEntry(name).isDirectory())
                    .distinct().sorted().toList();
        }
    }

    /** The bytes of one entry of {@code jar}, or null when it has none of that name. */
    public static byte[] read(Path jar, String name) throws IOException {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            ZipEntry entry = zip.getEntry(name);
            if (entry == null) {
                return null;
            }
            try (InputStream in = zip.getInputStream(entry)) {
                return in.readAllBytes();
            }
        }
    }

    /** The SHA-256 (lowercase hex) of one entry's content, streamed; null when {@code jar} has no such entry. */
    public static String sha256(Path jar, String name) throws IOException {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            ZipEntry entry = zip.getEntry(name);
            if (entry == null) {
                return null;
            }
            try (InputStream in = zip.getInputStream(entry)) {
                return Sha256.of(in);
            }
        }
    }

    /**
     * The compressed size of {@code name} in {@code jar} when that entry is deflated and holds exactly
     * {@code content} (same length and CRC-32), so a caller can read a deflated size the jar tool already paid
     * for instead of deflating the same bytes again; empty otherwise (stored, missing, or other bytes, such as
     * a model an earlier run shipped into a jar that {@code jar:jar} did not rebuild).
     */
    public static OptionalLong compressedSize(Path jar, String name, ByteBuffer content) throws IOException {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            ZipEntry entry = zip.getEntry(name);
            if (entry == null || entry.getMethod() != ZipEntry.DEFLATED || entry.getCompressedSize() < 0
                    || !holdsLengthAndCrc(entry, content)) {
                return OptionalLong.empty();
            }
            return OptionalLong.of(entry.getCompressedSize());
        }
    }

    /**
     * Whether every entry named in {@code contents} is in {@code jar} with the length and CRC-32 of its content (from
     * position 0 to its limit), as the jar tool left it; read from the central directory, nothing inflated.
     */
    public static boolean holdsLengthsAndCrcs(Path jar, Map<String, ByteBuffer> contents) throws IOException {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            for (Map.Entry<String, ByteBuffer> content : contents.entrySet()) {
                ZipEntry entry = zip.getEntry(content.getKey());
                if (entry == null || !holdsLengthAndCrc(entry, content.getValue())) {
                    return false;
                }
            }
            return true;
        }
    }

    /** Whether the central directory gives {@code entry} the length and CRC-32 of {@code content}. */
    private static boolean holdsLengthAndCrc(ZipEntry entry, ByteBuffer content) {
        return entry.getSize() == content.limit() && entry.getCrc() == ModelBytes.crc32(content);
    }

    /**
     * Writes {@code target}: a copy of {@code source} whose entries named in {@code replacements} hold the new
     * bytes (each from position 0 to its limit). {@code source} and {@code target} may be the same file. A new
     * target gets the source's permissions.
     *
     * @return whether any entry's content changed; when none did and source is target, nothing is written
     */
    public static boolean rewrite(Path source, Path target, Map<String, ByteBuffer> replacements)
            throws IOException {
        return rewrite(source, target, replacements, List.of());
    }

    /**
     * As {@link #rewrite(Path, Path, Map)}, but a replacement that one of {@code donors} (zips; missing ones are
     * passed over) holds deflated under the same name, with the replacement's length and CRC-32, is copied from
     * the first such as it is stored there instead of being deflated again: shipping bytes deflated before costs a
     * copy, and an original put back gets the jar tool's own bytes.
     */
    public static boolean rewrite(Path source, Path target, Map<String, ByteBuffer> replacements, List<Path> donors)
            throws IOException {
        return rewrite(source, target, replacements, donors, () -> { }, ChunksAhead.NONE);
    }

    /**
     * As {@link #rewrite(Path, Path, Map, List)}, running {@code beforeMove} once the new archive is on the disk and
     * before it replaces {@code target} (not at all when nothing is written), and deflating each replacement with
     * the chunks {@code ahead} deflated from the same bytes while the models were pruned.
     */
    public static boolean rewrite(Path source, Path target, Map<String, ByteBuffer> replacements, List<Path> donors,
            AtomicFiles.BeforeMove beforeMove, ChunksAhead ahead) throws IOException {
        try (ZipFile zip = new ZipFile(source.toFile())) {
            List<String> missing = replacements.keySet().stream()
                    .filter(name -> zip.getEntry(name) == null).sorted().toList();
            if (!missing.isEmpty()) {
                throw new IOException("jar " + source + " has no entries " + missing);
            }
            boolean changed = false;
            for (Map.Entry<String, ByteBuffer> replacement : replacements.entrySet()) {
                ZipEntry entry = zip.getEntry(replacement.getKey());
                // Length and CRC-32 from the directory settle most cases without inflating a large entry.
                if (!holdsLengthAndCrc(entry, replacement.getValue())) {
                    changed = true;
                    continue;
                }
                try (InputStream in = zip.getInputStream(entry)) {
                    changed |= !AtomicFiles.sameContent(in, replacement.getValue());
                }
            }
            if (!changed && source.equals(target)) {
                return false;
            }
            long prefix = ZipPrefix.length(source);
            // The donors and the source's stored entries are opened only when a new archive is written.
            AtomicFiles.write(target, source, out -> {
                copyPrefix(source, prefix, out);
                // The zip's own offsets count from its first entry, as after `cat script.sh app.jar`; every zip
                // reader (java.util.zip, unzip, Spring Boot's loader) accounts for the prefix that way.
                ZipArchiveOutputStream zipOut = new ZipArchiveOutputStream(new KeptOpen(out));
                try (zipOut; Donors donorZips = Donors.open(donors);
                        org.apache.commons.compress.archivers.zip.ZipFile raw =
                                org.apache.commons.compress.archivers.zip.ZipFile.builder().setPath(source).get()) {
                    if (zip.getComment() != null) {
                        zipOut.setComment(zip.getComment());
                    }
                    for (Enumeration<? extends ZipEntry> entries = zip.entries(); entries.hasMoreElements(); ) {
                        ZipEntry entry = entries.nextElement();
                        ByteBuffer replacement = replacements.get(entry.getName());
                        if (replacement == null) {
                            copyRaw(raw, entry, zipOut);
                        } else {
                            replaceEntry(raw, entry, replacement, zipOut, target, donorZips, ahead);
                        }
                    }
                }
            }, beforeMove);
            return changed;
        }
    }

    private static void copyPrefix(Path source, long length, OutputStream out) throws IOException {
        if (length == 0) {
            return;
        }
        try (FileChannel channel = FileChannel.open(source, StandardOpenOption.READ);
                InputStream in = Channels.newInputStream(channel)) {
            long left = length;
            byte[] buffer = new byte[8192];
            while (left > 0) {
                int read = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (read < 0) {
                    throw new IOException("unexpected end of " + source);
                }
                out.write(buffer, 0, read);
                left -= read;
            }
        }
    }

    /**
     * A new entry with {@code original}'s name, time, extra field and comment, and {@code stored}'s file attributes
     * (the Unix mode jar tools record), and nothing else yet.
     */
    private static ZipArchiveEntry headerOf(ZipEntry original, ZipArchiveEntry stored) {
        ZipArchiveEntry copy = new ZipArchiveEntry(original.getName());
        if (stored.getPlatform() == ZipArchiveEntry.PLATFORM_UNIX) {
            copy.setUnixMode(stored.getUnixMode());
        }
        copy.setExternalAttributes(stored.getExternalAttributes());
        copy.setInternalAttributes(stored.getInternalAttributes());
        copy.setTime(original.getTime());
        if (original.getExtra() != null) {
            copy.setExtra(original.getExtra());
        }
        if (original.getComment() != null) {
            copy.setComment(original.getComment());
        }
        return copy;
    }

    /**
     * Copies an entry that is not replaced as it is stored, compressed bytes and all: nothing is inflated or
     * deflated, so a rewrite costs the replaced entries only, and a copied entry keeps the jar tool's bytes.
     */
    private static void copyRaw(org.apache.commons.compress.archivers.zip.ZipFile raw, ZipEntry original,
            ZipArchiveOutputStream out) throws IOException {
        ZipArchiveEntry stored = stored(raw, original);
        addStored(raw, stored, headerOf(original, stored), out);
    }

    /**
     * Adds {@code entry} to {@code out} with {@code stored}'s compressed bytes as they are in {@code zip}, and its
     * method, sizes and CRC-32: nothing inflated or deflated.
     */
    static void addStored(org.apache.commons.compress.archivers.zip.ZipFile zip, ZipArchiveEntry stored,
            ZipArchiveEntry entry, ZipArchiveOutputStream out) throws IOException {
        entry.setMethod(stored.getMethod());
        entry.setSize(stored.getSize());
        entry.setCompressedSize(stored.getCompressedSize());
        entry.setCrc(stored.getCrc());
        try (InputStream in = zip.getRawInputStream(stored)) {
            out.addRawArchiveEntry(entry, in);
        }
    }

    private static ZipArchiveEntry stored(org.apache.commons.compress.archivers.zip.ZipFile raw, ZipEntry original)
            throws IOException {
        ZipArchiveEntry stored = raw.getEntry(original.getName());
        if (stored == null) {
            throw new IOException("entry " + original.getName() + " of the central directory has no local entry");
        }
        return stored;
    }

    private static void replaceEntry(org.apache.commons.compress.archivers.zip.ZipFile raw, ZipEntry original,
            ByteBuffer replacement, ZipArchiveOutputStream out, Path target, Donors donors, ChunksAhead ahead)
            throws IOException {
        ZipArchiveEntry copy = headerOf(original, stored(raw, original));
        if (original.getMethod() == ZipEntry.STORED) {
            copy.setMethod(ZipEntry.STORED);
            copy.setSize(replacement.limit());
            copy.setCompressedSize(replacement.limit());
            copy.setCrc(ModelBytes.crc32(replacement));
            out.putArchiveEntry(copy);
            ModelBytes.writeTo(replacement, out);
            out.closeArchiveEntry();
            return;
        }
        copy.setMethod(ZipEntry.DEFLATED);
        if (donors.copy(original.getName(), replacement, copy, out)) {
            return;
        }
        // Deflated on every core beforehand; the entry's headers then carry the sizes and CRC-32 up front.
        ChunkedDeflate.addEntry(out, copy, replacement, target, ahead);
    }
}
