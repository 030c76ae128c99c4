package io.github.onnxprune.ship;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An exclusive lock on an output folder, held for a whole run so that two builds of one module (two terminals,
 * an IDE and a command line) never write the same files at once: the second waits, then fails naming the lock
 * file and its holder. The lock is the operating system's ({@link FileChannel#tryLock}), so it is released
 * when the holding process dies, however it dies; the file itself stays.
 */
public final class OutputLock implements AutoCloseable {

    /** The lock file's name inside the output folder. */
    public static final String FILE_NAME = ".lock";

    private static final long POLL_MILLIS = 100;

    /**
     * Lock files held by this JVM (threads of a parallel reactor build). The one piece of static state, because
     * the operating system's lock is per process: a second thread must not even open the file, since closing any
     * channel to it drops the process's lock on Linux.
     */
    private static final Set<Path> HELD_IN_THIS_JVM = ConcurrentHashMap.newKeySet();

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private OutputLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Locks {@code folder} (creating it), waiting at most {@code wait} for another holder to finish.
     *
     * @throws ShippingException when the wait ends with the lock still held elsewhere
     */
    public static OutputLock acquire(Path folder, Duration wait) throws IOException {
        Files.createDirectories(folder);
        Path file = ConfinedPaths.resolve(folder.toRealPath(), FILE_NAME);
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            if (HELD_IN_THIS_JVM.add(file)) {
                FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.READ);
                try {
                    FileLock lock = channel.tryLock();
                    if (lock != null) {
                        String holder = "pid " + ProcessHandle.current().pid() + " since " + Instant.now() + "\n";
                        channel.truncate(0);
                        channel.write(ByteBuffer.wrap(holder.getBytes(StandardCharsets.UTF_8)), 0);
                        return new OutputLock(file, channel, lock);
                    }
                } catch (IOException | RuntimeException e) {
                    channel.close();
                    HELD_IN_THIS_JVM.remove(file);
                    throw e;
                }
                channel.close();
                HELD_IN_THIS_JVM.remove(file);
            }
            if (System.nanoTime() >= deadline) {
                throw new ShippingException("Another build is writing " + folder + ": it holds the lock file "
                        + file + " (" + holder(file) + "), and it was not released within "
                        + (wait.toSeconds() > 0 ? wait.toSeconds() + " s" : wait.toMillis() + " ms")
                        + ". Wait for that build to finish; two builds of one module cannot write the same"
                        + " target folder at once. The lock goes away with the process holding it, so a lock file "
                        + "left by a finished or killed build never blocks.");
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("Interrupted while waiting for the lock on " + file, e);
            }
        }
    }

    private static String holder(Path file) {
        if (HELD_IN_THIS_JVM.contains(file)) {
            // Reading the file would open and close it, which drops this process's lock on Linux.
            return "held by another thread of this build, pid " + ProcessHandle.current().pid();
        }
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8).strip();
            return text.isEmpty() ? "holder unknown" : "held by " + text;
        } catch (IOException e) {
            return "holder unknown";
        }
    }

    /** Releases the lock; the file stays, empty of meaning once unlocked. */
    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            try {
                channel.close();
            } finally {
                HELD_IN_THIS_JVM.remove(file);
            }
        }
    }
}
