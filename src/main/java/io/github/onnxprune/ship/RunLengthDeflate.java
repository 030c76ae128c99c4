package io.github.onnxprune.ship;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A deflate encoder (RFC 1951) for the chunks of a pruned float tensor, several times faster than zlib's lazy
 * levels there at about their size (java.util.zip offers no run-length strategy). It looks for two kinds of match
 * only: runs of the previous byte (distance 1: the zeros), and two bytes followed by four zeros or more matched to
 * the last place in the chunk where the same two bytes stood before four zeros (a surviving weight's two high
 * bytes, which take few values, then zeros: most of what zlib's hash chains find in such a tensor), the latter
 * only when it covers the zeros to their end. Each block of {@link #BLOCK_TOKENS} literals and matches gets its
 * own dynamic Huffman codes, or is stored when that is smaller. A chunk ends with an empty stored block (as zlib's sync flush) or, the last one, with a final block, so
 * chunks concatenate as {@link ChunkedDeflate} needs; a run may continue the byte before the chunk, which the
 * inflater already holds.
 */
final class RunLengthDeflate {

    /** Literals and matches per block: fresh codes often enough to follow a chunk's regions, few enough headers. */
    static final int BLOCK_TOKENS = 1 << 16;

    private static final int MIN_MATCH = 3;
    private static final int MAX_MATCH = 258;
    private static final int END_OF_BLOCK = 256;
    private static final int LITERAL_LENGTH_SYMBOLS = 286;
    private static final int DISTANCE_SYMBOLS = 30;
    private static final int MAX_CODE_BITS = 15;
    private static final int MAX_CODE_LENGTH_BITS = 7;
    private static final int MAX_STORED = 65_535;
    private static final int WINDOW = 32_768;

    /** A pair match's shortest length: the two bytes and four zeros. */
    private static final int PAIR_MATCH = 6;

    /** The order RFC 1951 (3.2.7) sends the code-length code's lengths in. */
    private static final int[] CODE_LENGTH_ORDER = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};

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
        int history = start > 0 ? 1 : 0;
        byte[] bytes = new byte[history + length];
        content.get(start - history, bytes);
        // One block's tokens at a time (256 KiB, not 4 bytes for every byte of the chunk).
        int[] tokens = new int[BLOCK_TOKENS];
        int[] lastPair = new int[1 << 16];
        BitWriter out = new BitWriter(length + length / 8 + 1024);
        int position = history;
        while (position < bytes.length) {
            int count = tokenize(bytes, position, tokens, lastPair);
            int end = position;
            for (int t = 0; t < count; t++) {
                end += tokens[t] < 256 ? 1 : tokens[t] & 511;
            }
            position = writeBlock(bytes, position, tokens, 0, count, last && end == bytes.length, out);
        }
        if (last && length == 0) {
            // An empty stream: one final fixed-code block holding the end-of-block code (seven zero bits).
            out.write(1, 1);
            out.write(1, 2);
            out.write(0, 7);
        }
        if (!last) {
            out.write(0, 3);
            out.alignToByte();
            out.write(0, 16);
            out.write(0xFFFF, 16);
        }
        out.alignToByte();
        return new ChunkedDeflate.Piece(out.bytes(), out.length());
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

    /** Writes tokens {@code first} to {@code end} as one block (or stored blocks); returns the next byte's index. */
    private static int writeBlock(byte[] bytes, int position, int[] tokens, int first, int end, boolean finalBlock,
            BitWriter out) {
        int[] literalFrequencies = new int[LITERAL_LENGTH_SYMBOLS];
        int[] distanceFrequencies = new int[DISTANCE_SYMBOLS];
        int covered = 0;
        long extraBits = 0;
        for (int t = first; t < end; t++) {
            int token = tokens[t];
            if (token < 256) {
                literalFrequencies[token]++;
                covered++;
            } else {
                int length = token & 511;
                int distance = token >>> 9;
                literalFrequencies[LENGTH_SYMBOL[length]]++;
                distanceFrequencies[distanceSymbol(distance)]++;
                extraBits += LENGTH_EXTRA_BITS[length] + distanceExtraBits(distance);
                covered += length;
            }
        }
        literalFrequencies[END_OF_BLOCK] = 1;
        // Two used symbols at least in each code keep every code complete, which every inflater accepts.
        ensureTwoSymbols(literalFrequencies);
        ensureTwoSymbols(distanceFrequencies);
        int[] literalLengths = HuffmanCode.lengths(literalFrequencies, MAX_CODE_BITS);
        int[] distanceLengths = HuffmanCode.lengths(distanceFrequencies, MAX_CODE_BITS);
        Header header = Header.of(literalLengths, distanceLengths);
        long dataBits = extraBits;
        for (int symbol = 0; symbol < LITERAL_LENGTH_SYMBOLS; symbol++) {
            dataBits += (long) literalFrequencies[symbol] * literalLengths[symbol];
        }
        for (int symbol = 0; symbol < DISTANCE_SYMBOLS; symbol++) {
            dataBits += (long) distanceFrequencies[symbol] * distanceLengths[symbol];
        }
        long dynamicBits = 3 + header.bits() + dataBits;
        long storedBits = 3 + 7 + 32 + 8L * covered + 40L * ((covered - 1) / MAX_STORED);
        if (storedBits < dynamicBits) {
            writeStored(bytes, position, covered, finalBlock, out);
            return position + covered;
        }
        out.ensure(dynamicBits / 8 + 16);
        out.write(finalBlock ? 1 : 0, 1);
        out.write(2, 2);
        header.write(out);
        int[] literalCodes = HuffmanCode.reversedCodes(literalLengths);
        int[] distanceCodes = HuffmanCode.reversedCodes(distanceLengths);
        for (int t = first; t < end; t++) {
            int token = tokens[t];
            if (token < 256) {
                out.write(literalCodes[token], literalLengths[token]);
            } else {
                int length = token & 511;
                int symbol = LENGTH_SYMBOL[length];
                out.write(literalCodes[symbol] | LENGTH_EXTRA_VALUE[length] << literalLengths[symbol],
                        literalLengths[symbol] + LENGTH_EXTRA_BITS[length]);
                int distance = token >>> 9;
                int distanceSymbol = distanceSymbol(distance);
                int extra = distanceExtraBits(distance);
                int extraValue = (distance - 1) & ((1 << extra) - 1);
                out.write(distanceCodes[distanceSymbol] | extraValue << distanceLengths[distanceSymbol],
                        distanceLengths[distanceSymbol] + extra);
            }
        }
        out.write(literalCodes[END_OF_BLOCK], literalLengths[END_OF_BLOCK]);
        return position + covered;
    }

    private static void ensureTwoSymbols(int[] frequencies) {
        int used = 0;
        for (int frequency : frequencies) {
            if (frequency > 0) {
                used++;
            }
        }
        for (int symbol = 0; used < 2; symbol++) {
            if (frequencies[symbol] == 0) {
                frequencies[symbol] = 1;
                used++;
            }
        }
    }

    /** Stored blocks of at most 65,535 bytes each, the last of them final when {@code finalBlock}. */
    private static void writeStored(byte[] bytes, int position, int length, boolean finalBlock, BitWriter out) {
        int left = length;
        int at = position;
        do {
            int size = Math.min(left, MAX_STORED);
            left -= size;
            out.ensure(size + 16);
            out.write(finalBlock && left == 0 ? 1 : 0, 1);
            out.write(0, 2);
            out.alignToByte();
            out.write(size, 16);
            out.write(~size & 0xFFFF, 16);
            out.copy(bytes, at, size);
            at += size;
        } while (left > 0);
    }

    /** The lengths of a dynamic block's two codes, and how RFC 1951 (3.2.7) sends them. */
    private record Header(int literalCount, int distanceCount, int[] symbols, int[] lengthCodeLengths,
            int codeLengthCount, long bits) {

        static Header of(int[] literalLengths, int[] distanceLengths) {
            int literalCount = 257;
            for (int symbol = LITERAL_LENGTH_SYMBOLS - 1; symbol >= 257; symbol--) {
                if (literalLengths[symbol] != 0) {
                    literalCount = symbol + 1;
                    break;
                }
            }
            int distanceCount = 1;
            for (int symbol = DISTANCE_SYMBOLS - 1; symbol >= 1; symbol--) {
                if (distanceLengths[symbol] != 0) {
                    distanceCount = symbol + 1;
                    break;
                }
            }
            int[] all = new int[literalCount + distanceCount];
            System.arraycopy(literalLengths, 0, all, 0, literalCount);
            System.arraycopy(distanceLengths, 0, all, literalCount, distanceCount);
            // Each entry: the code-length symbol (0-18) in the low 5 bits, its repeat count's extra value above.
            int[] symbols = new int[all.length];
            int count = 0;
            int[] frequencies = new int[19];
            for (int i = 0; i < all.length; ) {
                int length = all[i];
                int run = 1;
                while (i + run < all.length && all[i + run] == length) {
                    run++;
                }
                int left = run;
                if (length == 0) {
                    while (left >= 11) {
                        int n = Math.min(left, 138);
                        symbols[count++] = 18 | (n - 11) << 5;
                        frequencies[18]++;
                        left -= n;
                    }
                    if (left >= 3) {
                        symbols[count++] = 17 | (left - 3) << 5;
                        frequencies[17]++;
                        left = 0;
                    }
                } else {
                    symbols[count++] = length;
                    frequencies[length]++;
                    left--;
                    while (left >= 3) {
                        int n = Math.min(left, 6);
                        symbols[count++] = 16 | (n - 3) << 5;
                        frequencies[16]++;
                        left -= n;
                    }
                }
                for (; left > 0; left--) {
                    symbols[count++] = length;
                    frequencies[length]++;
                }
                i += run;
            }
            ensureTwoSymbols(frequencies);
            int[] lengthCodeLengths = HuffmanCode.lengths(frequencies, MAX_CODE_LENGTH_BITS);
            int codeLengthCount = 4;
            for (int k = 18; k >= 4; k--) {
                if (lengthCodeLengths[CODE_LENGTH_ORDER[k]] != 0) {
                    codeLengthCount = k + 1;
                    break;
                }
            }
            long bits = 5 + 5 + 4 + 3L * codeLengthCount;
            for (int k = 0; k < count; k++) {
                int symbol = symbols[k] & 31;
                bits += lengthCodeLengths[symbol] + (symbol == 16 ? 2 : symbol == 17 ? 3 : symbol == 18 ? 7 : 0);
            }
            return new Header(literalCount, distanceCount, Arrays.copyOf(symbols, count), lengthCodeLengths,
                    codeLengthCount, bits);
        }

        void write(BitWriter out) {
            out.write(literalCount - 257, 5);
            out.write(distanceCount - 1, 5);
            out.write(codeLengthCount - 4, 4);
            for (int k = 0; k < codeLengthCount; k++) {
                out.write(lengthCodeLengths[CODE_LENGTH_ORDER[k]], 3);
            }
            int[] codes = HuffmanCode.reversedCodes(lengthCodeLengths);
            for (int entry : symbols) {
                int symbol = entry & 31;
                out.write(codes[symbol], lengthCodeLengths[symbol]);
                if (symbol >= 16) {
                    out.write(entry >>> 5, symbol == 16 ? 2 : symbol == 17 ? 3 : 7);
                }
            }
        }
    }

    /** Bits packed least significant first into a growing byte array, as deflate sends them. */
    private static final class BitWriter {
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
    }
}
