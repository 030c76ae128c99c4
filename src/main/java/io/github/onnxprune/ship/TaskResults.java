package io.github.onnxprune.ship;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * Waits for work another thread runs (a deflate, a hash, the models' files written) and gives back what it threw as
 * if the waiting thread had thrown it: an Error or an unchecked exception as itself, an IOException as itself (or,
 * where the wait cannot throw one, wrapped with its message), anything else as a bug; an interrupted wait keeps the
 * thread's interrupt flag set. The one place the run unwraps {@link ExecutionException}.
 */
public final class TaskResults {

    private TaskResults() {
    }

    /**
     * The result of {@code task}, waiting for it; {@code waitingFor} says what it does, for an interrupted wait's
     * message ("writing the models"). A cancelled task throws {@link java.util.concurrent.CancellationException}.
     */
    public static <T> T get(Future<T> task, String waitingFor) throws IOException {
        try {
            return task.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            InterruptedIOException interrupted = new InterruptedIOException("interrupted while " + waitingFor);
            interrupted.initCause(e);
            throw interrupted;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Error error) {
                throw error;
            }
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof IOException io) {
                throw io;
            }
            // The run's tasks throw nothing else checked: one that does is a bug, said with what it was doing.
            throw new IllegalStateException(waitingFor + " failed: " + cause, cause);
        }
    }

    /**
     * As {@link #get}, for a wait that cannot throw an IOException (a digest asked for inside a lambda): one is
     * rethrown as an {@link UncheckedIOException} with the same message.
     */
    public static <T> T getUnchecked(Future<T> task, String waitingFor) {
        try {
            return get(task, waitingFor);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }
}
