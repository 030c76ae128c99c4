package io.github.onnxprune.ship;

import io.github.onnxprune.onnx.ModelBytes;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;

/**
 * Deflates a large entry on several threads with the same bytes for any number of threads, as pigz does: the
 * content is cut into fixed {@link #CHUNK}-byte chunks, each deflated on its own with the 32 KiB before it as
 * preset dictionary and ended by a sync flush (the last one finished), so the chunks' streams concatenate into
 * one raw deflate stream that any inflater reads. Each chunk's {@link Method} is chosen from its first 16 KiB:
 * zlib's LZ77 at {@link #LZ77_LEVEL} where even its fastest level beats runs by 2% (text, a model's graph),
 * {@link RunLengthDeflate} where its runs make the sample at least 1% smaller than Huffman coding alone (a pruned
 * tensor's zeros), and Huffman coding alone ({@link HuffmanDeflate}) otherwise (bytes that rarely repeat: a dense
 * float table's mantissas, int8 values).
 */
public final class ChunkedDeflate {

    /** Bytes per chunk: large enough that the sync flushes and fresh Huffman tables cost under 0.01%. */
    static final int CHUNK = 1 << 20;

    /**
     * How much of a chunk is tried each way to choose its method: a 16 KiB sample costs a quarter of a 64 KiB one
     * (0.05 s of CPU for MiniLM's 87 chunks) and made its pruned entry 0.07% larger (one mixed chunk less takes
     * LZ77), the fixtures' the same (docs/minilm-benchmark.md, "Session 18").
     */
    private static final int SAMPLE = 16 * 1024;

    /** zlib's fastest level must make the sample this much smaller than runs for a chunk to take LZ77. */
    private static final double LZ77_WORTH = 0.98;

    /** Runs must make the sample this much smaller than Huffman coding alone to be used. */
    private static final double RUNS_WORTH = 0.99;

    /**
     * The level of chunks LZ77 pays in: zlib's level 5 makes all-MiniLM-L6-v2's entry at 50% of weights 0.29% larger
     * than the default level 6 and takes 42% less time on those chunks (docs/minilm-benchmark.md, "Session 16").
     */
    static final int LZ77_LEVEL = 5;

    /** How a chunk is deflated. */
    enum Method {
        /** Huffman coding alone, no matches: {@link HuffmanDeflate}. */
        HUFFMAN,
        /** {@link RunLengthDeflate}: runs and a pruned tensor's zeros. */
        RUNS,
        /** zlib's LZ77 at {@link #LZ77_LEVEL}. */
        LZ77
    }

    /** The window deflate can refer back to, so the most of the previous chunk worth giving as dictionary. */
    static final int WINDOW = 32 * 1024;

    private ChunkedDeflate() {
    }

    /**
     * What a zip entry's headers need of a deflated content.
     *
     * @param size the content's length
     * @param crc the content's CRC-32
     * @param compressedSize the deflate stream's length
     */
    public record Deflated(long size, long crc, long compressedSize) {
    }

    /** The threads a deflate uses by default: one per processor. */
    public static int defaultThreads() {
        return Runtime.getRuntime().availableProcessors();
    }

    /** The length of {@code content} (from position 0 to its limit) once deflated, as shipped in a jar. */
    public static long deflatedSize(ByteBuffer content) {
        try {
            return deflate(content, defaultThreads(), OutputStream.nullOutputStream()).compressedSize();
        } catch (IOException e) {
            throw new UncheckedIOException("a stream that discards its bytes cannot fail", e);
        }
    }

    /**
     * Writes {@code content} (from position 0 to its limit) deflated to {@code sink}, on {@code threads} threads;
     * the bytes are the same for any number of threads. At most twice as many chunks as threads are held at once,
     * so memory stays a few megabytes for a model of any size. A content of one chunk or less, or one thread,
     * runs on the calling thread.
     */
    public static Deflated deflate(ByteBuffer content, int threads, OutputStream sink) throws IOException {
        return deflate(content, threads, sink, ChunksAhead.NONE);
    }

