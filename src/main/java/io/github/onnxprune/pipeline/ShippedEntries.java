package io.github.onnxprune.pipeline;

import io.github.onnxprune.ship.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Which entries of the project's jar hold bytes this plugin put there, with the SHA-256 of those bytes and the
 * file their original came from. {@code jar:jar} does not rebuild an unchanged jar, so a later run that no longer
 * prunes an entry (skip, a classifier, an excluded model, a failed gate) uses this record to put the original
 * back; an entry whose bytes differ from the recorded ones was rebuilt since and is left alone.
 *
 * @param jar the jar the entries are in, absolute
 * @param entries what was put there; an entry may appear more than once while a rewrite is under way
 */
record ShippedEntries(Path jar, List<Entry> entries) {

    /** The file's name in the output folder. */
    static final String FILE_NAME = "shipped";

    private static final String HEADER = "onnx-prune shipped 1";

    ShippedEntries {
        jar = jar.toAbsolutePath().normalize();
        entries = List.copyOf(entries);
    }

    /**
     * One replaced entry.
     *
     * @param name the entry's name in the jar
     * @param sha256 the SHA-256 of the bytes this plugin wrote there
     * @param original the file the jar's own bytes came from (the model under target/classes)
     */
    record Entry(String name, String sha256, Path original) {
    }

    /** The record in {@code file}, or nothing for {@code jar} when there is none, it is damaged or for another jar. */
    static ShippedEntries read(Path file, Path jar) {
        ShippedEntries none = new ShippedEntries(jar, List.of());
        try {
            if (!Files.isRegularFile(file)) {
                return none;
            }
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (lines.size() < 2 || !lines.get(0).equals(HEADER) || !lines.get(1).startsWith("jar\t")
                    || !Path.of(lines.get(1).substring(4)).equals(none.jar())) {
                return none;
            }
            List<Entry> entries = new ArrayList<>();
            for (String line : lines.subList(2, lines.size())) {
                String[] parts = line.split("\t", 4);
                if (parts.length != 4 || !parts[0].equals("entry")) {
                    return none;
                }
                entries.add(new Entry(parts[2], parts[1], Path.of(parts[3])));
            }
            return new ShippedEntries(jar, entries);
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
        StringBuilder text = new StringBuilder(HEADER).append('\n').append("jar\t").append(jar).append('\n');
        for (Entry entry : entries) {
            text.append("entry\t").append(entry.sha256()).append('\t').append(entry.name()).append('\t')
                    .append(entry.original().toAbsolutePath().normalize()).append('\n');
        }
        AtomicFiles.write(file, text.toString().getBytes(StandardCharsets.UTF_8));
    }
}
