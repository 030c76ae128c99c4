package io.github.onnxprune.ship;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class DeflateWarmUpTest {

    @Test
    void theSyntheticTensorsTakeEveryKindOfTokenTheRunLengthEncoderWrites() {
        byte[] data = DeflateWarmUp.syntheticTensors(256 * 1024);
        int[] tokens = new int[data.length];
        int count = RunLengthDeflate.tokenize(data, 0, tokens, new int[1 << 16]);
        int literals = 0;
        int shortRuns = 0;
        int longestRuns = 0;
        int pairMatches = 0;
        int longestPairMatches = 0;
        for (int t = 0; t < count; t++) {
            int token = tokens[t];
            int length = token & 511;
            int distance = token >>> 9;
            if (token < 256) {
                literals++;
            } else if (distance == 1) {
                shortRuns += length < 258 ? 1 : 0;
                longestRuns += length == 258 ? 1 : 0;
            } else {
                pairMatches += length < 258 ? 1 : 0;
                longestPairMatches += length == 258 ? 1 : 0;
            }
        }
        assertTrue(literals > 10_000, literals + " literals");
        assertTrue(shortRuns > 1_000, shortRuns + " runs shorter than 258");
        assertTrue(pairMatches > 1_000, pairMatches + " pair matches shorter than 258");
        // Most of the 20 zeroed rows after the first match the one before to the longest match (a random weight
        // with the row's first weight's high bytes, then zeros, takes a few), then run to their end.
        assertTrue(longestPairMatches >= 15, longestPairMatches + " pair matches of 258");
        assertTrue(longestRuns >= 21 * 14, longestRuns + " runs of 258");
    }

    @Test
    void itsSmallBlocksAndChunksInflateByteForByte() throws Exception {
        byte[] data = DeflateWarmUp.syntheticTensors(ChunkedDeflate.CHUNK + 70_001);
        assertEquals((ChunkedDeflate.CHUNK + 70_000), data.length, "whole floats");
        ByteBuffer content = ByteBuffer.wrap(data);
        ByteArrayOutputStream runs = new ByteArrayOutputStream();
        ByteArrayOutputStream huffman = new ByteArrayOutputStream();
        for (int start = 0; start < data.length; start += ChunkedDeflate.CHUNK) {
            int size = Math.min(ChunkedDeflate.CHUNK, data.length - start);
            boolean last = start + size == data.length;
            ChunkedDeflate.Piece small = RunLengthDeflate.deflate(content, start, size, last, 4096);
            runs.write(small.bytes(), 0, small.length());
            ChunkedDeflate.Piece literal = HuffmanDeflate.deflate(content, start, size, last);
            huffman.write(literal.bytes(), 0, literal.length());
        }
        assertArrayEquals(data, ChunkedDeflateTest.inflate(runs.toByteArray()));
        assertArrayEquals(data, ChunkedDeflateTest.inflate(huffman.toByteArray()));
    }

    @Test
    void smallBlocksCostLittleAndTheFullSizeOnesAreTheDefault() {
        ByteBuffer content = ByteBuffer.wrap(DeflateWarmUp.syntheticTensors(600_000));
        ChunkedDeflate.Piece standard = RunLengthDeflate.deflate(content, 0, 600_000, true);
        ChunkedDeflate.Piece same = RunLengthDeflate.deflate(content, 0, 600_000, true,
                RunLengthDeflate.BLOCK_TOKENS);
        ChunkedDeflate.Piece small = RunLengthDeflate.deflate(content, 0, 600_000, true, 4096);
        assertArrayEquals(Arrays.copyOf(standard.bytes(), standard.length()),
                Arrays.copyOf(same.bytes(), same.length()));
        assertTrue(small.length() > standard.length(), "more code tables");
        assertTrue(small.length() < 1.05 * standard.length(), small.length() + " against " + standard.length());
    }

    @Test
    void aRunIsTheSameEveryTimeAndRefusesANegativeSize() {
        long first = DeflateWarmUp.run(300_000);
        assertEquals(first, DeflateWarmUp.run(300_000));
        assertTrue(first > 300_000 / 2, "two encoders' output and a sample's length: " + first);
        assertEquals(DeflateWarmUp.run(0), DeflateWarmUp.run(3), "no whole float");
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> DeflateWarmUp.run(-1));
        assertEquals("bytes must not be negative, not -1", refused.getMessage());
    }
}
