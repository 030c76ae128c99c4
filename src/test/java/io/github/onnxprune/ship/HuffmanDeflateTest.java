package io.github.onnxprune.ship;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;

class HuffmanDeflateTest {

    @Test
    void edgeCasesInflateByteForByteAndTheEstimateIsWithinBytesOfTheLength() throws Exception {
        Random random = new Random(21);
        byte[] noise = new byte[3 * HuffmanDeflate.BLOCK + 5];
        random.nextBytes(noise);
        byte[] dense = denseFloats(3 * HuffmanDeflate.BLOCK + 2, random);
        byte[][] contents = {
            new byte[0],
            {42},
            {0, 0},
            {-1, 1},
            {1, 2, 3},
            {1, 2, 3, 4},
            new byte[1000],
            RunLengthDeflateTest.filled(HuffmanDeflate.BLOCK, (byte) 0x5A),
            noise,
            Arrays.copyOf(noise, 65_535),
            Arrays.copyOf(noise, 65_536),
            Arrays.copyOf(noise, 65_537),
            dense,
            Arrays.copyOf(dense, HuffmanDeflate.BLOCK - 1),
            Arrays.copyOf(dense, HuffmanDeflate.BLOCK + 1),
            Arrays.copyOf(dense, 2 * HuffmanDeflate.BLOCK),
        };
        for (byte[] content : contents) {
            byte[] stream = single(content);
            assertArrayEquals(content, ChunkedDeflateTest.inflate(stream), content.length + " bytes");
            // The estimate counts each stored block's padding as 7 bits, and an empty stream's final block not at all.
            long estimate = HuffmanDeflate.length(ByteBuffer.wrap(content));
            int blocks = (content.length + HuffmanDeflate.BLOCK - 1) / HuffmanDeflate.BLOCK;
            assertTrue(estimate >= stream.length - 2 && estimate <= stream.length + blocks,
                    content.length + " bytes: " + estimate + " for " + stream.length);
        }
    }

    @Test
    void everyByteValueAndEveryTailLengthInflates() throws Exception {
        // All 256 literals in one block, and every length modulo the three codes the encoder writes at once.
        for (int length = 250; length < 262; length++) {
            byte[] content = new byte[length];
            for (int i = 0; i < length; i++) {
                content[i] = (byte) (i * 7);
            }
            assertArrayEquals(content, ChunkedDeflateTest.inflate(single(content)), length + " bytes");
        }
    }

    @Test
    void skewedBytesKeepCodesWithinFifteenBits() throws Exception {
        // Byte k appears Fibonacci(k) times: Huffman's own code would be 20 bits and more deep.
        ByteArrayOutputStream skewed = new ByteArrayOutputStream();
        long a = 1;
        long b = 1;
        for (int symbol = 0; symbol < 24; symbol++) {
            for (long k = 0; k < a; k++) {
                skewed.write(symbol);
            }
            long next = a + b;
            a = b;
            b = next;
        }
        byte[] content = skewed.toByteArray();
        byte[] shuffled = content.clone();
        Random random = new Random(23);
        for (int i = shuffled.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            byte swap = shuffled[i];
            shuffled[i] = shuffled[j];
            shuffled[j] = swap;
        }
        for (byte[] bytes : new byte[][] {content, shuffled}) {
            assertArrayEquals(bytes, ChunkedDeflateTest.inflate(single(bytes)));
        }
    }

    @Test
    void chunksConcatenateAndADirectBufferGivesTheSameBytes() throws Exception {
        int length = 2 * ChunkedDeflate.CHUNK + 12_347;
        byte[] content = denseFloats(length, new Random(25));
        Arrays.fill(content, ChunkedDeflate.CHUNK - 100, ChunkedDeflate.CHUNK + 100, (byte) 0);
        ByteBuffer heap = ByteBuffer.wrap(content);
        ByteBuffer direct = ByteBuffer.allocateDirect(length).put(content).flip();
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        int count = 3;
        for (int index = 0; index < count; index++) {
            int start = index * ChunkedDeflate.CHUNK;
            int size = Math.min(ChunkedDeflate.CHUNK, length - start);
            ChunkedDeflate.Piece piece = HuffmanDeflate.deflate(heap, start, size, index == count - 1);
            ChunkedDeflate.Piece same = HuffmanDeflate.deflate(direct, start, size, index == count - 1);
            assertArrayEquals(Arrays.copyOf(piece.bytes(), piece.length()), Arrays.copyOf(same.bytes(), same.length()));
            stream.write(piece.bytes(), 0, piece.length());
        }
        assertArrayEquals(content, ChunkedDeflateTest.inflate(stream.toByteArray()));
    }

    @Test
    void denseFloatsTakeAtMostWhatZlibsHuffmanCodingAloneTakes() throws Exception {
        byte[] content = denseFloats(ChunkedDeflate.CHUNK, new Random(27));
        byte[] stream = single(content);
        long zlib = ChunkedDeflate.streamLength(ByteBuffer.wrap(content), Deflater.BEST_SPEED, Deflater.HUFFMAN_ONLY);
        // One code table per 64 KiB instead of zlib's per 16 K symbols: 0.06% smaller on MiniLM's embedding table.
        assertTrue(stream.length <= zlib, stream.length + " against zlib's " + zlib);
        assertTrue(stream.length < 0.95 * content.length, stream.length + " for " + content.length);
        // Noise is stored: a block of 65,536 bytes as two stored blocks (at most 65,535 bytes each), 5 bytes apiece.
        byte[] noise = new byte[ChunkedDeflate.CHUNK];
        new Random(29).nextBytes(noise);
        byte[] noiseStream = single(noise);
        assertEquals(noise.length + 10 * (noise.length / HuffmanDeflate.BLOCK), noiseStream.length);
        assertArrayEquals(noise, ChunkedDeflateTest.inflate(noiseStream));
    }

    /** Gaussian float weights, little-endian, as a dense tensor's raw data (the length need not be a multiple of 4). */
    static byte[] denseFloats(int length, Random random) {
        ByteBuffer floats = ByteBuffer.allocate(length + 3).order(ByteOrder.LITTLE_ENDIAN);
        while (floats.remaining() >= Float.BYTES) {
            floats.putFloat((float) (0.05 * random.nextGaussian()));
        }
        return Arrays.copyOf(floats.array(), length);
    }

    private static byte[] single(byte[] content) {
        ChunkedDeflate.Piece piece = HuffmanDeflate.deflate(ByteBuffer.wrap(content), 0, content.length, true);
        return Arrays.copyOf(piece.bytes(), piece.length());
    }
}
