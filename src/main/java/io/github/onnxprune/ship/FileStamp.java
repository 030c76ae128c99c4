package io.github.onnxprune.ship;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * What the file system says about a file without reading it (size, modification and status-change times, the
 * file's identity), as git's index and Gradle's file snapshots keep it: any write to the file changes its
 * status-change time, which no program can set back, so an equal stamp means the same content. Only where the
 * file system gives the status-change time (Linux, macOS); elsewhere a file has no stamp and is always read.
 *
 * @param size the length in bytes
 * @param modified the modification time, in nanoseconds since the epoch
 * @param changed the status-change time (ctime), in nanoseconds since the epoch
 * @param key the file's identity (device and inode), or "" when the file system has none
 */
public record FileStamp(long size, long modified, long changed, String key) {

    /**
     * How long after its last change a file's stamp may be trusted for content read before: a write within the
     * same tick of the file system's clock leaves the times as they were (git's "racily clean" case), and some
     * file systems count in seconds.
     */
    public static final long SETTLED_NANOS = 2_000_000_000L;

    /** The file's stamp, or empty when it is not a regular file or the file system gives no status-change time. */
    public static Optional<FileStamp> of(Path file) {
        try {
            BasicFileAttributes basic = Files.readAttributes(file, BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS);
            if (!basic.isRegularFile()) {
                return Optional.empty();
            }
            Map<String, Object> unix = Files.readAttributes(file, "unix:ctime", LinkOption.NOFOLLOW_LINKS);
            Object changed = unix.get("ctime");
            if (!(changed instanceof FileTime changedTime)) {
                return Optional.empty();
            }
            Object key = basic.fileKey();
            return Optional.of(new FileStamp(basic.size(), nanos(basic.lastModifiedTime()), nanos(changedTime),
                    key == null ? "" : key.toString()));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            // No such file, or no unix view (Windows): nothing to trust, the file is read.
            return Optional.empty();
        }
    }

    /** Whether the file last changed at least {@link #SETTLED_NANOS} before {@code instant}. */
    public boolean settledBefore(Instant instant) {
        long at = instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
        return changed <= at - SETTLED_NANOS && modified <= at - SETTLED_NANOS;
    }

    /** The stamp as one line's field, read back by {@link #parse}. */
    public String format() {
        return size + "," + modified + "," + changed + "," + key.replace('\t', ' ').replace('\n', ' ');
    }

    /** A stamp {@link #format} wrote, or empty when the text is not one. */
    public static Optional<FileStamp> parse(String text) {
        String[] parts = text.split(",", 4);
        if (parts.length != 4) {
            return Optional.empty();
        }
        try {
            return Optional.of(new FileStamp(Long.parseLong(parts[0]), Long.parseLong(parts[1]),
                    Long.parseLong(parts[2]), parts[3]));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static long nanos(FileTime time) {
        Instant instant = time.toInstant();
        return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
    }
}
