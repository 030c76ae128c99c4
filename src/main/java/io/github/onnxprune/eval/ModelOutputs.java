package io.github.onnxprune.eval;

import java.util.Arrays;
import java.util.Objects;

/**
 * One model output for every validation sample, each sample's values flattened into a row.
 *
 * @param outputName the graph output the rows come from
 * @param rows one row per sample, all of the same width
 */
public record ModelOutputs(String outputName, float[][] rows) {

    /** Checks that all rows have one width and copies them. */
    public ModelOutputs {
        Objects.requireNonNull(outputName, "outputName");
        Objects.requireNonNull(rows, "rows");
        rows = Shapes.deepCopy(rows);
        for (float[] row : rows) {
            if (row.length != rows[0].length) {
                throw new IllegalArgumentException("output rows differ in width: " + rows[0].length + " and "
                        + row.length);
            }
        }
    }

    /** The rows (a deep copy). */
    @Override
    public float[][] rows() {
        return Shapes.deepCopy(rows);
    }

    /** Number of samples. */
    public int sampleCount() {
        return rows.length;
    }

    /** Number of values per sample (for a classifier, the number of classes); 0 when there are no samples. */
    public int width() {
        return rows.length == 0 ? 0 : rows[0].length;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ModelOutputs that
                && outputName.equals(that.outputName)
                && Arrays.deepEquals(rows, that.rows);
    }

    @Override
    public int hashCode() {
        return Objects.hash(outputName, Arrays.deepHashCode(rows));
    }

    @Override
    public String toString() {
        return "ModelOutputs[" + outputName + ": " + sampleCount() + " x " + width() + "]";
    }
}
