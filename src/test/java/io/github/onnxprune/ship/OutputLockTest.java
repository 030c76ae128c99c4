package io.github.onnxprune.ship;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Faults suite: two builds of one module at once, as threads of one JVM and as two processes. */
class OutputLockTest {

    @TempDir
    Path folder;

    @Test
    void aSecondThreadWaitsForTheFirstAndGetsTheLockWhenItIsReleased() throws Exception {
        Path output = folder.resolve("onnx-prune");
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Void> first = CompletableFuture.runAsync(() -> {
            try (OutputLock lock = OutputLock.acquire(output, Duration.ofSeconds(5))) {
                held.countDown();
                release.await();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertTrue(held.await(10, TimeUnit.SECONDS));

        ShippingException timeout = assertThrows(ShippingException.class,
                () -> OutputLock.acquire(output, Duration.ofMillis(300)));
        assertEquals("Another build is writing " + output + ": it holds the lock file " + output.toRealPath()
                + "/.lock (held by another thread of this build, pid " + ProcessHandle.current().pid() + "), and it"
                + " was not released within 300 ms. Wait for that build to finish; two builds of one module cannot"
                + " write the same target folder at once. The lock goes away with the process holding it, so a lock"
                + " file left by a finished or killed build never blocks.", timeout.getMessage());

        CompletableFuture<Long> second = CompletableFuture.supplyAsync(() -> {
            long start = System.nanoTime();
            try (OutputLock lock = OutputLock.acquire(output, Duration.ofSeconds(20))) {
                return System.nanoTime() - start;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(300);
        assertTrue(!second.isDone(), "the second waits while the first holds the lock");
        // Waiting threads never opened the file, so the first still holds the operating system's lock.
        Process child = ChildProcess.start(folder.resolve("child.log"), "lock", output.toString(), "1");
        assertEquals(1, child.waitFor());
        assertTrue(Files.readString(folder.resolve("child.log")).contains("Another build is writing"));
        release.countDown();
        first.get(10, TimeUnit.SECONDS);
        assertTrue(second.get(10, TimeUnit.SECONDS) >= 300_000_000L);
    }

    @Test
    void anotherProcessHoldingTheLockIsNamedAndItsDeathReleasesIt() throws Exception {
        Path output = folder.resolve("onnx-prune");
        Path log = folder.resolve("child.log");
        Process child = ChildProcess.start(log, "lock", output.toString());
        try {
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (!Files.exists(log) || !Files.readString(log).contains("locked")) {
                if (!child.isAlive() || System.nanoTime() > deadline) {
                    fail("the child did not take the lock: " + Files.readString(log));
                }
                Thread.sleep(10);
            }
            ShippingException timeout = assertThrows(ShippingException.class,
                    () -> OutputLock.acquire(output, Duration.ofMillis(500)));
            assertTrue(timeout.getMessage().contains("/.lock (held by pid " + child.pid() + " since "),
                    timeout.getMessage());
        } finally {
            // Killed, not closed: the operating system releases the lock of a dead process.
            child.destroyForcibly().waitFor();
        }
        OutputLock.acquire(output, Duration.ofSeconds(5)).close();
        assertTrue(Files.readString(output.resolve(".lock")).startsWith("pid " + ProcessHandle.current().pid()));
    }
}
