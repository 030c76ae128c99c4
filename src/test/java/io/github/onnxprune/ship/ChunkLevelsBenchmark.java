package io.github.onnxprune.ship;

import io.github.onnxprune.onnx.ModelBytes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.Deflater;

/**
 * For each model file given, chooses each chunk's method as {@link ChunkedDeflate} does, then deflates the chunks
 * that do not take Huffman coding alone (a pruned tensor's zeros, the graph) at zlib's levels 6, 5, 2 and 1, with
 * Huffman coding alone and with {@link RunLengthDeflate}, and as the choice does (runs, or level 5 where LZ77 pays),
 * one chunk at a time on one thread, and prints each row's total size (the whole entry's, the Huffman chunks
 * included) and the best of three CPU times of those chunks. Not a test (docs/minilm-benchmark.md has the command
 * and the figures).
 */
public final class ChunkLevelsBenchmark {

    private ChunkLevelsBenchmark() {
    }

    /** How one row deflates chunk {@code index} of {@code count}. */
    private interface Row {
        ChunkedDeflate.Piece deflate(ByteBuffer model, int index, int count);
    }

    /** Runs the benchmark on each file named. */
    public static void main(String[] args) throws IOException {
        for (String name : args) {
            ByteBuffer model = ModelBytes.map(Path.of(name));
            int count = Math.max(1, (model.limit() + ChunkedDeflate.CHUNK - 1) / ChunkedDeflate.CHUNK);
            List<Integer> matched = new ArrayList<>();
            List<ChunkedDeflate.Method> methods = new ArrayList<>();
            long huffmanBytes = 0;
            int lz77 = 0;
            long choosing = Long.MAX_VALUE;
            for (int round = 0; round < 3; round++) {
                long start = System.nanoTime();
                methods.clear();
                for (int i = 0; i < count; i++) {
                    methods.add(ChunkedDeflate.method(ChunkedDeflate.chunkOf(model, i)));
                }
                choosing = Math.min(choosing, System.nanoTime() - start);
            }
            for (int i = 0; i < count; i++) {
                if (methods.get(i) == ChunkedDeflate.Method.HUFFMAN) {
                    huffmanBytes += ChunkedDeflate.chunk(model, i, count, ChunkedDeflate.Method.HUFFMAN).length();
                } else {
                    matched.add(i);
                    lz77 += methods.get(i) == ChunkedDeflate.Method.LZ77 ? 1 : 0;
                }
            }
            System.out.printf(Locale.ROOT, "%s: %,d bytes, %d chunks, %d of them with matches (%d LZ77, %d runs;"
                    + " %,d bytes of Huffman-only chunks); choosing every chunk's method %.2f s%n", name,
                    model.limit(), count, matched.size(), lz77, matched.size() - lz77, huffmanBytes, choosing / 1e9);
            String[] labels = {"level 6 (default)", "level 5", "level 2", "level 1", "Huffman only", "runs",
                "the choice"};
            List<Row> rows = new ArrayList<>();
            for (int level : new int[] {6, 5, 2, 1}) {
                rows.add((content, index, all) -> ChunkedDeflate.chunk(content, index, all, level,
                        Deflater.DEFAULT_STRATEGY));
            }
            rows.add((content, index, all) -> ChunkedDeflate.chunk(content, index, all,
                    ChunkedDeflate.Method.HUFFMAN));
            rows.add((content, index, all) -> ChunkedDeflate.chunk(content, index, all, ChunkedDeflate.Method.RUNS));
            rows.add((content, index, all) -> ChunkedDeflate.chunk(content, index, all, methods.get(index)));
            long reference = 0;
            for (int k = 0; k < rows.size(); k++) {
                long size = 0;
                long best = Long.MAX_VALUE;
                for (int round = 0; round < 3; round++) {
                    long start = System.nanoTime();
                    size = 0;
                    for (int index : matched) {
                        size += rows.get(k).deflate(model, index, count).length();
                    }
                    best = Math.min(best, System.nanoTime() - start);
                }
                long entry = size + huffmanBytes;
                if (k == 0) {
                    reference = entry;
                }
                System.out.printf(Locale.ROOT, "  those chunks by %-18s entry %,d bytes (%+.2f%%), those chunks %.2f s"
                        + " on one thread (%.1f ms a chunk)%n", labels[k] + ":", entry,
                        100.0 * (entry - reference) / reference, best / 1e9, best / 1e6 / matched.size());
            }
        }
    }
}
