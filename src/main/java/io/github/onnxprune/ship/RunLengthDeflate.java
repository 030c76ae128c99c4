package io.github.onnxprune.ship;

import java.nio.ByteBuffer;

/**
 * A deflate encoder (RFC 1951) for the chunks of a pruned float tensor, several times faster than zlib's lazy
 * levels there at about their size (java.util.zip offers no run-length strategy). It looks for two kinds of match
 * only: runs of the previous byte (distance 1: the zeros), and two bytes followed by four zeros or more matched to
 * the last place in the chunk where the same two bytes stood before four zeros (a surviving weight's two high
 * bytes, which take few values, then zeros: most of what zlib's hash chains find in such a tensor), the latter
 * only when it covers the zeros to their end. Each block of {@link #BLOCK_TOKENS} literals and matches gets its
 * own dynamic Huffman codes, or is stored when that is smaller. A chunk ends with an empty stored block (as zlib's sync
 * flush) or, the last one, with a final block, so chunks concatenate as {@link ChunkedDeflate} needs; a run may
 * continue the byte before the chunk, which the inflater already holds.
 */
final class RunLengthDeflate {

    /** Literals and matches per block: fresh codes often enough to follow a chunk's regions, few enough headers. */
    static final int BLOCK_TOKENS = 1 << 16;

    private static final int MIN_MATCH = 3;
    private static final int MAX_MATCH = 258;
    private static final int WINDOW = 32_768;

    /** A pair match's shortest length: the two bytes and four zeros. */
    private static final int PAIR_MATCH = 6;

    /** For each match length 3-258, its length symbol (257-285), its extra bits' count and their value. */
    private static final int[] LENGTH_SYMBOL = new int[MAX_MATCH + 1];
    private static final int[] LENGTH_EXTRA_BITS = new int[MAX_MATCH + 1];
    private static final int[] LENGTH_EXTRA_VALUE = new int[MAX_MATCH + 1];

    static {
        // RFC 1951 3.2.5: symbols 257-264 carry no extra bits, then each run of four symbols one bit more.
        int length = MIN_MATCH;
        for (int symbol = 257; symbol < 285; symbol++) {
            int extra = symbol < 265 ? 0 : (symbol - 261) / 4;
            for (int value = 0; value < 1 << extra && length < MAX_MATCH; value++, length++) {
                LENGTH_SYMBOL[length] = symbol;
                LENGTH_EXTRA_BITS[length] = extra;
                LENGTH_EXTRA_VALUE[length] = value;
            }
        }
        LENGTH_SYMBOL[MAX_MATCH] = 285;
    }

    private RunLengthDeflate() {
    }

    /**
     * Deflates {@code length} bytes of {@code content} from {@code start}; a run may continue the byte before
     * {@code start}, which the inflater already holds when this is not the stream's first chunk.
     *
     * @param last whether this chunk ends the stream (a final block) or is followed by another (an empty stored
     *     block brings the stream to a byte boundary)
     */
    static ChunkedDeflate.Piece deflate(ByteBuffer content, int start, int length, boolean last) {
        return deflate(content, start, length, last, BLOCK_TOKENS);
    }

    /** As {@link #deflate(ByteBuffer, int, int, boolean)}, with blocks of {@code blockTokens} tokens. */
    static ChunkedDeflate.Piece deflate(ByteBuffer content, int start, int length, boolean last, int blockTokens) {
        int history = start > 0 ? 1 : 0;
        byte[] bytes = new byte[history + length];
        content.get(start - history, bytes);
        // One block's tokens at a time (256 KiB, not 4 bytes for every byte of the chunk).
        int[] tokens = new int[blockTokens];
        int[] lastPair = new int[1 << 16];
        BitWriter out = new BitWriter(length + length / 8 + 1024);
        int position = history;
        while (position < bytes.length) {
            int count = tokenize(bytes, position, tokens, lastPair);
            position = writeBlock(bytes, position, tokens, 0, count, last, out);
        }
        return out.endChunk(last, length == 0);
    }

