package io.github.onnxprune.prune.nodes;

/**
 * Scores the units of a group read by one layer alone, from that layer's weight rows: how {@link
 * UnitImportance#COMPENSATED} ranks (the ranking itself lives with the calibration statistics it needs).
 */
@FunctionalInterface
public interface ReaderRanking {

    /** The scores of {@code reader}'s units, or null to keep the group's importance. */
    Scores of(Reader reader);

    /**
     * A group read by one layer alone.
     *
     * @param input the value the reader reads
     * @param rows the reader's weight rows, {@code features x outputs}, row-major
     * @param features the group's units (a head's columns each count)
     * @param outputs the reader's outputs
     * @param granule units removed together (a head's columns), else 1
     * @param removals how many runs of {@code granule} units will go from it at most: a ranking may stop there,
     *     every unit it leaves scoring above those it removed
     * @param index this group's place among those ranked, from 0
     * @param count how many groups are ranked
     */
    record Reader(String input, double[] rows, int features, int outputs, int granule, int removals, int index,
            int count) {
    }

    /**
     * Per-unit removal costs and the reader's output variance they are relative to (0 when the costs are
     * not comparable across groups).
     */
    record Scores(double[] costs, double reference) {
    }
}
