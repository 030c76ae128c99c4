package io.github.onnxprune.ship;

/** Length-limited Huffman code lengths and the canonical codes deflate (RFC 1951, 3.2.2) derives from them. */
final class HuffmanCode {

    /** Ciura's gaps for Shell's sort, enough for the 286 literal/length symbols. */
    private static final int[] SHELL_GAPS = {132, 57, 23, 10, 4, 1};

    private HuffmanCode() {
    }

    /**
     * The code length of each symbol for the given frequencies, none longer than {@code maxBits} (0 for a symbol
     * that never occurs; a lone symbol gets 1). When Huffman's code is too deep, the frequencies are halved
     * (keeping every used symbol at least 1) until it fits: a little longer than optimal in the rare skewed
     * block where it happens, and the same lengths for the same frequencies every time.
     */
    static int[] lengths(int[] frequencies, int maxBits) {
        long[] weights = new long[frequencies.length];
        for (int i = 0; i < frequencies.length; i++) {
            weights[i] = frequencies[i];
        }
        while (true) {
            int[] lengths = huffman(weights);
            if (max(lengths) <= maxBits) {
                return lengths;
            }
            for (int i = 0; i < weights.length; i++) {
                if (weights[i] > 0) {
                    weights[i] = (weights[i] >> 1) | 1;
                }
            }
        }
    }

    /** Huffman's code lengths, without a limit; ties broken by symbol so that the result is reproducible. */
    private static int[] huffman(long[] weights) {
        int symbols = weights.length;
        int[] lengths = new int[symbols];
        long[] keys = new long[symbols];
        int leaves = 0;
        for (int symbol = 0; symbol < symbols; symbol++) {
            if (weights[symbol] > 0) {
                keys[leaves++] = weights[symbol] << 10 | symbol;
            }
        }
        if (leaves == 0) {
            return lengths;
        }
        if (leaves == 1) {
            lengths[(int) (keys[0] & 1023)] = 1;
            return lengths;
        }
        sort(keys, leaves);
        // Nodes 0..leaves-1 are the leaves in ascending weight, then the merged nodes in the order made (also
        // ascending), so the two smallest are always at the head of one of the two queues.
        int nodes = 2 * leaves - 1;
        long[] weight = new long[nodes];
        int[] parent = new int[nodes];
        for (int i = 0; i < leaves; i++) {
            weight[i] = keys[i] >>> 10;
        }
        int nextLeaf = 0;
        int nextMerged = leaves;
        for (int made = leaves; made < nodes; made++) {
            int a = nextLeaf < leaves && (nextMerged >= made || weight[nextLeaf] <= weight[nextMerged])
                    ? nextLeaf++ : nextMerged++;
            int b = nextLeaf < leaves && (nextMerged >= made || weight[nextLeaf] <= weight[nextMerged])
                    ? nextLeaf++ : nextMerged++;
            weight[made] = weight[a] + weight[b];
            parent[a] = made;
            parent[b] = made;
        }
        int[] depth = new int[nodes];
        for (int node = nodes - 2; node >= 0; node--) {
            depth[node] = depth[parent[node]] + 1;
        }
        for (int i = 0; i < leaves; i++) {
            lengths[(int) (keys[i] & 1023)] = depth[i];
        }
        return lengths;
    }

    /**
     * The canonical code of each symbol for these lengths, bit-reversed, because deflate sends a Huffman code's
     * most significant bit first into a stream packed least significant bit first.
     */
    static int[] reversedCodes(int[] lengths) {
        int maxBits = max(lengths);
        int[] perLength = new int[maxBits + 1];
        for (int length : lengths) {
            perLength[length]++;
        }
        perLength[0] = 0;
        int[] next = new int[maxBits + 2];
        int code = 0;
        for (int bits = 1; bits <= maxBits; bits++) {
            code = (code + perLength[bits - 1]) << 1;
            next[bits] = code;
        }
        int[] codes = new int[lengths.length];
        for (int symbol = 0; symbol < lengths.length; symbol++) {
            int length = lengths[symbol];
            if (length != 0) {
                codes[symbol] = Integer.reverse(next[length]++) >>> (32 - length);
            }
        }
        return codes;
    }

    /** The bits of the symbols counted in {@code frequencies} coded with these code lengths. */
    static long bits(int[] frequencies, int[] lengths) {
        long bits = 0;
        for (int symbol = 0; symbol < frequencies.length; symbol++) {
            bits += (long) frequencies[symbol] * lengths[symbol];
        }
        return bits;
    }

    /** The largest of these lengths (0 for none). */
    private static int max(int[] lengths) {
        int max = 0;
        for (int length : lengths) {
            max = Math.max(max, length);
        }
        return max;
    }

    /**
     * Sorts the first {@code count} keys, which are distinct, ascending: Shell's sort, because a build's new JVM
     * runs it before the JIT has compiled it and then compiles it, and a few hundred keys per block make
     * {@code Arrays.sort}'s dual-pivot quicksort (two large methods, compiled and recompiled by C2 in every build)
     * cost more in the JIT's time than it saves (docs/minilm-benchmark.md, "The encoders' first use (session
     * 19, branch h2)").
     */
    private static void sort(long[] keys, int count) {
        for (int gap : SHELL_GAPS) {
            for (int i = gap; i < count; i++) {
                long key = keys[i];
                int j = i;
                for (; j >= gap && keys[j - gap] > key; j -= gap) {
                    keys[j] = keys[j - gap];
                }
                keys[j] = key;
            }
        }
    }

    /** Gives two symbols at least a frequency, so that the code is complete, which every inflater accepts. */
    static void ensureTwoSymbols(int[] frequencies) {
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
}
