package io.github.onnxprune.ship;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HexFormat;
import java.util.List;

/**
 * Archives kept by a hard link in the output folder, so that a later rewrite can copy a model's deflated entry
 * from them instead of deflating 90 MB again ({@link JarRewriter#rewrite(Path, Path, java.util.Map, List)}):
 * the archive as the jar tool built it, before this plugin first replaced its models (putting an original back
 * after a {@code skip} or a failed gate), and the archive as this plugin last wrote it (shipping the same pruned
 * model into a jar {@code jar:jar} rebuilt because a class changed). Every rewrite moves a new file into place and
 * {@code jar:jar} writes a new file too, so a link keeps the bytes it was made for; an entry is copied from it only
 * when its length and CRC-32 are the content's. A file system without hard links keeps nothing, and entries are
 * deflated as before. Each link holds the space of a whole archive until {@code mvn clean}.
 */
public final class KeptArchives {

    /** The output folder's subfolder that holds the links. */
    public static final String FOLDER = "kept-archives";

    /** Why an archive is kept. */
    public enum Role {
        /** As the jar tool built it, holding the original models. */
        BUILT,
        /** As this plugin last wrote it, holding the pruned models. */
        SHIPPED
    }

    private KeptArchives() {
    }

    /** Where {@code archive} is kept in {@code role} under {@code outputDirectory}, whether or not it is. */
    public static Path keptFor(Path outputDirectory, Path archive, Role role) {
        String path = archive.toAbsolutePath().normalize().toString();
        byte[] digest = Sha256.digest().digest(path.getBytes(StandardCharsets.UTF_8));
        return outputDirectory.resolve(FOLDER).resolve(HexFormat.of().formatHex(digest, 0, 8) + "-"
                + role.name().toLowerCase(java.util.Locale.ROOT) + "-" + archive.getFileName());
    }

    /** Both places {@code archive} may be kept, the pruned one first. */
    public static List<Path> keptFor(Path outputDirectory, Path archive) {
        return List.of(keptFor(outputDirectory, archive, Role.SHIPPED), keptFor(outputDirectory, archive, Role.BUILT));
    }

    /**
     * Links {@code archive} as it is now to {@link #keptFor}, replacing an earlier one; when the file system
     * cannot link (no hard links, another file system), removes the earlier one instead.
     */
    public static void keep(Path outputDirectory, Path archive, Role role) throws IOException {
        Path kept = keptFor(outputDirectory, archive, role);
        Files.createDirectories(kept.getParent());
        Path temporary = AtomicFiles.temporaryFor(kept);
        try {
            Files.createLink(temporary, archive);
            Files.move(temporary, kept, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (UnsupportedOperationException | IOException e) {
            // Without a link the entries are deflated again; nothing is lost but time.
            Files.deleteIfExists(kept);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }
}
