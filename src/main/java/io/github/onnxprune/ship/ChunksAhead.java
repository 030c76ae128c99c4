package io.github.onnxprune.ship;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.FutureTask;

/**
 * Chunks of models deflated ahead, on a thread of their own, while the run still prunes them and prepares the jar,
 * so that the jar rewrite takes each chunk from here instead of deflating it then: first the chunks of each original
 * that the pruning will not change (the second core is partly idle while one thread prunes), then, once the model to
 * ship is serialized, its other chunks. A chunk of {@link ChunkedDeflate}'s stream depends only on its own bytes, the
 * {@link ChunkedDeflate#WINDOW} bytes before it and whether it is the last: a chunk deflated ahead is used only when
 * the content to ship holds the same bytes there (compared, not assumed) and it is the last chunk of both or of
 * neither, so the entry's bytes are the same as without it. Thread-safe; ahead work is bounded by
 * {@link #budgetBytes} of input and stops when {@link #stop} is called (the final deflate has begun).
 */
public final class ChunksAhead implements AutoCloseable {

    /** Deflates nothing ahead: every chunk is deflated when the entry is. */
    public static final ChunksAhead NONE = new ChunksAhead(0);

    private final long budgetBytes;
    private final List<Source> sources = new ArrayList<>();
    private long started;
    private int taken;
    private boolean stopped;
    private Thread worker;

    /** Deflates ahead at most {@code budgetBytes} of input (the pieces are held on the heap until closed). */
    public ChunksAhead(long budgetBytes) {
        this.budgetBytes = budgetBytes;
    }

    /** Ahead work for a run: at most an eighth of the heap's maximum size. */
    public static ChunksAhead forRun() {
        return new ChunksAhead(Runtime.getRuntime().maxMemory() / 8);
    }

    /**
     * A stretch of an original that the pruning is expected to change.
     *
     * @param offset its first byte
     * @param length its length in bytes
     */
    public record Span(int offset, int length) {
    }

    /** One content whose chunks are deflated ahead. */
    private static final class Source {
        /** The buffer given: a deflate of this very buffer takes its pieces without comparing bytes. */
        private final ByteBuffer given;
        private final ByteBuffer bytes;
        private final int count;
        private final FutureTask<ChunkedDeflate.Piece>[] pieces;
        private final BitSet skipped;
        /** Whether its last chunk is deflated too: a content as shipped, not an original that will be changed. */
        private final boolean whole;
        private int next;

        @SuppressWarnings("unchecked")
        Source(ByteBuffer bytes, List<Span> changing, boolean whole) {
            this.given = bytes;
            this.bytes = bytes.duplicate().position(0);
            this.count = ChunkedDeflate.chunkCount(this.bytes.limit());
            this.pieces = new FutureTask[count];
            this.whole = whole;
            // A chunk is left out when a change can reach its bytes or the window before it.
            this.skipped = new BitSet(count);
            for (Span span : changing) {
                if (span.length() > 0) {
                    int first = span.offset() / ChunkedDeflate.CHUNK;
                    int last = (span.offset() + span.length() - 1 + ChunkedDeflate.WINDOW) / ChunkedDeflate.CHUNK;
                    skipped.set(first, Math.min(last + 1, count));
                }
            }
        }

        /** The chunks deflated ahead: all, or all but the last. */
        int ahead() {
            return whole ? count : count - 1;
        }

        /**
         * Whether chunk {@code index} of {@code content} deflates to this source's piece: the same bytes from the
         * window before it to its end, and the last chunk of both (the same length) or of neither.
         */
        boolean sameChunk(ByteBuffer content, int index) {
            int contentCount = ChunkedDeflate.chunkCount(content.limit());
            boolean last = index == contentCount - 1;
            if (last ? content.limit() != bytes.limit() : index >= count - 1) {
                return false;
            }
            int from = Math.max(0, index * ChunkedDeflate.CHUNK - ChunkedDeflate.WINDOW);
            int to = Math.min(content.limit(), (index + 1) * ChunkedDeflate.CHUNK);
            return content.slice(from, to - from).mismatch(bytes.slice(from, to - from)) == -1;
        }
    }

    /**
     * Starts deflating {@code original}'s chunks (position 0 to its limit), after those of contents given before,
     * in file order; its last chunk is left out (the content shipped ends otherwise).
     */
    public void deflateAhead(ByteBuffer original) {
        deflateAhead(original, List.of());
    }

    /**
     * As {@link #deflateAhead(ByteBuffer)}, leaving out the chunks that {@code changing} reaches: their work would be
     * lost, on a core the pruning uses too.
     */
    public void deflateAhead(ByteBuffer original, List<Span> changing) {
        add(new Source(original, changing, false));
    }

    /**
     * Starts deflating the chunks of {@code shipped}, a content as it will be shipped, last chunk included, once those
     * given before are started, except the chunks that one of those already holds with the same bytes.
     */
    public void deflateShipped(ByteBuffer shipped) {
        add(new Source(shipped, List.of(), true));
    }

