package io.github.onnxprune.ship;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/** Bits packed least significant first into a growing byte array, as deflate sends them. */
final class BitWriter {

    private static final int MAX_STORED = 65_535;

    private static final VarHandle LITTLE_ENDIAN_LONG =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private byte[] bytes;
    private int length;
    private long buffer;
    private int count;

    BitWriter(int capacity) {
        bytes = new byte[capacity];
    }

    /** Makes room for {@code more} bytes beyond those written and those waiting in the bit buffer. */
    void ensure(long more) {
        long needed = length + 8 + more;
        if (needed > bytes.length) {
            bytes = Arrays.copyOf(bytes, (int) Math.max(needed, 2L * bytes.length));
        }
    }

    /** Appends the low {@code bits} bits of {@code value} (at most 32). */
    void write(int value, int bits) {
        buffer |= (value & 0xFFFFFFFFL) << count;
        count += bits;
        if (count >= 32) {
            if (length + 4 > bytes.length) {
                ensure(4);
            }
            bytes[length] = (byte) buffer;
            bytes[length + 1] = (byte) (buffer >>> 8);
            bytes[length + 2] = (byte) (buffer >>> 16);
            bytes[length + 3] = (byte) (buffer >>> 24);
            length += 4;
            buffer >>>= 32;
            count -= 32;
        }
    }

    /** Pads with zero bits to the next byte boundary and moves the whole bytes out of the bit buffer. */
    void alignToByte() {
        count = (count + 7) & ~7;
        while (count > 0) {
            if (length == bytes.length) {
                ensure(1);
            }
            bytes[length++] = (byte) buffer;
            buffer >>>= 8;
            count -= 8;
        }
        buffer = 0;
        count = 0;
    }

    /** Appends bytes; the writer must be at a byte boundary. */
    void copy(byte[] source, int from, int size) {
        alignToByte();
        ensure(size);
        System.arraycopy(source, from, bytes, length, size);
        length += size;
    }

    byte[] bytes() {
        return bytes;
    }

    int length() {
        return length;
    }

    /**
     * Appends the codes of bytes {@code from} to {@code to} of {@code source}, each from {@code codes} (the code's
     * bits, least significant first, below bit 16 and its length, at most 15, above); the caller has
     * {@link #ensure ensured} room for them. The hot path of Huffman coding alone: the bit buffer stays in locals,
     * and three codes (at most 45 bits beside the 7 left over) go out as one 8-byte store without a branch.
     */
    void literals(byte[] source, int from, int to, int[] codes) {
        alignBufferToWholeBytes();
        long bits = buffer;
        int pending = count;
        byte[] out = bytes;
        int at = length;
        int i = from;
        for (; i + 2 < to; i += 3) {
            int first = codes[source[i] & 0xFF];
            int second = codes[source[i + 1] & 0xFF];
            int third = codes[source[i + 2] & 0xFF];
            bits |= (long) (first & 0xFFFF) << pending;
            pending += first >>> 16;
            bits |= (long) (second & 0xFFFF) << pending;
            pending += second >>> 16;
            bits |= (long) (third & 0xFFFF) << pending;
            pending += third >>> 16;
            LITTLE_ENDIAN_LONG.set(out, at, bits);
            int whole = pending >>> 3;
            at += whole;
            bits >>>= whole << 3;
            pending &= 7;
        }
        buffer = bits;
        count = pending;
        length = at;
        for (; i < to; i++) {
            int code = codes[source[i] & 0xFF];
            write(code & 0xFFFF, code >>> 16);
        }
    }

    /**
     * Appends {@link RunLengthDeflate}'s tokens {@code first} to {@code end} (literals 0-255, matches
     * {@code distance << 9 | length}), each literal's code from {@code literals}, each match length's code and
     * extra bits from {@code lengths}, each distance symbol's code from {@code distances} (the bits below bit 24,
     * their count above); the caller has {@link #ensure ensured} room for them. As {@link #literals}: locals, and
     * one 8-byte store per token (a match's at most 48 bits beside the 7 left over).
     */
    void tokens(int[] tokens, int first, int end, int[] literals, int[] lengths, int[] distances) {
        alignBufferToWholeBytes();
        long bits = buffer;
        int pending = count;
        byte[] out = bytes;
        int at = length;
        for (int t = first; t < end; t++) {
            int token = tokens[t];
            if (token < 256) {
                int code = literals[token];
                bits |= (long) (code & 0xFFFFFF) << pending;
                pending += code >>> 24;
            } else {
                int code = lengths[token & 511];
                bits |= (long) (code & 0xFFFFFF) << pending;
                pending += code >>> 24;
                int distance = token >>> 9;
                int distanceCode = distances[RunLengthDeflate.distanceSymbol(distance)];
                int codeBits = distanceCode >>> 24;
                int extra = RunLengthDeflate.distanceExtraBits(distance);
                long value = distanceCode & 0xFFFFFF | (long) ((distance - 1) & ((1 << extra) - 1)) << codeBits;
                bits |= value << pending;
                pending += codeBits + extra;
            }
            LITTLE_ENDIAN_LONG.set(out, at, bits);
            int whole = pending >>> 3;
            at += whole;
            bits >>>= whole << 3;
            pending &= 7;
        }
        buffer = bits;
        count = pending;
        length = at;
    }

    /** Moves the whole bytes out of the bit buffer, leaving fewer than 8 bits in it. */
    private void alignBufferToWholeBytes() {
        while (count >= 8) {
            if (length == bytes.length) {
                ensure(1);
            }
            bytes[length++] = (byte) buffer;
            buffer >>>= 8;
            count -= 8;
        }
    }

    /** The most bits {@link #stored} takes for {@code length} bytes, the padding to a byte boundary included. */
    static long storedBits(int length) {
        return 3 + 7 + 32 + 8L * length + 40L * ((length - 1) / MAX_STORED);
    }

    /** Stored blocks of at most 65,535 bytes each, the last of them final when {@code finalBlock}. */
    void stored(byte[] source, int from, int size, boolean finalBlock) {
        int left = size;
        int at = from;
        do {
            int block = Math.min(left, MAX_STORED);
            left -= block;
            ensure(block + 16);
            write(finalBlock && left == 0 ? 1 : 0, 1);
            write(0, 2);
            alignToByte();
            write(block, 16);
            write(~block & 0xFFFF, 16);
            copy(source, at, block);
            at += block;
        } while (left > 0);
    }

    /**
     * Ends a chunk's stream and returns it: after the last chunk's final block nothing (but a final empty block
     * when the whole content is empty), otherwise an empty stored block, as zlib's sync flush, which leaves the
     * stream on a byte boundary for the next chunk's stream to follow.
     */
    ChunkedDeflate.Piece endChunk(boolean last, boolean emptyContent) {
        if (last && emptyContent) {
            // One final fixed-code block holding the end-of-block code (seven zero bits).
            write(1, 1);
            write(1, 2);
            write(0, 7);
        }
        if (!last) {
            write(0, 3);
            alignToByte();
            write(0, 16);
            write(0xFFFF, 16);
        }
        alignToByte();
        return new ChunkedDeflate.Piece(bytes, length);
    }
}
