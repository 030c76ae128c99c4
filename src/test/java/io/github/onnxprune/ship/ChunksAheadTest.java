package io.github.onnxprune.ship;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ChunksAheadTest {

    private static final int CHUNK = ChunkedDeflate.CHUNK;

    /** Six and a half chunks of text, zeros and noise. */
    private static final byte[] ORIGINAL = ChunkedDeflateTest.mixed(6 * CHUNK + CHUNK / 2);

    /**
     * The original with a byte changed in chunk 3, one in the last 16 KiB of chunk 4 (inside chunk 5's window) and 100
     * bytes appended (the last chunk is another): chunks 0, 1 and 2 alone are the same as the original's.
     */
    private static byte[] pruned() {
        byte[] content = Arrays.copyOf(ORIGINAL, ORIGINAL.length + 100);
        content[3 * CHUNK + 1000] ^= 1;
        content[5 * CHUNK - 16 * 1024] ^= 1;
        return content;
    }

    private static byte[] deflated(byte[] content, int threads, ChunksAhead ahead) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ChunkedDeflate.deflate(ByteBuffer.wrap(content), threads, out, ahead);
        return out.toByteArray();
    }

    @Test
    void chunksDeflatedAheadGiveTheSameStreamForOneToThreeThreads() throws Exception {
        byte[] content = pruned();
        byte[] expected = ChunkedDeflateTest.stream(content, 1);
        for (int threads = 1; threads <= 3; threads++) {
            try (ChunksAhead ahead = new ChunksAhead(Long.MAX_VALUE)) {
                ahead.deflateAhead(ByteBuffer.wrap(ORIGINAL).asReadOnlyBuffer());
                ahead.awaitIdle();
                assertEquals(6, ahead.startedChunks(), "every chunk but the original's last");

                assertArrayEquals(expected, deflated(content, threads, ahead), threads + " threads");
                assertEquals(3, ahead.takenChunks(), threads + " threads");
            }
        }
        assertArrayEquals(content, ChunkedDeflateTest.inflate(expected));
    }

    @Test
    void aDeflateThatStartsWhileChunksAreDeflatedAheadGivesTheSameStream() throws Exception {
        byte[] content = pruned();
        byte[] expected = ChunkedDeflateTest.stream(content, 2);
        for (int round = 0; round < 5; round++) {
            try (ChunksAhead ahead = new ChunksAhead(Long.MAX_VALUE)) {
                ahead.deflateAhead(ByteBuffer.wrap(ORIGINAL));
                Thread.sleep(round * 5L);
                assertArrayEquals(expected, deflated(content, 2, ahead), "round " + round);
            }
        }
    }

    @Test
    void theOriginalItselfTakesEveryChunkButItsLast() throws Exception {
        try (ChunksAhead ahead = new ChunksAhead(Long.MAX_VALUE)) {
            ahead.deflateAhead(ByteBuffer.wrap(ORIGINAL));
            ahead.awaitIdle();

            assertArrayEquals(ChunkedDeflateTest.stream(ORIGINAL, 2), deflated(ORIGINAL, 2, ahead));
            assertEquals(6, ahead.takenChunks());
        }
    }

    @Test
    void otherBytesTakeNothingAndTheBudgetBoundsTheWorkAhead() throws Exception {
        byte[] other = ChunkedDeflateTest.mixed(6 * CHUNK + 7);
        try (ChunksAhead ahead = new ChunksAhead(2L * CHUNK)) {
            ahead.deflateAhead(ByteBuffer.wrap(ORIGINAL));
            ahead.awaitIdle();
            assertEquals(2, ahead.startedChunks());

            assertArrayEquals(ChunkedDeflateTest.stream(other, 2), deflated(other, 2, ahead));
            assertEquals(0, ahead.takenChunks());
        }
    }

    @Test
    void chunksAChangeCanReachAreNotDeflatedAhead() throws Exception {
        byte[] content = pruned();
        try (ChunksAhead ahead = new ChunksAhead(Long.MAX_VALUE)) {
            // Chunk 3's change, and the end of chunk 4, which chunk 5 reads as its window: chunks 3, 4 and 5 left out.
            ahead.deflateAhead(ByteBuffer.wrap(ORIGINAL), java.util.List.of(new ChunksAhead.Span(3 * CHUNK + 1000, 1),
                    new ChunksAhead.Span(5 * CHUNK - 16 * 1024, 1)));
            ahead.awaitIdle();
            assertEquals(3, ahead.startedChunks());

            assertArrayEquals(ChunkedDeflateTest.stream(content, 2), deflated(content, 2, ahead));
            assertEquals(3, ahead.takenChunks());
        }
    }

    @Test
    void theShippedContentDeflatedAheadGivesEveryChunkOnceAndTheSameStream() throws Exception {
        byte[] content = pruned();
        byte[] expected = ChunkedDeflateTest.stream(content, 1);
        for (int threads = 1; threads <= 3; threads++) {
            try (ChunksAhead ahead = new ChunksAhead(Long.MAX_VALUE)) {
                ahead.deflateAhead(ByteBuffer.wrap(ORIGINAL), java.util.List.of(new ChunksAhead.Span(3 * CHUNK, 1)));
                ByteBuffer shipped = ByteBuffer.wrap(content).asReadOnlyBuffer();
                ahead.deflateShipped(shipped);
                ahead.awaitIdle();
                // The original's chunks 0, 1, 2, 4 and 5 (not 3, said to change, nor 6, its last); the shipped
                // content's 3, 4 and 5 (the original's have other bytes there) and 6, its last.
                assertEquals(9, ahead.startedChunks());

                // The very buffer given (its pieces taken without comparing bytes), then a copy of it (compared).
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                ChunkedDeflate.deflate(shipped, threads, out, ahead);
                assertArrayEquals(expected, out.toByteArray(), threads + " threads");
                assertArrayEquals(expected, deflated(content.clone(), threads, ahead), threads + " threads");
                assertEquals(14, ahead.takenChunks(), threads + " threads");
            }
        }
    }

    @Test
    void noneDeflatesNothingAhead() throws Exception {
        ChunksAhead.NONE.deflateAhead(ByteBuffer.wrap(ORIGINAL));
        assertArrayEquals(ChunkedDeflateTest.stream(ORIGINAL, 2), deflated(ORIGINAL, 2, ChunksAhead.NONE));
        assertEquals(0, ChunksAhead.NONE.startedChunks());
        assertEquals(0, ChunksAhead.NONE.takenChunks());
    }
}
