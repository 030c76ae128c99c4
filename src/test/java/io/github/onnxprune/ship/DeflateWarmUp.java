package io.github.onnxprune.ship;

import java.nio.ByteBuffer;

/**
 * Runs the plugin's Java deflate encoders on synthetic data shaped like a model's tensors (floats half of them
 * zero, zeroed rows, dense floats), so that a new JVM's JIT profiles and compiles them before they meet a real
 * model. A build runs the encoders once, in a new JVM: a run of a megabyte or a few moves part of the JIT's work
 * off the real deflate (about as much CPU as the run itself costs), so it pays on a core that would otherwise
 * wait (docs/minilm-benchmark.md, "The encoders' first use (session 19, branch h2)"). The run takes the paths a
 * pruned model's chunks take (literals, runs, pair matches short and of the longest length, full blocks, Huffman
 * codes too deep for 15 bits), so that the JIT compiles none of them away to meet it later (each such
 * deoptimisation sends the encoder back to the interpreter and costs a recompilation).
 */
public final class DeflateWarmUp {

    /** Tokens per run-length block in the warm-up: small, so that blocks fill up and end as in a real chunk. */
    private static final int WARM_UP_BLOCK_TOKENS = 4096;

    /** The sample {@link ChunkedDeflate} sizes Huffman coding alone on to choose a chunk's method. */
    private static final int SAMPLE = 16 * 1024;

    private DeflateWarmUp() {
    }

    /**
     * Deflates about {@code bytes} bytes of synthetic tensor data in {@link ChunkedDeflate#CHUNK}-byte chunks with
     * each encoder, as a model's chunks are, and returns the deflated lengths' sum (the output is discarded). Safe
     * to call from any thread, as often as wanted; deterministic.
     */
    public static long run(int bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must not be negative, not " + bytes);
        }
        ByteBuffer content = ByteBuffer.wrap(syntheticTensors(bytes));
        int length = content.limit();
        long total = 0;
        for (int start = 0; start < length; start += ChunkedDeflate.CHUNK) {
            int size = Math.min(ChunkedDeflate.CHUNK, length - start);
            boolean last = start + size == length;
            int blockTokens = start == 0 ? WARM_UP_BLOCK_TOKENS : RunLengthDeflate.BLOCK_TOKENS;
            total += RunLengthDeflate.deflate(content, start, size, last, blockTokens).length();
            total += HuffmanDeflate.deflate(content, start, size, last).length();
        }
        total += HuffmanDeflate.length(content.slice(0, Math.min(length, SAMPLE)));
        for (int codeLength : tooDeep()) {
            total += codeLength;
        }
        return total;
    }

    /**
     * {@code bytes} bytes (rounded down to whole floats) of little-endian floats in 4 KiB regions that take turns:
     * weights half of them zero; a row zeroed but for its first weight, always the same, so that its zeros match
     * the last such row's to the longest match; dense weights. The values come from a fixed linear congruential
     * sequence, so every run is the same.
     */
    static byte[] syntheticTensors(int bytes) {
        byte[] data = new byte[bytes & ~3];
        long state = 0x9E3779B97F4A7C15L;
        for (int at = 0; at + 4 <= data.length; at += 4) {
            state = state * 6364136223846793005L + 1442695040888963407L;
            int region = (at >>> 12) % 3;
            int random = (int) (state >>> 33);
            int bits;
            if (region == 1) {
                bits = (at & 4095) == 0 ? Float.floatToIntBits(0.05f) : 0;
            } else if (region == 0 && (random & 1) == 0) {
                bits = 0;
            } else {
                // A weight of magnitude 2^-7 to 1: few distinct high bytes, as a trained model's.
                bits = (0x3C + (random >>> 29 & 3)) << 24 | random & 0x00FF_FFFF | (random & 2) << 30;
            }
            data[at] = (byte) bits;
            data[at + 1] = (byte) (bits >>> 8);
            data[at + 2] = (byte) (bits >>> 16);
            data[at + 3] = (byte) (bits >>> 24);
        }
        return data;
    }

    /** Code lengths for Fibonacci frequencies, whose Huffman code is deeper than 15 bits and must be limited. */
    private static int[] tooDeep() {
        int[] frequencies = new int[BlockHeader.LITERAL_LENGTH_SYMBOLS];
        int previous = 1;
        int current = 1;
        for (int symbol = 0; symbol < 24; symbol++) {
            frequencies[symbol] = current;
            int next = previous + current;
            previous = current;
            current = next;
        }
        return HuffmanCode.lengths(frequencies, BlockHeader.MAX_CODE_BITS);
    }
}