    /**
     * Cuts {@code bytes} from {@code from} into literals (0-255) and matches ({@code distance << 9 | length}),
     * greedily, as the class describes, until the end or until {@code tokens} is full; returns how many tokens it
     * wrote. {@code lastPair} holds where each pair of bytes last stood before four zeros, plus one (0: not seen in
     * this chunk), and is updated.
     */
    static int tokenize(byte[] bytes, int from, int[] tokens, int[] lastPair) {
        int count = 0;
        int i = from;
        int end = bytes.length;
        while (i < end && count < tokens.length) {
            byte value = bytes[i];
            if (i > 0 && bytes[i - 1] == value) {
                int run = 1;
                int limit = Math.min(end - i, MAX_MATCH);
                while (run < limit && bytes[i + run] == value) {
                    run++;
                }
                if (run >= MIN_MATCH) {
                    tokens[count++] = 1 << 9 | run;
                    i += run;
                    continue;
                }
            }
            if (i + 5 < end && bytes[i + 2] == 0 && bytes[i + 3] == 0 && bytes[i + 4] == 0 && bytes[i + 5] == 0
                    && (value != 0 || bytes[i + 1] != 0)) {
                int key = (value & 0xFF) << 8 | bytes[i + 1] & 0xFF;
                int previous = lastPair[key] - 1;
                lastPair[key] = i + 1;
                if (previous >= 0 && i - previous <= WINDOW) {
                    int length = PAIR_MATCH;
                    int limit = Math.min(end - i, MAX_MATCH);
                    while (length < limit && bytes[previous + length] == bytes[i + length]) {
                        length++;
                    }
                    // A match that ends inside the zeros leaves a second match for the rest of them, which costs
                    // more than the literals it saved (at 90% of weights pruned, where zero runs are long).
                    if (i + length == end || bytes[i + length] != 0 || length == MAX_MATCH) {
                        tokens[count++] = (i - previous) << 9 | length;
                        i += length;
                        continue;
                    }
                }
            }
            tokens[count++] = value & 0xFF;
            i++;
        }
        return count;
    }

    /**
     * Counts the literal/length and distance symbols of tokens {@code first} to {@code end} and returns how many
     * bytes they cover. Its own small method: the loop that makes block writing hot is all the JIT compiles first.
     */
    private static int count(int[] tokens, int first, int end, int[] literalFrequencies, int[] distanceFrequencies) {
        int covered = 0;
        for (int t = first; t < end; t++) {
            int token = tokens[t];
            if (token < 256) {
                literalFrequencies[token]++;
                covered++;
            } else {
                int length = token & 511;
                literalFrequencies[LENGTH_SYMBOL[length]]++;
                distanceFrequencies[distanceSymbol(token >>> 9)]++;
                covered += length;
            }
        }
        return covered;
    }

    /** The extra bits of the lengths and distances counted: each symbol's count times its extra bits. */
    private static long extraBits(int[] literalFrequencies, int[] distanceFrequencies) {
        long bits = 0;
        for (int symbol = 265; symbol < 285; symbol++) {
            bits += (long) literalFrequencies[symbol] * ((symbol - 261) / 4);
        }
        for (int symbol = 4; symbol < BlockHeader.DISTANCE_SYMBOLS; symbol++) {
            bits += (long) distanceFrequencies[symbol] * (symbol / 2 - 1);
        }
        return bits;
    }

    /** The distance symbol (0-29) of a distance of 1 to 32,768 (RFC 1951 3.2.5). */
    static int distanceSymbol(int distance) {
        if (distance <= 2) {
            return distance - 1;
        }
        int x = distance - 1;
        int b = 31 - Integer.numberOfLeadingZeros(x);
        return 2 * b + (x >>> (b - 1) & 1);
    }

    /** How many extra bits follow a distance's symbol. */
    static int distanceExtraBits(int distance) {
        return distance <= 4 ? 0 : 30 - Integer.numberOfLeadingZeros(distance - 1);
    }

