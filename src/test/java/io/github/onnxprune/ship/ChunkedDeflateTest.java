package io.github.onnxprune.ship;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
import org.junit.jupiter.api.Test;

class ChunkedDeflateTest {

    @Test
    void theBytesAreTheSameForAnyNumberOfThreads() throws Exception {
        byte[] content = mixed(3 * ChunkedDeflate.CHUNK + 12_345);
        // A half-pruned tensor in the second and third chunks, so that runs are used too.
        byte[] pruned = RunLengthDeflateTest.halfPruned(2 * ChunkedDeflate.CHUNK, new Random(9));
        System.arraycopy(pruned, 0, content, ChunkedDeflate.CHUNK, pruned.length);
        byte[] one = stream(content, 1);
        for (int threads : new int[] {2, 3, 4, 8}) {
            assertArrayEquals(one, stream(content, threads), threads + " threads");
        }
        assertEquals(one.length, ChunkedDeflate.deflatedSize(ByteBuffer.wrap(content)));
        assertArrayEquals(content, inflate(one));
    }

    @Test
    void theStreamInflatesToTheContentWithItsCrcAndSizes() throws Exception {
        for (int length : new int[] {0, 1, 1000, ChunkedDeflate.CHUNK, ChunkedDeflate.CHUNK + 1,
                2 * ChunkedDeflate.CHUNK + 777}) {
            byte[] content = mixed(length);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ChunkedDeflate.Deflated deflated = ChunkedDeflate.deflate(ByteBuffer.wrap(content), 2, out);
            byte[] stream = out.toByteArray();
            assertArrayEquals(content, inflate(stream), length + " bytes");
            CRC32 crc = new CRC32();
            crc.update(content);
            assertEquals(crc.getValue(), deflated.crc());
            assertEquals(length, deflated.size());
            assertEquals(stream.length, deflated.compressedSize());
        }
    }

    @Test
    void runsOfZerosAreMatchedAndRandomBytesTakeHuffmanCodingAlone() throws Exception {
        // 90% zeros in float positions, as a heavily pruned tensor: the runs must be used.
        ByteBuffer sparse = ByteBuffer.allocate(2 * ChunkedDeflate.CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        Random random = new Random(3);
        while (sparse.hasRemaining()) {
            sparse.putFloat(random.nextInt(10) == 0 ? (float) random.nextGaussian() : 0f);
        }
        long chunked = stream(sparse.flip(), 2).length;
        long huffmanOnly = ChunkedDeflate.streamLength(sparse, Deflater.BEST_SPEED, Deflater.HUFFMAN_ONLY);
        long defaultLevel = ChunkedDeflate.streamLength(sparse, Deflater.DEFAULT_COMPRESSION,
                Deflater.DEFAULT_STRATEGY);
        assertTrue(chunked < 0.8 * huffmanOnly, chunked + " against Huffman alone " + huffmanOnly);
        // Within 1.1% of the default level on zeros at random positions (0.12% smaller than level 5 on
        // all-minilm-l6-v2's entry at 90% of weights).
        assertTrue(chunked < 1.03 * defaultLevel, chunked + " against the default level " + defaultLevel);
        // Random bytes: Huffman coding alone, within a stored block's overhead of the content itself.
        byte[] noise = new byte[ChunkedDeflate.CHUNK];
        random.nextBytes(noise);
        byte[] noiseStream = stream(noise, 2);
        assertTrue(noiseStream.length <= noise.length + 1000, noiseStream.length + " bytes for " + noise.length);
        assertArrayEquals(noise, inflate(noiseStream));
    }

    @Test
    void aHalfPrunedFloatTensorShipsWithinHalfAPercentOfLevelFive() throws Exception {
        // The smaller half of the floats zero, as 50% magnitude pruning leaves them: the fastest level's LZ77 gains
        // next to nothing over Huffman coding alone here, the lazy matches of levels 5 and 6 a few percent, and the
        // runs (RunLengthDeflate) nearly as much.
        ByteBuffer half = ByteBuffer.wrap(RunLengthDeflateTest.halfPruned(2 * ChunkedDeflate.CHUNK, new Random(5)));
        for (int index = 0; index < 2; index++) {
            assertEquals(ChunkedDeflate.Method.RUNS, ChunkedDeflate.method(ChunkedDeflate.chunkOf(half, index)));
        }
        long chunked = stream(half, 2).length;
        long huffmanOnly = ChunkedDeflate.streamLength(half, Deflater.BEST_SPEED, Deflater.HUFFMAN_ONLY);
        long levelFive = ChunkedDeflate.streamLength(half, ChunkedDeflate.LZ77_LEVEL, Deflater.DEFAULT_STRATEGY);
        assertTrue(levelFive < 0.99 * huffmanOnly, levelFive + " against Huffman alone " + huffmanOnly);
        // 0.18% larger than level 5 on all-minilm-l6-v2's entry at 50% of weights, 0.12% smaller at 90%.
        assertTrue(chunked < 1.005 * levelFive, chunked + " against level 5's " + levelFive);
    }

    @Test
    void textTakesLz77AndDenseFloatsHuffmanCodingAlone() {
        byte[] text = mixed(200_000);
        assertEquals(ChunkedDeflate.Method.LZ77, ChunkedDeflate.method(ByteBuffer.wrap(text)));
        ByteBuffer dense = ByteBuffer.allocate(ChunkedDeflate.CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        Random random = new Random(7);
        while (dense.hasRemaining()) {
            dense.putFloat((float) (0.05 * random.nextGaussian()));
        }
        assertEquals(ChunkedDeflate.Method.HUFFMAN, ChunkedDeflate.method(dense.flip()));
    }

    @Test
    void aThreadCountBelowOneIsRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> ChunkedDeflate.deflate(ByteBuffer.wrap(new byte[1]), 0, new ByteArrayOutputStream()));
    }

    /** Text, zeros and noise in turn, so that chunks take both strategies. */
    static byte[] mixed(int length) {
        byte[] content = new byte[length];
        Random random = new Random(length);
        byte[] text = "the pruned model's graph, names and small tensors ".getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < length; i++) {
            int region = (i / 200_000) % 3;
            content[i] = switch (region) {
                case 0 -> text[i % text.length];
                case 1 -> (byte) (i % 9 == 0 ? random.nextInt() : 0);
                default -> (byte) random.nextInt();
            };
        }
        return content;
    }

    static byte[] stream(byte[] content, int threads) throws IOException {
        return stream(ByteBuffer.wrap(content), threads);
    }

    static byte[] stream(ByteBuffer content, int threads) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ChunkedDeflate.deflate(content, threads, out);
        return out.toByteArray();
    }

    static byte[] inflate(byte[] stream) throws DataFormatException {
        Inflater inflater = new Inflater(true);
        try {
            inflater.setInput(stream);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buffer = new byte[64 * 1024];
            while (!inflater.finished()) {
                int n = inflater.inflate(buffer);
                if (n == 0 && !inflater.finished() && (inflater.needsInput() || inflater.needsDictionary())) {
                    throw new DataFormatException("the stream ended before its last block");
                }
                out.write(buffer, 0, n);
            }
            assertEquals(0, inflater.getRemaining(), "nothing follows the last block");
            return out.toByteArray();
        } finally {
            inflater.end();
        }
    }
}