    /**
     * As {@link #deflate(ByteBuffer, int, OutputStream)}, taking each chunk that {@code ahead} deflated from the same
     * bytes from there (the bytes written are the same); {@code ahead} starts no further chunk once this begins.
     */
    public static Deflated deflate(ByteBuffer content, int threads, OutputStream sink, ChunksAhead ahead)
            throws IOException {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, not " + threads);
        }
        // From now on the threads here deflate what is left, on cores the ahead work would compete for.
        ahead.stop();
        ByteBuffer source = content.duplicate().position(0);
        int length = source.limit();
        int count = chunkCount(length);
        long compressed = 0;
        if (count == 1 || threads == 1) {
            for (int i = 0; i < count; i++) {
                Piece chunk = chunk(source, content, i, count, ahead);
                sink.write(chunk.bytes(), 0, chunk.length());
                compressed += chunk.length();
            }
            return new Deflated(length, ModelBytes.crc32(source), compressed);
        }
        AtomicInteger created = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(threads, count), task -> {
            Thread thread = new Thread(task, "onnx-prune-deflate-" + created.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        try {
            int window = 2 * threads;
            Deque<Future<Piece>> pending = new ArrayDeque<>(window);
            int submitted = 0;
            for (; submitted < Math.min(window, count); submitted++) {
                int index = submitted;
                pending.add(pool.submit(() -> chunk(source, content, index, count, ahead)));
            }
            // The CRC-32 runs on this thread while the pool deflates; it has no per-chunk form to combine.
            long crc = ModelBytes.crc32(source);
            while (!pending.isEmpty()) {
                Piece chunk = TaskResults.get(pending.removeFirst(), "deflating a model's chunks");
                if (submitted < count) {
                    int index = submitted++;
                    pending.add(pool.submit(() -> chunk(source, content, index, count, ahead)));
                }
                sink.write(chunk.bytes(), 0, chunk.length());
                compressed += chunk.length();
            }
            return new Deflated(length, crc, compressed);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Adds {@code content} (from position 0 to its limit) to {@code zip} as the deflated entry {@code entry},
     * deflated on every core. The zip format puts the compressed size before the data, so the stream goes to a
     * temporary file beside {@code archive} first (the heap never holds it: 66 MB for a 90 MB float model; a killed
     * build's is removed by the next run, as any of {@link AtomicFiles}'s) and is then copied in. Chunks
     * {@code ahead} deflated from the same bytes are taken from there ({@link ChunksAhead#NONE}: none).
     */
    static void addEntry(ZipArchiveOutputStream zip, ZipArchiveEntry entry, ByteBuffer content, Path archive,
            ChunksAhead ahead) throws IOException {
        Path spill = AtomicFiles.temporaryFor(archive.resolveSibling(archive.getFileName() + ".entry"));
        try {
            Deflated deflated;
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(spill), 1 << 16)) {
                deflated = deflate(content, defaultThreads(), out, ahead);
            }
            entry.setMethod(ZipEntry.DEFLATED);
            entry.setSize(deflated.size());
            entry.setCompressedSize(deflated.compressedSize());
            entry.setCrc(deflated.crc());
            try (InputStream in = Files.newInputStream(spill)) {
                zip.addRawArchiveEntry(entry, in);
            }
        } finally {
            Files.deleteIfExists(spill);
        }
    }

    /** How many chunks a content of {@code length} bytes is cut into (one at least, for an empty content). */
    static int chunkCount(int length) {
        return Math.max(1, (length + CHUNK - 1) / CHUNK);
    }

    /**
     * Chunk {@code index} of {@code count} of {@code content} deflated, or taken from {@code ahead} when it deflated
     * the same bytes ({@code given} is the caller's buffer, which {@code ahead} may know as it is).
     */
    private static Piece chunk(ByteBuffer content, ByteBuffer given, int index, int count, ChunksAhead ahead) {
        return ahead.take(given, index, count).orElseGet(() -> chunk(content, index, count));
    }

    /** Chunk {@code index} of {@code count} deflated, depending on nothing but the content's bytes. */
    static Piece chunk(ByteBuffer content, int index, int count) {
        return chunk(content, index, count, method(chunkOf(content, index)));
    }

    /** Chunk {@code index} of {@code count} deflated by {@code method}. */
    static Piece chunk(ByteBuffer content, int index, int count, Method method) {
        boolean last = index == count - 1;
        return switch (method) {
            case HUFFMAN -> HuffmanDeflate.deflate(content, index * CHUNK, chunkLength(content, index), last);
            case LZ77 -> chunk(content, index, count, LZ77_LEVEL, Deflater.DEFAULT_STRATEGY);
            case RUNS -> RunLengthDeflate.deflate(content, index * CHUNK, chunkLength(content, index), last);
        };
    }

    /** The bytes of chunk {@code index}, a slice of the content's own buffer. */
    static ByteBuffer chunkOf(ByteBuffer content, int index) {
        return content.slice(index * CHUNK, chunkLength(content, index));
    }

    /** Chunk {@code index}'s length: {@link #CHUNK}, or what is left for the last one. */
    private static int chunkLength(ByteBuffer content, int index) {
        return Math.min(content.limit() - index * CHUNK, CHUNK);
    }

    /**
     * Chunk {@code index} of {@code count} deflated at {@code level} with {@code strategy}, with the 32 KiB before
     * it as dictionary unless Huffman coding alone (which never refers back) is asked for.
     */
    static Piece chunk(ByteBuffer content, int index, int count, int level, int strategy) {
        int start = index * CHUNK;
        // Slices of the model's own buffer: the deflater reads a direct buffer in place, without a heap copy.
        ByteBuffer input = chunkOf(content, index);
        int length = input.limit();
        boolean last = index == count - 1;
        Deflater deflater = new Deflater(level, true);
        try {
            deflater.setStrategy(strategy);
            if (strategy != Deflater.HUFFMAN_ONLY && start > 0) {
                int window = Math.min(WINDOW, start);
                deflater.setDictionary(content.slice(start - window, window));
            }
            deflater.setInput(input);
            if (last) {
                deflater.finish();
            }
            return drain(deflater, length, last);
        } finally {
            deflater.end();
        }
    }

    /**
     * How a chunk is deflated, from its first {@link #SAMPLE} bytes: LZ77 when zlib's fastest level makes them
     * {@link #LZ77_WORTH} of what runs do (repeated strings, which runs miss and every level finds), else runs when
     * they make them {@link #RUNS_WORTH} of Huffman coding alone, else Huffman coding alone.
     */
    static Method method(ByteBuffer input) {
        ByteBuffer sample = input.slice(0, Math.min(SAMPLE, input.limit()));
        long runs = RunLengthDeflate.deflate(sample, 0, sample.limit(), true).length();
        if (streamLength(sample, Deflater.BEST_SPEED, Deflater.DEFAULT_STRATEGY) < LZ77_WORTH * runs) {
            return Method.LZ77;
        }
        long huffman = HuffmanDeflate.length(sample);
        return runs < RUNS_WORTH * huffman ? Method.RUNS : Method.HUFFMAN;
    }

    /**
     * The length of {@code content} (position 0 to its limit) deflated as one raw stream on one thread at the given
     * level and strategy; {@code streamLength(content, Deflater.DEFAULT_COMPRESSION, Deflater.DEFAULT_STRATEGY)}
     * is what jar tools write.
     */
    public static long streamLength(ByteBuffer content, int level, int strategy) {
        Deflater deflater = new Deflater(level, true);
        try {
            deflater.setStrategy(strategy);
            deflater.setInput(content.duplicate().position(0));
            deflater.finish();
            byte[] buffer = new byte[64 * 1024];
            long total = 0;
            while (!deflater.finished()) {
                total += deflater.deflate(buffer);
            }
            return total;
        } finally {
            deflater.end();
        }
    }

    /** The first {@code length} bytes of {@code bytes} are one chunk's deflate stream. */
    record Piece(byte[] bytes, int length) {
    }

    /**
     * Everything the deflater produces: up to the end of the stream for the last chunk, otherwise through a sync
     * flush (which ends on a byte boundary, so the next chunk's stream can follow it directly).
     */
    private static Piece drain(Deflater deflater, int inputLength, boolean last) {
        byte[] output = new byte[inputLength + inputLength / 8 + 1024];
        int written = 0;
        while (true) {
            if (written == output.length) {
                output = Arrays.copyOf(output, output.length * 2);
            }
            int produced = deflater.deflate(output, written, output.length - written,
                    last ? Deflater.NO_FLUSH : Deflater.SYNC_FLUSH);
            written += produced;
            boolean done = last ? deflater.finished() : written < output.length && deflater.needsInput();
            if (done) {
                return new Piece(output, written);
            }
        }
    }
}
