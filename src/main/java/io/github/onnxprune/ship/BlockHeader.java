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

    /** The extra bits after each code-length symbol: the repeat counts of 16, 17 and 18. */
    private static final int[] REPEAT_EXTRA_BITS = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 7};

    /** The order RFC 1951 (3.2.7) sends the code-length code's lengths in. */
    private static final int[] CODE_LENGTH_ORDER = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};

    /** The header of a block coded with these literal/length and distance code lengths. */
    static BlockHeader of(int[] literalLengths, int[] distanceLengths) {
        int literalCount = usedCount(literalLengths, LITERAL_LENGTH_SYMBOLS, 257);
        int distanceCount = usedCount(distanceLengths, DISTANCE_SYMBOLS, 1);
        int[] all = new int[literalCount + distanceCount];
        System.arraycopy(literalLengths, 0, all, 0, literalCount);
        System.arraycopy(distanceLengths, 0, all, literalCount, distanceCount);
        // Each entry: the code-length symbol (0-18) in the low 5 bits, its repeat count's extra value above.
        int[] symbols = new int[all.length];
        int[] frequencies = new int[19];
        int count = runs(all, symbols, frequencies);
        HuffmanCode.ensureTwoSymbols(frequencies);
        int[] lengthCodeLengths = HuffmanCode.lengths(frequencies, MAX_CODE_LENGTH_BITS);
        int codeLengthCount = codeLengthCount(lengthCodeLengths);
        long bits = 5 + 5 + 4 + 3L * codeLengthCount + HuffmanCode.bits(frequencies, lengthCodeLengths)
                + HuffmanCode.bits(frequencies, REPEAT_EXTRA_BITS);
        return new BlockHeader(literalCount, distanceCount, Arrays.copyOf(symbols, count), lengthCodeLengths,
                codeLengthCount, bits);
    }

    /**
     * Codes the lengths as runs into {@code symbols}, counting each symbol; returns how many it wrote. (The loops
     * are methods of their own: in {@link #of} they made the JIT compile it twice, on the stack first.)
     */
    private static int runs(int[] all, int[] symbols, int[] frequencies) {
        int count = 0;
        for (int i = 0; i < all.length; ) {
            int run = runAt(all, i);
            count = all[i] == 0 ? zeros(run, symbols, count, frequencies)
                    : repeats(all[i], run, symbols, count, frequencies);
            i += run;
        }
        return count;
    }

    /** How many code-length code lengths are sent: up to the last one not 0 in RFC 1951's order, 4 at least. */
    private static int codeLengthCount(int[] lengthCodeLengths) {
        for (int k = 18; k >= 4; k--) {
            if (lengthCodeLengths[CODE_LENGTH_ORDER[k]] != 0) {
                return k + 1;
            }
        }
        return 4;
    }

    /**
     * How many of the first {@code symbols} lengths are sent: up to the last one not 0, and {@code least} at
     * least. (The header's parts are small methods: a build's new JVM compiles them before it runs them often.)
     */
    private static int usedCount(int[] lengths, int symbols, int least) {
        for (int symbol = symbols - 1; symbol >= least; symbol--) {
            if (lengths[symbol] != 0) {
                return symbol + 1;
            }
        }
        return least;
    }

    /** How many lengths from {@code i} on equal the one at {@code i}. */
    private static int runAt(int[] all, int i) {
        int run = 1;
        while (i + run < all.length && all[i + run] == all[i]) {
            run++;
        }
        return run;
    }

    /** Codes a run of zero lengths from {@code count} on (symbols 18, 17, then 0s); returns the new count. */
    private static int zeros(int run, int[] symbols, int count, int[] frequencies) {
        int left = run;
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
        return single(0, left, symbols, count, frequencies);
    }

    /** Codes a run of a length other than 0 (the length, then symbols 16, then the length again). */
    private static int repeats(int length, int run, int[] symbols, int count, int[] frequencies) {
        symbols[count++] = length;
        frequencies[length]++;
        int left = run - 1;
        while (left >= 3) {
            int n = Math.min(left, 6);
            symbols[count++] = 16 | (n - 3) << 5;
            frequencies[16]++;
            left -= n;
        }
        return single(length, left, symbols, count, frequencies);
    }

    /** Codes {@code left} lengths one symbol each. */
    private static int single(int length, int left, int[] symbols, int count, int[] frequencies) {
        for (int k = 0; k < left; k++) {
            symbols[count++] = length;
        }
        frequencies[length] += left;
        return count;
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
            // The code and the repeat count's extra bits (none below symbol 16) as one write, without a branch.
            int codeBits = lengthCodeLengths[symbol];
            out.write(codes[symbol] | (entry >>> 5) << codeBits, codeBits + REPEAT_EXTRA_BITS[symbol]);
        }
    }
}
