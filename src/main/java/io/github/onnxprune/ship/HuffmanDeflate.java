package io.github.onnxprune.ship;

import java.nio.ByteBuffer;

/**
 * A deflate encoder (RFC 1951) of literals alone, for bytes that rarely repeat (a dense float tensor's mantissas,
 * int8 values): each {@link #BLOCK}-byte block gets a dynamic Huffman code from its byte histogram, or is stored
 * when that is smaller. Several times faster than zlib's Huffman-only strategy, which goes through its general
 * symbol buffer and starts a block every 16 K symbols; the larger blocks also send fewer code tables. A chunk
 * ends as {@link RunLengthDeflate}'s do, so chunks concatenate as {@link ChunkedDeflate} needs.
 */
final class HuffmanDeflate {

    /** Bytes per block: fresh codes where a chunk's statistics change, few code tables on uniform data. */
    static final int BLOCK = 1 << 16;

    private HuffmanDeflate() {
    }

    /**
     * Deflates {@code length} bytes of {@code content} from {@code start}.
     *
     * @param last whether this chunk ends the stream (a final block) or is followed by another (an empty stored
     *     block brings the stream to a byte boundary)
     */
    static ChunkedDeflate.Piece deflate(ByteBuffer content, int start, int length, boolean last) {
        byte[] bytes = new byte[length];
        content.get(start, bytes);
        BitWriter out = new BitWriter(length + length / 8 + 1024);
        for (int from = 0; from < length; from += BLOCK) {
            int to = Math.min(length, from + BLOCK);
            writeBlock(bytes, from, to, last && to == length, out);
        }
        return out.endChunk(last, length == 0);
    }

    /**
     * The length in bytes that {@link #deflate} gives {@code content} (from position 0 to its limit) as the last
     * chunk, without writing it: the code lengths of each block's histogram, nothing encoded.
     */
    static long length(ByteBuffer content) {
        byte[] bytes = new byte[content.limit()];
        content.get(0, bytes);
        long bits = 0;
        for (int from = 0; from < bytes.length; from += BLOCK) {
            int to = Math.min(bytes.length, from + BLOCK);
            bits += Math.min(Code.of(histogram(bytes, from, to)).bits(), BitWriter.storedBits(to - from));
        }
        return (bits + 7) / 8;
    }

    private static void writeBlock(byte[] bytes, int from, int to, boolean finalBlock, BitWriter out) {
        Code code = Code.of(histogram(bytes, from, to));
        if (BitWriter.storedBits(to - from) < code.bits()) {
            out.stored(bytes, from, to - from, finalBlock);
            return;
        }
        out.ensure(code.bits() / 8 + 16);
        out.write(finalBlock ? 1 : 0, 1);
        out.write(2, 2);
        code.header().write(out);
        int[] lengths = code.lengths();
        int[] codes = withLengths(HuffmanCode.reversedCodes(lengths), lengths);
        out.literals(bytes, from, to, codes);
        out.write(codes[BlockHeader.END_OF_BLOCK] & 0xFFFF, lengths[BlockHeader.END_OF_BLOCK]);
    }

    /**
     * Each code with its length above bit 16, as {@link BitWriter#literals} takes them. (A loop of its own: in
     * writeBlock it made the JIT compile the whole block's work twice, on the stack first.)
     */
    private static int[] withLengths(int[] codes, int[] lengths) {
        for (int symbol = 0; symbol < codes.length; symbol++) {
            codes[symbol] |= lengths[symbol] << 16;
        }
        return codes;
    }

    /** The literal/length symbols' frequencies of a block of these bytes: each byte's count, one end of block. */
    private static int[] histogram(byte[] bytes, int from, int to) {
        // Four tallies let consecutive equal bytes (a run of zeros) update different counters.
        int[] a = new int[256];
        int[] b = new int[256];
        int[] c = new int[256];
        int[] d = new int[256];
        int i = from;
        for (; i + 3 < to; i += 4) {
            a[bytes[i] & 0xFF]++;
            b[bytes[i + 1] & 0xFF]++;
            c[bytes[i + 2] & 0xFF]++;
            d[bytes[i + 3] & 0xFF]++;
        }
        for (; i < to; i++) {
            a[bytes[i] & 0xFF]++;
        }
        int[] frequencies = new int[BlockHeader.LITERAL_LENGTH_SYMBOLS];
        for (int symbol = 0; symbol < 256; symbol++) {
            frequencies[symbol] = a[symbol] + b[symbol] + c[symbol] + d[symbol];
        }
        frequencies[BlockHeader.END_OF_BLOCK] = 1;
        HuffmanCode.ensureTwoSymbols(frequencies);
        return frequencies;
    }

    /**
     * A block's literal code for its frequencies, the header that sends it, and the block's bits: its three first
     * bits, the header and the literals' codes.
     */
    private record Code(int[] lengths, BlockHeader header, long bits) {

        static Code of(int[] frequencies) {
            int[] lengths = HuffmanCode.lengths(frequencies, BlockHeader.MAX_CODE_BITS);
            BlockHeader header = BlockHeader.of(lengths, noDistances());
            return new Code(lengths, header, 3 + header.bits() + HuffmanCode.bits(frequencies, lengths));
        }
    }

    /** A block of literals alone still sends a distance code: two one-bit codes keep it complete. */
    private static int[] noDistances() {
        int[] lengths = new int[BlockHeader.DISTANCE_SYMBOLS];
        lengths[0] = 1;
        lengths[1] = 1;
        return lengths;
    }
}
