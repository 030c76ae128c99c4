package io.github.onnxprune.ship;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RunLengthDeflateTest {

    @Test
    void edgeCasesInflateByteForByte() throws Exception {
        Random random = new Random(11);
        byte[] noise = new byte[300_000];
        random.nextBytes(noise);
        byte[][] contents = {
            new byte[0],
            {42},
            {0},
            {7, 7},
            {7, 7, 7},
            {7, 7, 7, 7},
            new byte[1000],
            new byte[258],
            new byte[259],
            new byte[260],
            new byte[261],
            new byte[3 * 258 + 2],
            filled(5000, (byte) 0x5A),
            noise,
            Arrays.copyOf(noise, 65_535),
            Arrays.copyOf(noise, 65_536),
            Arrays.copyOf(noise, 200_001),
        };
        for (byte[] content : contents) {
            assertArrayEquals(content, ChunkedDeflateTest.inflate(single(content)), content.length + " bytes");
        }
    }

    @Test
    void everyRunLengthAroundTheMatchLimitInflates() throws Exception {
        for (int run = 1; run <= 2 * 258 + 4; run++) {
            byte[] content = new byte[run + 2];
            content[0] = 9;
            content[run + 1] = 9;
            assertArrayEquals(content, ChunkedDeflateTest.inflate(single(content)), "a run of " + run);
        }
    }

    @Test
    void blocksEndAndRunsCrossChunksAndBlocksIntact() throws Exception {
        // Tokens cut into several blocks per chunk, runs through every block and chunk boundary.
        int length = 3 * ChunkedDeflate.CHUNK + 17;
        byte[] content = new byte[length];
        Random random = new Random(13);
        for (int i = 0; i < length; ) {
            int run = random.nextInt(4) == 0 ? 1 + random.nextInt(700) : 1;
            byte value = random.nextInt(3) == 0 ? 0 : (byte) random.nextInt();
            for (int k = 0; k < run && i < length; k++) {
                content[i++] = value;
            }
        }
        for (int boundary = ChunkedDeflate.CHUNK; boundary < length; boundary += ChunkedDeflate.CHUNK) {
            Arrays.fill(content, boundary - 300, Math.min(length, boundary + 300), (byte) 0);
        }
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        ByteBuffer buffer = ByteBuffer.wrap(content);
        int count = (length + ChunkedDeflate.CHUNK - 1) / ChunkedDeflate.CHUNK;
        for (int index = 0; index < count; index++) {
            int start = index * ChunkedDeflate.CHUNK;
            ChunkedDeflate.Piece piece = RunLengthDeflate.deflate(buffer, start,
                    Math.min(ChunkedDeflate.CHUNK, length - start), index == count - 1);
            stream.write(piece.bytes(), 0, piece.length());
        }
        assertArrayEquals(content, ChunkedDeflateTest.inflate(stream.toByteArray()));
        // A direct buffer, as the model's mapped bytes, gives the same stream.
        ByteBuffer direct = ByteBuffer.allocateDirect(length).put(content).flip();
        ChunkedDeflate.Piece first = RunLengthDeflate.deflate(direct, ChunkedDeflate.CHUNK, ChunkedDeflate.CHUNK,
                false);
        ChunkedDeflate.Piece again = RunLengthDeflate.deflate(buffer, ChunkedDeflate.CHUNK, ChunkedDeflate.CHUNK,
                false);
        assertArrayEquals(Arrays.copyOf(again.bytes(), again.length()), Arrays.copyOf(first.bytes(), first.length()));
    }

    @Test
    void skewedFrequenciesKeepCodesWithinFifteenBits() throws Exception {
        // Fibonacci-like frequencies make Huffman's code 20 and more bits deep; the limit must hold and inflate.
        int[] frequencies = new int[286];
        long a = 1;
        long b = 1;
        for (int symbol = 0; symbol < 26; symbol++) {
            frequencies[symbol] = (int) a;
            long next = a + b;
            a = b;
            b = next;
        }
        assertEquals(25, Arrays.stream(HuffmanCode.lengths(frequencies, 64)).max().getAsInt(), "unlimited");
        int[] lengths = HuffmanCode.lengths(frequencies, 15);
        assertTrue(Arrays.stream(lengths).max().getAsInt() <= 15, Arrays.toString(lengths));
        double kraft = Arrays.stream(lengths).filter(l -> l > 0).mapToDouble(l -> Math.pow(2, -l)).sum();
        assertEquals(1.0, kraft, 1e-12, "a complete code");
        // The same skew in bytes: literal k appears Fibonacci(k) times (in a block of its own, spread out).
        ByteArrayOutputStream skewed = new ByteArrayOutputStream();
        Random random = new Random(17);
        int[] left = Arrays.copyOf(frequencies, 18);
        int total = Arrays.stream(left).sum();
        for (int i = 0; i < total; i++) {
            int symbol;
            do {
                symbol = random.nextInt(18);
            } while (left[symbol] == 0);
            left[symbol]--;
            skewed.write(symbol);
        }
        byte[] content = skewed.toByteArray();
        assertTrue(content.length < RunLengthDeflate.BLOCK_TOKENS);
        assertArrayEquals(content, ChunkedDeflateTest.inflate(single(content)));
    }

    @Test
    void aPrunedTensorShrinksAsAtLevelFiveAndNoiseIsStoredAtMostAsLarge() throws Exception {
        Random random = new Random(5);
        byte[] content = halfPruned(ChunkedDeflate.CHUNK, random);
        byte[] stream = single(content);
        assertArrayEquals(content, ChunkedDeflateTest.inflate(stream));
        long level5 = ChunkedDeflate.streamLength(ByteBuffer.wrap(content), 5, java.util.zip.Deflater.DEFAULT_STRATEGY);
        assertTrue(stream.length < 1.005 * level5, stream.length + " against level 5's " + level5);
        byte[] noise = new byte[ChunkedDeflate.CHUNK];
        random.nextBytes(noise);
        byte[] noiseStream = single(noise);
        // Stored: a 5-byte header per stored block of at most 64 KiB, two per block of tokens.
        assertTrue(noiseStream.length <= noise.length + noise.length / 4096, noiseStream.length + " bytes for "
                + noise.length);
        assertArrayEquals(noise, ChunkedDeflateTest.inflate(noiseStream));
    }

    /**
     * Gaussian weights with the half of smallest magnitude zeroed, as 50% magnitude pruning leaves a tensor: the
     * survivors' high bytes take few values, which the pair matches find.
     */
    static byte[] halfPruned(int length, Random random) {
        ByteBuffer half = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (half.remaining() >= Float.BYTES) {
            double weight = random.nextGaussian();
            half.putFloat(Math.abs(weight) < 0.6745 ? 0f : (float) (0.05 * weight));
        }
        return half.array();
    }

    private static byte[] single(byte[] content) {
        ChunkedDeflate.Piece piece = RunLengthDeflate.deflate(ByteBuffer.wrap(content), 0, content.length, true);
        return Arrays.copyOf(piece.bytes(), piece.length());
    }

    /** {@code length} bytes, each {@code value}. */
    static byte[] filled(int length, byte value) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, value);
        return bytes;
    }
}
