package io.github.onnxprune.pipeline;

import io.github.onnxprune.ship.AtomicFiles;
import io.github.onnxprune.ship.FileStamp;
import io.github.onnxprune.ship.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The SHA-256 of files and archive entries the last run read or wrote, each kept with its file's
 * {@link FileStamp}, so that a build in which nothing changed reads no 90 MB model, stored result or jar entry
 * again: a file whose stamp is unchanged still holds what was hashed (or written). A file is remembered after it
 * was read only when it had settled before the read began ({@link FileStamp#settledBefore}); a file this plugin
 * wrote itself, when the write is done. Thread-safe: the fingerprint is hashed beside the pruning.
 */
final class KnownDigests {

    /** The file's name in the output folder. */
    static final String FILE_NAME = "digests";

    private static final String HEADER = "onnx-prune digests 1";

    private final Map<String, Known> known = new ConcurrentHashMap<>();
    /** The digest's states of the files this run hashed, for a content that begins as one of them; not written. */
    private final Map<String, Hashed> prefixes = new ConcurrentHashMap<>();

    private KnownDigests() {
    }

    /** Nothing known: every file is read. */
    static KnownDigests none() {
        return new KnownDigests();
    }

    /** What the last run in {@code outputDirectory} remembered; nothing when the file is missing or damaged. */
    static KnownDigests read(Path outputDirectory) {
        KnownDigests digests = new KnownDigests();
        Path file = outputDirectory.resolve(FILE_NAME);
        try {
            if (!Files.isRegularFile(file)) {
                return digests;
            }
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (lines.isEmpty() || !lines.get(0).equals(HEADER)) {
                return digests;
            }
            for (String line : lines.subList(1, lines.size())) {
                String[] parts = line.split("\t", 3);
                Optional<FileStamp> stamp = parts.length == 3 ? FileStamp.parse(parts[1]) : Optional.empty();
                if (stamp.isEmpty() || !parts[0].matches("[0-9a-f]{64}")) {
                    return new KnownDigests();
                }
                digests.known.put(parts[2], new Known(parts[0], stamp.get()));
            }
        } catch (IOException | RuntimeException e) {
            // Nothing trusted: every file is read again.
            return new KnownDigests();
        }
        return digests;
    }

    /** Writes what is known, atomically; call under the output lock. */
    void write(Path outputDirectory) throws IOException {
        StringBuilder text = new StringBuilder(HEADER).append('\n');
        known.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(entry -> text
                .append(entry.getValue().sha256()).append('\t').append(entry.getValue().stamp().format())
                .append('\t').append(entry.getKey()).append('\n'));
        AtomicFiles.write(outputDirectory.resolve(FILE_NAME), text.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The SHA-256 (lowercase hex) of the file's bytes: remembered when its stamp is unchanged, else read. */
    String sha256(Path file) throws IOException {
        String key = fileKey(file);
        Optional<FileStamp> before = FileStamp.of(file);
        Known remembered = known.get(key);
        if (before.isPresent() && remembered != null && remembered.stamp().equals(before.get())) {
            return remembered.sha256();
        }
        Instant started = Instant.now();
        Sha256.Prefixes hashed = hash(file);
        Optional<FileStamp> after = FileStamp.of(file);
        if (before.isPresent() && before.equals(after) && after.get().settledBefore(started)) {
            known.put(key, new Known(hashed.sha256(), after.get()));
            prefixes.put(key, new Hashed(hashed, after.get()));
        } else {
            known.remove(key);
            prefixes.remove(key);
        }
        return hashed.sha256();
    }

    /**
     * The digest's states kept when this run hashed {@code file} ({@link #sha256}), if it has and the file's stamp
     * shows it unchanged since: a pruned model patched from that file continues its SHA-256 from them.
     */
    Optional<Sha256.Prefixes> prefixesIfUnchanged(Path file) {
        Hashed hashed = prefixes.get(fileKey(file));
        if (hashed == null) {
            return Optional.empty();
        }
        Optional<FileStamp> now = FileStamp.of(file);
        return now.isPresent() && now.get().equals(hashed.stamp()) ? Optional.of(hashed.prefixes()) : Optional.empty();
    }

    /** The SHA-256 of {@code file}'s bytes when its stamp shows it unchanged since it was remembered. */
    Optional<String> ifUnchanged(Path file) {
        return unchanged(fileKey(file), file);
    }

    /** Remembers that {@code file}, just written by this run, holds bytes whose SHA-256 is {@code sha256}. */
    void written(Path file, String sha256) {
        remember(fileKey(file), file, sha256);
    }

    /**
     * The SHA-256 of entry {@code name} of {@code archive} when the archive's stamp shows it unchanged since this
     * plugin wrote or checked that entry.
     */
    Optional<String> entryIfUnchanged(Path archive, String name) {
        return unchanged(entryKey(archive, name), archive);
    }

    /** Remembers that {@code archive}, as it is now, holds under {@code name} bytes whose SHA-256 is {@code sha256}. */
    void entryWritten(Path archive, String name, String sha256) {
        remember(entryKey(archive, name), archive, sha256);
    }

    /** Forgets everything remembered about {@code archive}'s entries, before it is rewritten. */
    void forgetEntries(Path archive) {
        String prefix = "entry " + archive.toAbsolutePath().normalize() + "!/";
        known.keySet().removeIf(key -> key.startsWith(prefix));
    }

    private Optional<String> unchanged(String key, Path file) {
        Known remembered = known.get(key);
        if (remembered == null) {
            return Optional.empty();
        }
        Optional<FileStamp> now = FileStamp.of(file);
        return now.isPresent() && now.get().equals(remembered.stamp()) ? Optional.of(remembered.sha256())
                : Optional.empty();
    }

    private void remember(String key, Path file, String sha256) {
        Optional<FileStamp> stamp = FileStamp.of(file);
        if (stamp.isPresent()) {
            known.put(key, new Known(sha256, stamp.get()));
        } else {
            known.remove(key);
        }
    }

    private static String fileKey(Path file) {
        return "file " + file.toAbsolutePath().normalize();
    }

    private static String entryKey(Path archive, String name) {
        return "entry " + archive.toAbsolutePath().normalize() + "!/" + name;
    }

    private static Sha256.Prefixes hash(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return Sha256.withPrefixes(in);
        }
    }

    private record Known(String sha256, FileStamp stamp) {
    }

    private record Hashed(Sha256.Prefixes prefixes, FileStamp stamp) {
    }
}
