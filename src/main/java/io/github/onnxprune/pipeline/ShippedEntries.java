package io.github.onnxprune.pipeline;

import io.github.onnxprune.ship.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which entries of which archives (the project's jar or war, a Spring Boot or shaded jar, their
 * {@code .original} copies) hold bytes this plugin put there, with the SHA-256 of those bytes and the file their
 * original came from. {@code jar:jar} does not rebuild an unchanged jar, so a later run that no longer prunes an
 * entry (skip, a classifier, an excluded model, a failed gate) uses this record to put the original back; an
 * entry whose bytes differ from the recorded ones was rebuilt since and is left alone.
 *
 * @param entries what was put where; an entry may appear more than once while a rewrite is under way
 */
record ShippedEntries(List<Entry> entries) {

    /** The file's name in the output folder. */
    static final String FILE_NAME = "shipped";

    private static final String HEADER = "onnx-prune shipped 2";

    /** The first format, one jar per record: read so that an upgrade still puts originals back. */
    private static final String HEADER_1 = "onnx-prune shipped 1";

    ShippedEntries {
        entries = List.copyOf(entries);
    }

    /**
     * One replaced entry.
     *
     * @param archive the archive it is in, absolute
     * @param name the entry's full name in the archive (e.g. {@code BOOT-INF/classes/models/x.onnx})
     * @param sha256 the SHA-256 of the bytes this plugin wrote there
     * @param original the file the archive's own bytes came from (the model under target/classes)
     */
    record Entry(Path archive, String name, String sha256, Path original) {

        Entry {
            archive = archive.toAbsolutePath().normalize();
        }
    }

    /** The archives the record names, in order of first mention. */
    Set<Path> archives() {
        Set<Path> archives = new LinkedHashSet<>();
        entries.forEach(entry -> archives.add(entry.archive()));
        return archives;
    }

    /** The record in {@code file}, or an empty one when there is none or it is damaged. */
    static ShippedEntries read(Path file) {
        ShippedEntries none = new ShippedEntries(List.of());
        try {
            if (!Files.isRegularFile(file)) {
                return none;
            }
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (lines.isEmpty() || !(lines.get(0).equals(HEADER) || lines.get(0).equals(HEADER_1))) {
                return none;
            }
            List<Entry> entries = new ArrayList<>();
            Path jar = null;
            for (String line : lines.subList(1, lines.size())) {
                String[] parts = line.split("\t", 5);
                if (parts[0].equals("jar") && parts.length == 2) {
                    jar = Path.of(parts[1]);
                } else if (parts[0].equals("entry") && parts.length == 5) {
                    entries.add(new Entry(Path.of(parts[4]), parts[2], parts[1], Path.of(parts[3])));
                } else if (parts[0].equals("entry") && parts.length == 4 && jar != null) {
                    entries.add(new Entry(jar, parts[2], parts[1], Path.of(parts[3])));
                } else {
                    return none;
                }
            }
            return new ShippedEntries(entries);
        } catch (IOException | RuntimeException e) {
            // A damaged record cannot say anything; entries it named keep whatever bytes they hold.
            return none;
        }
    }

    /** Writes the record atomically, or removes the file when nothing is recorded. */
    void write(Path file) throws IOException {
        if (entries.isEmpty()) {
            Files.deleteIfExists(file);
            return;
        }
        StringBuilder text = new StringBuilder(HEADER).append('\n');
        for (Entry entry : entries) {
            text.append("entry\t").append(entry.sha256()).append('\t').append(entry.name()).append('\t')
                    .append(entry.original().toAbsolutePath().normalize()).append('\t').append(entry.archive())
                    .append('\n');
        }
        AtomicFiles.write(file, text.toString().getBytes(StandardCharsets.UTF_8));
    }
}
