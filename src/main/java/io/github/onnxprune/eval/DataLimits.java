package io.github.onnxprune.eval;

import java.util.Locale;

/**
 * What every reader checks before and after it loads an array: that the declared shape can be held at all,
 * that its bytes fit in the heap that is left, and that floating-point values are finite.
 */
final class DataLimits {

    /**
     * Head room asked for beyond the array itself: a reader holds only the decoded array, but conversions to the
     * model's input type and slicing into batches make copies later.
     */
    static final int COPIES = 2;

    private DataLimits() {
    }

    /**
     * Rejects shapes no Java array can hold and shapes whose samples hold nothing, such as
     * {@code (2000000000, 0)}, before anything is allocated.
     *
     * @return the element count
     */
    static int requireLoadable(long[] shape, TensorKind kind, String subject) {
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0 || shape[i] > Integer.MAX_VALUE - 8) {
                throw new ValidationDataException(subject + " declares shape " + Shapes.format(shape) + ", whose"
                        + " dimension " + i + " no array can hold; the file is corrupt. Re-export it.");
            }
            if (i > 0 && shape[i] == 0 && shape[0] > 0) {
                throw new ValidationDataException(subject + " declares shape " + Shapes.format(shape) + ": its "
                        + shape[0] + " samples hold no values at all. Export the model's real input shape.");
            }
        }
        int count = Shapes.elementCount(shape);
        if (count < 0 || (long) count * kind.byteSize() > Integer.MAX_VALUE - 8) {
            throw new ValidationDataException(subject + " declares shape " + Shapes.format(shape) + " of "
                    + kind.displayName() + ", over 2 GB, more than one array can hold. Use fewer samples.");
        }
        return count;
    }

    /**
     * Fails unless {@code bytes} fit {@link #COPIES} times in the heap not yet in use, so that a large declared
     * array ends in a clear message rather than an OutOfMemoryError (checked before anything is allocated).
     */
    static void requireHeap(long bytes, String subject) {
        Runtime runtime = Runtime.getRuntime();
        long free = runtime.maxMemory() - (runtime.totalMemory() - runtime.freeMemory());
        requireHeap(bytes, free, subject);
    }

    /** As {@link #requireHeap(long, String)} with the free heap given, so the rule can be tested. */
    static void requireHeap(long bytes, long freeHeap, String subject) {
        if (bytes > 0 && bytes > freeHeap / COPIES) {
            throw new ValidationDataException(subject + " needs " + mebibytes(bytes) + " in memory and as much"
                    + " again for the batches made from it, but only " + mebibytes(freeHeap) + " of heap is free."
                    + " Give Maven more memory (MAVEN_OPTS=-Xmx4g) or use fewer samples.");
        }
    }

    /**
     * Rejects NaN and infinite values of a float32 or float64 array, naming the sample (row) and the position
     * within the sample (column) of the first one, both counted from 0.
     */
    static void requireFinite(Object data, long[] shape, String subject) {
        int bad = -1;
        double value = 0;
        if (data instanceof float[] floats) {
            for (int i = 0; i < floats.length && bad < 0; i++) {
                if (!Float.isFinite(floats[i])) {
                    bad = i;
                    value = floats[i];
                }
            }
        } else if (data instanceof double[] doubles) {
            for (int i = 0; i < doubles.length && bad < 0; i++) {
                if (!Double.isFinite(doubles[i])) {
                    bad = i;
                    value = doubles[i];
                }
            }
        }
        if (bad < 0) {
            return;
        }
        long rowLength = 1;
        for (int i = 1; i < shape.length; i++) {
            rowLength *= shape[i];
        }
        String where = shape.length == 0 ? "" : " at row " + bad / rowLength + ", column " + bad % rowLength;
        throw new ValidationDataException(subject + " holds " + describe(value) + where + " (flattened index "
                + bad + " of shape " + Shapes.format(shape) + "; rows are samples, columns the values within one,"
                + " both counted from 0). NaN and infinite values cannot be measured or fitted: clean the data"
                + " or drop that sample, then export it again.");
    }

    private static String describe(double value) {
        return Double.isNaN(value) ? "NaN" : value > 0 ? "+Infinity" : "-Infinity";
    }

    private static String mebibytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }
}
