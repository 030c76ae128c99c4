package io.github.onnxprune.ship;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.FutureTask;
import org.junit.jupiter.api.Test;

class TaskResultsTest {

    private static <T> FutureTask<T> ran(Callable<T> work) {
        FutureTask<T> task = new FutureTask<>(work);
        task.run();
        return task;
    }

    @Test
    void aResultIsReturnedAndWhatTheTaskThrewIsRethrownAsItself() throws Exception {
        assertEquals("done", TaskResults.get(ran(() -> "done"), "x"));
        OutOfMemoryError error = new OutOfMemoryError("Java heap space");
        assertSame(error, assertThrows(OutOfMemoryError.class, () -> TaskResults.get(ran(() -> {
            throw error;
        }), "x")));
        assertSame(error, assertThrows(OutOfMemoryError.class, () -> TaskResults.getUnchecked(ran(() -> {
            throw error;
        }), "x")));
        IllegalArgumentException runtime = new IllegalArgumentException("bad");
        assertSame(runtime, assertThrows(IllegalArgumentException.class, () -> TaskResults.get(ran(() -> {
            throw runtime;
        }), "x")));
        assertSame(runtime, assertThrows(IllegalArgumentException.class, () -> TaskResults.getUnchecked(ran(() -> {
            throw runtime;
        }), "x")));
    }

    @Test
    void anIOExceptionKeepsItsMessageWhetherTheWaitMayThrowOneOrNot() {
        IOException full = new IOException("/target/x.onnx: No space left on device");
        assertSame(full, assertThrows(IOException.class, () -> TaskResults.get(ran(() -> {
            throw full;
        }), "writing the models")));
        UncheckedIOException wrapped = assertThrows(UncheckedIOException.class, () -> TaskResults.getUnchecked(
                ran(() -> {
                    throw full;
                }), "hashing a model"));
        assertEquals("/target/x.onnx: No space left on device", wrapped.getMessage());
        assertSame(full, wrapped.getCause());
    }

    @Test
    void anotherCheckedExceptionIsABugSaidWithWhatTheTaskWasDoing() {
        Exception other = new Exception("odd");
        IllegalStateException bug = assertThrows(IllegalStateException.class, () -> TaskResults.get(ran(() -> {
            throw other;
        }), "hashing a model"));
        assertEquals("hashing a model failed: java.lang.Exception: odd", bug.getMessage());
        assertSame(other, bug.getCause());
    }

    @Test
    void anInterruptedWaitKeepsTheInterruptFlagAndSaysWhatItWaitedFor() {
        FutureTask<String> neverRun = new FutureTask<>(() -> "late");
        Thread.currentThread().interrupt();
        InterruptedIOException interrupted = assertThrows(InterruptedIOException.class,
                () -> TaskResults.get(neverRun, "writing the models"));
        assertTrue(Thread.interrupted(), "the interrupt flag is set again");
        assertEquals("interrupted while writing the models", interrupted.getMessage());
        Thread.currentThread().interrupt();
        UncheckedIOException unchecked = assertThrows(UncheckedIOException.class,
                () -> TaskResults.getUnchecked(neverRun, "hashing a model"));
        assertTrue(Thread.interrupted(), "the interrupt flag is set again");
        assertEquals("interrupted while hashing a model", unchecked.getMessage());
        assertTrue(unchecked.getCause() instanceof InterruptedIOException);
    }

    @Test
    void aCancelledTaskSaysSo() {
        FutureTask<String> cancelled = new FutureTask<>(() -> "never");
        cancelled.cancel(false);
        assertThrows(CancellationException.class, () -> TaskResults.get(cancelled, "x"));
    }
}
