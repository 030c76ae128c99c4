package io.github.onnxprune.ship;

import io.github.onnxprune.onnx.ModelBytes;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Writes files through a temporary sibling and a move, so readers never see half a file. The temporary file is
 * named {@code <name>.onnx-prune-<16 hex digits>.tmp}, so one a killed build left behind is recognised and
 * removed by the next run ({@link #deleteStale}); the result keeps the permissions of the file it replaces, and a
 * new file gets the permissions the process's umask gives any new file.
 */
public final class AtomicFiles {

    private static final Pattern TEMPORARY = Pattern.compile(".+\\.onnx-prune-[0-9a-f]{16}\\.tmp");

    private AtomicFiles() {
    }

    /** Something that writes a whole file's content to a stream. */
    @FunctionalInterface
    public interface Content {

        /** Writes the content; the stream is closed by the caller. */
        void writeTo(OutputStream out) throws IOException;
    }

    /** Replaces {@code target} with {@code content}, creating parent folders. */
    public static void write(Path target, byte[] content) throws IOException {
        write(target, out -> out.write(content));
    }

    /** Replaces {@code target} with {@code content} (from position 0 to its limit), creating parent folders. */
    public static void write(Path target, ByteBuffer content) throws IOException {
        write(target, out -> ModelBytes.writeTo(content, out));
    }

    /** Whether {@code file} exists and holds exactly {@code content}, compared as a stream. */
    public static boolean holds(Path file, ByteBuffer content) throws IOException {
        if (!Files.isRegularFile(file) || Files.size(file) != content.limit()) {
            return false;
        }
        try (InputStream in = Files.newInputStream(file)) {
            return sameContent(in, content);
        }
    }

    /** Whether the stream holds exactly {@code content}, compared piece by piece. */
    static boolean sameContent(InputStream in, ByteBuffer content) throws IOException {
        ByteBuffer expected = content.duplicate().position(0);
        byte[] buffer = new byte[64 * 1024];
        for (int read = in.readNBytes(buffer, 0, buffer.length); read > 0;
                read = in.readNBytes(buffer, 0, buffer.length)) {
            if (read > expected.remaining()
                    || !ByteBuffer.wrap(buffer, 0, read).equals(expected.slice().limit(read))) {
                return false;
            }
            expected.position(expected.position() + read);
        }
        return !expected.hasRemaining();
    }

    /**
     * Replaces {@code target} with what {@code content} writes: into a new temporary file beside it, flushed to
     * the disk, given the target's permissions, then moved over it in one step. On any failure the temporary
     * file is removed and {@code target} is as it was.
     */
    public static void write(Path target, Content content) throws IOException {
        write(target, target, content);
    }

    /** A new name beside {@code target} that {@link #deleteStale} recognises, should a killed build leave it. */
    static Path temporaryFor(Path target) {
        return target.toAbsolutePath().getParent().resolve(target.getFileName() + ".onnx-prune-"
                + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()) + ".tmp");
    }

    /**
     * As {@link #write(Path, Content)}, but the result takes the permissions of {@code permissionsFrom} (when it
     * exists; else those of a new file).
     */
    public static void write(Path target, Path permissionsFrom, Content content) throws IOException {
        write(target, permissionsFrom, content, () -> { });
    }

    /** Something done after a file's new content is on the disk and before it replaces the file. */
    @FunctionalInterface
    public interface BeforeMove {

        /** Runs before the move; a failure leaves the file as it was. */
        void run() throws IOException;
    }

    /**
     * As {@link #write(Path, Path, Content)}, running {@code beforeMove} once the content is on the disk and before
     * it replaces {@code target}: a record that must exist whenever the new content does is written there, while
     * the content's own writing has already run.
     */
    public static void write(Path target, Path permissionsFrom, Content content, BeforeMove beforeMove)
            throws IOException {
        Files.createDirectories(target.toAbsolutePath().getParent());
        Path temporary = temporaryFor(target);
        try {
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                // Buffered: a zip writer hands over 512-byte pieces, each a system call unbuffered.
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16);
                content.writeTo(out);
                out.flush();
                channel.force(true);
            } catch (IOException e) {
                throw new IOException("Cannot write " + target + " (through " + temporary.getFileName() + "): "
                        + describe(e), e);
            }
            copyPermissions(permissionsFrom, temporary);
            beforeMove.run();
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /** Whether {@code file} is named as this class names its temporary files. */
    public static boolean isTemporary(Path file) {
        return file.getFileName() != null && TEMPORARY.matcher(file.getFileName().toString()).matches();
    }

    /**
     * Deletes the temporary files a killed run left in {@code folder} (and its subfolders when {@code deep}).
     * Call only while holding the {@link OutputLock}, so no running build's file is taken.
     *
     * @return the files deleted
     */
    public static List<Path> deleteStale(Path folder, boolean deep) throws IOException {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        List<Path> stale;
        try (Stream<Path> files = deep ? Files.walk(folder) : Files.list(folder)) {
            stale = files.filter(AtomicFiles::isTemporary).filter(Files::isRegularFile).sorted().toList();
        }
        for (Path file : stale) {
            Files.deleteIfExists(file);
        }
        return stale;
    }

    /** Gives {@code copy} the POSIX permissions of {@code original} when both the file and the system have them. */
    static void copyPermissions(Path original, Path copy) throws IOException {
        PosixFileAttributeView from = Files.getFileAttributeView(original, PosixFileAttributeView.class);
        PosixFileAttributeView to = Files.getFileAttributeView(copy, PosixFileAttributeView.class);
        if (from != null && to != null && Files.exists(original)) {
            to.setPermissions(from.readAttributes().permissions());
        }
    }

    /**
     * An I/O failure as a user reads it: the file and the reason (file system failures often carry only the path
     * as their message, which says nothing of the cause).
     */
    public static String describe(IOException e) {
        if (e instanceof FileSystemException failure && failure.getFile() != null) {
            String reason = failure.getReason();
            if (reason == null) {
                reason = failure instanceof AccessDeniedException ? "permission denied"
                        : failure instanceof NoSuchFileException ? "no such file or folder"
                        : failure.getClass().getSimpleName();
            }
            return failure.getFile() + (failure.getOtherFile() != null ? " -> " + failure.getOtherFile() : "")
                    + ": " + reason;
        }
        return e.getMessage() == null || e.getMessage().isEmpty() ? e.getClass().getSimpleName() : e.getMessage();
    }
}