    /**
     * Writes tokens {@code first} to {@code end} as one block (or stored blocks), final when {@code lastChunk} and
     * they reach the end of {@code bytes}; returns the next byte's index.
     */
    private static int writeBlock(byte[] bytes, int position, int[] tokens, int first, int end, boolean lastChunk,
            BitWriter out) {
        int[] literalFrequencies = new int[BlockHeader.LITERAL_LENGTH_SYMBOLS];
        int[] distanceFrequencies = new int[BlockHeader.DISTANCE_SYMBOLS];
        int covered = count(tokens, first, end, literalFrequencies, distanceFrequencies);
        long extraBits = extraBits(literalFrequencies, distanceFrequencies);
        boolean finalBlock = lastChunk && position + covered == bytes.length;
        literalFrequencies[BlockHeader.END_OF_BLOCK] = 1;
        // Two used symbols at least in each code keep every code complete, which every inflater accepts.
        HuffmanCode.ensureTwoSymbols(literalFrequencies);
        HuffmanCode.ensureTwoSymbols(distanceFrequencies);
        int[] literalLengths = HuffmanCode.lengths(literalFrequencies, BlockHeader.MAX_CODE_BITS);
        int[] distanceLengths = HuffmanCode.lengths(distanceFrequencies, BlockHeader.MAX_CODE_BITS);
        BlockHeader header = BlockHeader.of(literalLengths, distanceLengths);
        long dynamicBits = 3 + header.bits() + extraBits + HuffmanCode.bits(literalFrequencies, literalLengths)
                + HuffmanCode.bits(distanceFrequencies, distanceLengths);
        long storedBits = BitWriter.storedBits(covered);
        if (storedBits < dynamicBits) {
            out.stored(bytes, position, covered, finalBlock);
            return position + covered;
        }
        out.ensure(dynamicBits / 8 + 16);
        out.write(finalBlock ? 1 : 0, 1);
        out.write(2, 2);
        header.write(out);
        int[] literalCodes = HuffmanCode.reversedCodes(literalLengths);
        int[] literals = literalTable(literalCodes, literalLengths);
        int[] lengths = lengthTable(literalCodes, literalLengths);
        int[] distances = distanceTable(HuffmanCode.reversedCodes(distanceLengths), distanceLengths);
        out.tokens(tokens, first, end, literals, lengths, distances);
        out.write(literalCodes[BlockHeader.END_OF_BLOCK], literalLengths[BlockHeader.END_OF_BLOCK]);
        return position + covered;
    }

    /** Each literal's code with its bit count above bit 24, as {@link BitWriter#tokens} takes them. */
    private static int[] literalTable(int[] literalCodes, int[] literalLengths) {
        int[] literals = new int[256];
        for (int symbol = 0; symbol < 256; symbol++) {
            literals[symbol] = literalCodes[symbol] | literalLengths[symbol] << 24;
        }
        return literals;
    }

    /** Each match length's code followed by its extra bits, their bit count above bit 24. */
    private static int[] lengthTable(int[] literalCodes, int[] literalLengths) {
        int[] lengths = new int[MAX_MATCH + 1];
        for (int length = MIN_MATCH; length <= MAX_MATCH; length++) {
            int symbol = LENGTH_SYMBOL[length];
            lengths[length] = (literalCodes[symbol] | LENGTH_EXTRA_VALUE[length] << literalLengths[symbol])
                    | (literalLengths[symbol] + LENGTH_EXTRA_BITS[length]) << 24;
        }
        return lengths;
    }

    /** Each distance symbol's code with its bit count above bit 24. */
    private static int[] distanceTable(int[] distanceCodes, int[] distanceLengths) {
        int[] distances = new int[BlockHeader.DISTANCE_SYMBOLS];
        for (int symbol = 0; symbol < distances.length; symbol++) {
            distances[symbol] = distanceCodes[symbol] | distanceLengths[symbol] << 24;
        }
        return distances;
    }
}
