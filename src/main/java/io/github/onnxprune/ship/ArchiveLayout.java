package io.github.onnxprune.ship;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Where an archive keeps the content of {@code target/classes}: at its root (a jar, a shaded or assembled jar),
 * under {@code BOOT-INF/classes/} (a Spring Boot executable jar) or under {@code WEB-INF/classes/} (a war, or a
 * Spring Boot executable war). A model named {@code models/x.onnx} under {@code target/classes} is the entry
 * {@code <root>models/x.onnx} of the archive.
 */
public final class ArchiveLayout {

    /** The roots tried, in order. */
    public static final List<String> ROOTS = List.of("", "BOOT-INF/classes/", "WEB-INF/classes/");

    private ArchiveLayout() {
    }

    /** The first root under which {@code archive} has a file entry for every one of {@code names}, if any. */
    public static Optional<String> rootOf(Path archive, Collection<String> names) throws IOException {
        try (ZipFile zip = new ZipFile(archive.toFile())) {
            for (String root : ROOTS) {
                if (names.stream().allMatch(name -> isFile(zip.getEntry(root + name)))) {
                    return Optional.of(root);
                }
            }
            return Optional.empty();
        }
    }

    /** How a root is named in messages: "its root" or the folder. */
    public static String describe(String root) {
        return root.isEmpty() ? "at its root" : "under " + root;
    }

    private static boolean isFile(ZipEntry entry) {
        return entry != null && !entry.isDirectory();
    }
}