    private void add(Source source) {
        if (budgetBytes <= 0) {
            return;
        }
        synchronized (this) {
            if (stopped) {
                return;
            }
            sources.add(source);
            if (worker == null) {
                worker = new Thread(this::work, "onnx-prune-deflate-ahead");
                worker.setDaemon(true);
                worker.start();
            }
        }
    }

    private void work() {
        while (true) {
            FutureTask<ChunkedDeflate.Piece> task = nextTask();
            if (task == null) {
                return;
            }
            task.run();
        }
    }

    /** The next chunk to deflate ahead, registered before it runs; null when stopped or there is none. */
    private synchronized FutureTask<ChunkedDeflate.Piece> nextTask() {
        for (int s = 0; s < sources.size(); s++) {
            Source source = sources.get(s);
            if (stopped || started + ChunkedDeflate.CHUNK > budgetBytes) {
                break;
            }
            while (source.next < source.ahead()) {
                if (!source.skipped.get(source.next)) {
                    FutureTask<ChunkedDeflate.Piece> held = heldBefore(s, source.bytes, source.next);
                    if (held == null) {
                        break;
                    }
                    // Compared once here, so that a deflate of this buffer takes it without comparing again.
                    source.pieces[source.next] = held;
                }
                source.next++;
            }
            if (source.next < source.ahead()) {
                int index = source.next++;
                ByteBuffer bytes = source.bytes;
                int count = source.count;
                FutureTask<ChunkedDeflate.Piece> task = new FutureTask<>(() -> {
                    ChunkedDeflate.Piece piece = ChunkedDeflate.chunk(bytes, index, count);
                    // Trimmed: the pieces wait on the heap until the entry is written.
                    return new ChunkedDeflate.Piece(Arrays.copyOf(piece.bytes(), piece.length()), piece.length());
                });
                source.pieces[index] = task;
                started += ChunkedDeflate.CHUNK;
                return task;
            }
        }
        worker = null;
        return null;
    }

    /** The piece a source before the {@code before}-th started for chunk {@code index} of {@code content}, or null. */
    private FutureTask<ChunkedDeflate.Piece> heldBefore(int before, ByteBuffer content, int index) {
        for (int s = 0; s < before; s++) {
            Source earlier = sources.get(s);
            if (index < earlier.count && earlier.pieces[index] != null && earlier.sameChunk(content, index)) {
                return earlier.pieces[index];
            }
        }
        return null;
    }

    /** Starts no further chunk; one being deflated finishes and can still be used. */
    public synchronized void stop() {
        if (budgetBytes > 0) {
            stopped = true;
        }
    }

    /**
     * Chunk {@code index} of {@code count} of {@code content} (position 0 to its limit) as deflated ahead, waiting
     * for it if it is being deflated; empty when no content given here holds the same bytes there or its chunk was
     * not started.
     */
    Optional<ChunkedDeflate.Piece> take(ByteBuffer content, int index, int count) {
        List<Source> candidates = new ArrayList<>();
        synchronized (this) {
            for (Source source : sources) {
                if (index < source.count && source.pieces[index] != null) {
                    candidates.add(source);
                }
            }
        }
        for (Source source : candidates) {
            // The pieces array is only ever filled, never cleared but by close, so the task read here stays valid.
            FutureTask<ChunkedDeflate.Piece> task;
            synchronized (this) {
                task = source.pieces[index];
            }
            if (task != null && (source.given == content || source.sameChunk(content, index))) {
                ChunkedDeflate.Piece piece = await(task);
                synchronized (this) {
                    taken++;
                }
                return Optional.of(piece);
            }
        }
        return Optional.empty();
    }

    private static ChunkedDeflate.Piece await(FutureTask<ChunkedDeflate.Piece> task) {
        return TaskResults.getUnchecked(task, "waiting for a chunk deflated ahead");
    }

    /** The chunks deflated ahead so far (finished or not), for tests and the debug log. */
    public synchronized int startedChunks() {
        return (int) (started / ChunkedDeflate.CHUNK);
    }

    /** How many times a chunk deflated ahead was used in an entry, for tests and the debug log. */
    public synchronized int takenChunks() {
        return taken;
    }

    /** Waits until the ahead work has nothing left to start (budget spent, stopped, or every chunk started). */
    public void awaitIdle() throws InterruptedException {
        Thread running;
        synchronized (this) {
            running = worker;
        }
        if (running != null) {
            running.join();
        }
    }

    /**
     * Stops the ahead work, waits for the chunk being deflated (no thread of the run reads a model once it ends:
     * Maven closes the plugin's class realm after the goal) and lets the pieces go.
     */
    @Override
    public void close() {
        if (budgetBytes <= 0) {
            return;
        }
        Thread running;
        synchronized (this) {
            stopped = true;
            running = worker;
        }
        boolean interrupted = false;
        while (running != null && running.isAlive()) {
            try {
                running.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        synchronized (this) {
            sources.clear();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
