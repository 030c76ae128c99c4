package io.github.onnxprune.prune.nodes;

/**
 * Scores the units of a group read by one layer alone, from that layer's weight rows: the benchmarks' hook for
 * experimental rankings (CompensatedRanking, in the tests), which replace the group's importance.
 */
@FunctionalInterface
interface ReaderRanking {

    /**
     * Scores of the {@code features} units read by the layer whose input is {@code input}, or null to keep
     * the group's importance.
     *
     * @param rows the reader's weight rows, {@code features x outputs}, row-major
     * @param granule units removed together (a head's columns), else 1
     */
    Scores of(String input, double[] rows, int features, int outputs, int granule);

    /**
     * Per-unit removal costs and the reader's output variance they are relative to (0 when the costs are
     * not comparable across groups).
     */
    record Scores(double[] costs, double reference) {
    }
}
