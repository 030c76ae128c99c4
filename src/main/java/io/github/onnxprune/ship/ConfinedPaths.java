package io.github.onnxprune.ship;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The one place that turns a relative name (a model's entry name, report.json) into a path this plugin writes,
 * and proves the result stays inside its folder: textually (no absolute path, no {@code ..}, nothing
 * non-normalised) and on disk (no symbolic link on the way leads out of the folder).
 */
public final class ConfinedPaths {

    private ConfinedPaths() {
    }

    /**
     * What is wrong with {@code name} as a relative, normalised, forward-slash path inside a folder (a zip entry
     * name), or empty when nothing is.
     */
    public static Optional<String> problem(String name) {
        if (name == null || name.isEmpty()) {
            return Optional.of("is empty");
        }
        if (name.startsWith("/") || name.startsWith("\\") || name.matches("^[A-Za-z]:.*")) {
            return Optional.of("is absolute");
        }
        if (name.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            return Optional.of("contains a control character");
        }
        if (name.contains("\\")) {
            return Optional.of("contains a backslash");
        }
        for (String segment : name.split("/", -1)) {
            if (segment.equals("..")) {
                return Optional.of("leaves its folder through '..'");
            }
        }
        for (String segment : name.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".")) {
                return Optional.of("is not normalised (it has '.', '//' or a trailing '/')");
            }
        }
        return Optional.empty();
    }

    /**
     * {@code root} resolved with the relative {@code name}: refused unless {@link #problem} finds nothing, the
     * normalised result starts with the normalised root, and the closest existing folder on the way, with
     * symbolic links followed, still lies inside the root (with links followed too).
     */
    public static Path resolve(Path root, String name) throws IOException {
        Optional<String> problem = problem(name);
        if (problem.isPresent()) {
            throw new IOException("Refusing to write '" + name + "' under " + root + ": the name " + problem.get());
        }
        Path base = root.toAbsolutePath().normalize();
        Path path = base.resolve(name).normalize();
        if (!path.startsWith(base) || path.equals(base)) {
            throw new IOException("Refusing to write " + path + ": it is not inside " + base);
        }
        Path existing = path;
        while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            existing = existing.getParent();
        }
        if (existing != null && existing.startsWith(base)) {
            Path realBase = base.toRealPath();
            Path real = existing.toRealPath();
            if (!real.startsWith(realBase)) {
                throw new IOException("Refusing to write " + path + ": " + existing + " is a link to " + real
                        + ", outside " + realBase);
            }
        }
        return path;
    }
}
