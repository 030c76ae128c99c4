package io.github.onnxprune.eval;

import java.util.StringJoiner;

/** Shape arithmetic and the bracketed notation every message in this package uses. */
final class Shapes {

    private Shapes() {
    }

    /** A copy of every row, so records holding output rows stay immutable. */
    static float[][] deepCopy(float[][] rows) {
        float[][] copy = new float[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            copy[i] = rows[i].clone();
        }
        return copy;
    }

    /** Formats concrete dimensions, for example {@code [360, 63]}. */
    static String format(long[] shape) {
        if (shape == null) {
            return "[any rank]";
        }
        StringJoiner joiner = new StringJoiner(", ", "[", "]");
        for (long dim : shape) {
            joiner.add(Long.toString(dim));
        }
        return joiner.toString();
    }

    /**
     * Formats a model's declared shape the way a user reads it: {@code N} for a dynamic sample dimension,
     * {@code ?} for any other dynamic dimension, for example {@code [N, 64]}.
     */
    static String formatExpected(long[] shape) {
        if (shape == null) {
            return "[any rank]";
        }
        StringJoiner joiner = new StringJoiner(", ", "[", "]");
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] >= 0) {
                joiner.add(Long.toString(shape[i]));
            } else {
                joiner.add(i == 0 ? "N" : "?");
            }
        }
        return joiner.toString();
    }

    /** Number of elements, or -1 when it does not fit in an {@code int} (Java arrays cannot hold more). */
    static int elementCount(long[] shape) {
        long count = 1;
        for (long dim : shape) {
            if (dim < 0) {
                throw new IllegalArgumentException("negative dimension in " + format(shape));
            }
            try {
                count = Math.multiplyExact(count, dim);
            } catch (ArithmeticException overflow) {
                return -1;
            }
            if (count > Integer.MAX_VALUE - 8) {
                return -1;
            }
        }
        return (int) count;
    }
}
