package io.github.onnxprune.prune.calibrate;

/**
 * Recovers which input units and outputs of a layer node pruning kept, from the weights alone: the pruned
 * canonical matrix is the original's rows and columns at the kept indices, in order, copied bit-exactly.
 */
final class KeptUnits {

    private KeptUnits() {
    }

    /**
     * The kept input units and kept outputs, or null when the pruned matrix is not such a slice.
     *
     * @param m original canonical matrix, {@code units * block} rows by {@code outputs} columns
     * @param mPruned pruned canonical matrix, {@code prunedUnits * block} rows by {@code prunedOutputs} columns
     */
    static int[][] match(double[] m, int units, int outputs, double[] mPruned, int prunedUnits, int prunedOutputs,
            int block) {
        int[] keptUnits = new int[prunedUnits];
        int u = 0;
        for (int p = 0; p < prunedUnits; p++) {
            while (u < units && !unitMatches(m, u, outputs, mPruned, p, prunedOutputs, block)) {
                u++;
            }
            if (u == units) {
                return null;
            }
            keptUnits[p] = u++;
        }
        int[] features = features(keptUnits, block);
        int[] keptOutputs = new int[prunedOutputs];
        int o = 0;
        for (int q = 0; q < prunedOutputs; q++) {
            while (o < outputs && !outputMatches(m, outputs, features, mPruned, prunedOutputs, q, o)) {
                o++;
            }
            if (o == outputs) {
                return null;
            }
            keptOutputs[q] = o++;
        }
        return new int[][] {keptUnits, keptOutputs};
    }

    /** Whether unit p's columns are, in order, a subsequence of unit u's columns. */
    private static boolean unitMatches(double[] m, int u, int outputs, double[] mPruned, int p, int prunedOutputs,
            int block) {
        int q = 0;
        for (int o = 0; o < outputs && q < prunedOutputs; o++) {
            boolean same = true;
            for (int s = 0; s < block && same; s++) {
                same = m[(u * block + s) * outputs + o] == mPruned[(p * block + s) * prunedOutputs + q];
            }
            if (same) {
                q++;
            }
        }
        return q == prunedOutputs;
    }

    private static boolean outputMatches(double[] m, int outputs, int[] features, double[] mPruned,
            int prunedOutputs, int q, int o) {
        for (int f = 0; f < features.length; f++) {
            if (m[features[f] * outputs + o] != mPruned[f * prunedOutputs + q]) {
                return false;
            }
        }
        return true;
    }

    /** Feature indices of the given units, {@code block} features each. */
    static int[] features(int[] units, int block) {
        int[] features = new int[units.length * block];
        for (int i = 0; i < units.length; i++) {
            for (int s = 0; s < block; s++) {
                features[i * block + s] = units[i] * block + s;
            }
        }
        return features;
    }
}
