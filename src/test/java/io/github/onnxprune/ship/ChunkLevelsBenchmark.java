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
 * For each model file given, splits its chunks as {@link ChunkedDeflate} does into those that take Huffman coding
 * alone and those whose sample LZ77 pays for (a pruned tensor's zeros), then deflates the latter at levels 1, 2,
 * 5 and 6 and with Huffman coding alone, one chunk at a time on one thread, and prints each choice's total size
 * (the whole entry's, the Huffman chunks included) and the best of three CPU times of those chunks. Not a test
 * (docs/minilm-benchmark.md has the command and the figures).
 */
public final class ChunkLevelsBenchmark {

    private ChunkLevelsBenchmark() {
    }

    /** Runs the benchmark on each file named. */
    public static void main(String[] args) throws IOException {
        for (String name : args) {
            ByteBuffer model = ModelBytes.map(Path.of(name));
            int count = Math.max(1, (model.limit() + ChunkedDeflate.CHUNK - 1) / ChunkedDeflate.CHUNK);
            List<Integer> lz77 = new ArrayList<>();
            long huffmanBytes = 0;
            for (int i = 0; i < count; i++) {
                if (ChunkedDeflate.lz77Pays(ChunkedDeflate.chunkOf(model, i))) {
                    lz77.add(i);
                } else {
                    huffmanBytes += ChunkedDeflate.chunk(model, i, count, Deflater.BEST_SPEED,
                            Deflater.HUFFMAN_ONLY).length();
                }
            }
            System.out.printf(Locale.ROOT, "%s: %,d bytes, %d chunks, %d of them LZ77 (%,d bytes of Huffman-only"
                    + " chunks)%n", name, model.limit(), count, lz77.size(), huffmanBytes);
            String[] labels = {"level 6 (default)", "level 5", "level 2", "level 1", "Huffman only"};
            int[] levels = {6, 5, 2, 1, Deflater.BEST_SPEED};
            int[] strategies = {Deflater.DEFAULT_STRATEGY, Deflater.DEFAULT_STRATEGY, Deflater.DEFAULT_STRATEGY,
                Deflater.DEFAULT_STRATEGY, Deflater.HUFFMAN_ONLY};
            long reference = 0;
            for (int k = 0; k < levels.length; k++) {
                long size = 0;
                long best = Long.MAX_VALUE;
                for (int round = 0; round < 3; round++) {
                    long start = System.nanoTime();
                    size = 0;
                    for (int index : lz77) {
                        size += ChunkedDeflate.chunk(model, index, count, levels[k], strategies[k]).length();
                    }
                    best = Math.min(best, System.nanoTime() - start);
                }
                long entry = size + huffmanBytes;
                if (k == 0) {
                    reference = entry;
                }
                System.out.printf(Locale.ROOT, "  LZ77 chunks at %-18s entry %,d bytes (%+.2f%%), those chunks %.2f s"
                        + " on one thread%n", labels[k] + ":", entry, 100.0 * (entry - reference) / reference,
                        best / 1e9);
            }
        }
    }
}
