package io.github.onnxprune.ship;

import java.util.Arrays;

/** The lengths of a dynamic deflate block's two codes, and how RFC 1951 (3.2.7) sends them. */
record BlockHeader(int literalCount, int distanceCount, int[] symbols, int[] lengthCodeLengths,
        int codeLengthCount, long bits) {

    /** Literal and length symbols: 256 bytes, end of block, 29 lengths. */
    static final int LITERAL_LENGTH_SYMBOLS = 286;

    /** Distance symbols. */
    static final int DISTANCE_SYMBOLS = 30;

    /** The literal/length symbol that ends a block. */
    static final int END_OF_BLOCK = 256;

    /** The longest code RFC 1951 allows for a literal/length or distance symbol. */
    static final int MAX_CODE_BITS = 15;

    private static final int MAX_CODE_LENGTH_BITS = 7;

    /** The order RFC 1951 (3.2.7) sends the code-length code's lengths in. */
    private static final int[] CODE_LENGTH_ORDER = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};

    /** The header of a block coded with these literal/length and distance code lengths. */
    static BlockHeader of(int[] literalLengths, int[] distanceLengths) {
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
        HuffmanCode.ensureTwoSymbols(frequencies);
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
        return new BlockHeader(literalCount, distanceCount, Arrays.copyOf(symbols, count), lengthCodeLengths,
                codeLengthCount, bits);
    }

    /** Sends the header (after the block's three first bits). */
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
