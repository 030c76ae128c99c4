package io.github.onnxprune.prune.calibrate;

import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.eval.TensorKind;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * A value on every calibration sample, in parts of consecutive samples ({@link StagedActivations}): no array of
 * all samples' values at once, which a heap of a few times the model may have no room for in one piece. The
 * parts are held, or read from where they are kept (a scratch file) each time they are asked for and let go
 * after ({@link Elements#release}). A token sequence value of padded sentences may be kept as its real tokens' rows
 * only ({@link TokenRows}): its shape and elements are still those of the padded value, padding reading zero.
 */
final class StagedValue {

    private final long[] shape;
    private final int[] sampleStarts;
    private final List<Tensor> held;
    private final IntFunction<Tensor> source;
    // Null: each part holds its samples whole; else only their real tokens' rows.
    private final TokenRows layout;

    /** A value held in these parts, each with the samples as its first dimension. */
    StagedValue(List<Tensor> parts) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("a value needs at least one part");
        }
        held = List.copyOf(parts);
        source = null;
        layout = null;
        sampleStarts = new int[parts.size() + 1];
        for (int i = 0; i < parts.size(); i++) {
            sampleStarts[i + 1] = sampleStarts[i] + (int) parts.get(i).shape()[0];
        }
        shape = parts.get(0).shape();
        if (shape.length > 0) {
            shape[0] = sampleStarts[parts.size()];
        }
    }

    /**
     * A float32 value of this shape whose part {@code k}, samples {@code sampleStarts[k]} to
     * {@code sampleStarts[k + 1]}, {@code source} gives each time it is asked for.
     */
    StagedValue(long[] shape, int[] sampleStarts, IntFunction<Tensor> source) {
        this(shape, sampleStarts, null, null, source);
    }

    /**
     * A float32 value of this padded shape ({@code [samples, tokens, ...]}) whose parts hold only the real tokens'
     * rows of their samples ({@code [rows, ...]}), held or given by {@code source}.
     */
    StagedValue(long[] shape, int[] sampleStarts, TokenRows layout, List<Tensor> held, IntFunction<Tensor> source) {
        this.shape = shape.clone();
        this.sampleStarts = sampleStarts.clone();
        this.layout = layout;
        this.held = held == null ? null : List.copyOf(held);
        this.source = source;
    }

    /** Where the real tokens are when the parts hold only their rows, else null. */
    TokenRows layout() {
        return layout;
    }

    /** The first sample of each part, and the sample count last. */
    int[] sampleStarts() {
        return sampleStarts.clone();
    }

    /** Part {@code k} (read from its source when not held). */
    Tensor part(int k) {
        return held != null ? held.get(k) : source.apply(k);
    }

    /** Part {@code k} with every sample whole: real tokens' rows laid out padded, padding zero. */
    Tensor paddedPart(int k) {
        Tensor part = part(k);
        if (layout == null) {
            return part;
        }
        int[] samples = java.util.stream.IntStream.range(sampleStarts[k], sampleStarts[k + 1]).toArray();
        return layout.padded(part.floatView(), layout.rowStarts()[sampleStarts[k]], samples, layout.tokens(),
                (int) part.shape()[1]);
    }

    /** The parts in order (read from their source when not held). */
    List<Tensor> parts() {
        if (held != null) {
            return held;
        }
        List<Tensor> parts = new ArrayList<>();
        for (int k = 0; k + 1 < sampleStarts.length; k++) {
            parts.add(source.apply(k));
        }
        return parts;
    }

    /** The shape of the whole value: all samples as the first dimension. */
    long[] shape() {
        return shape.clone();
    }

    /** Whether the value holds float32 elements. */
    boolean isFloat() {
        return held == null || held.stream().allMatch(part -> part.elementType() == TensorKind.FLOAT);
    }

    /** The float32 elements of all parts in C order, read in place. */
    Elements elements() {
        return new Elements(this);
    }

    /** Reads a value's float32 elements by index into the whole value, without copying a part. */
    static final class Elements {

        private final StagedValue value;
        private final FloatBuffer[] views;
        private final long[] starts;
        private final boolean[] released;
        private final TokenRows layout;
        private final long rowLength;

        private Elements(StagedValue value) {
            this.value = value.held == null ? value : null;
            layout = value.layout;
            views = new FloatBuffer[value.sampleStarts.length - 1];
            starts = new long[views.length + 1];
            released = new boolean[views.length];
            long perSample = 1;
            for (int d = 1; d < value.shape.length; d++) {
                perSample *= value.shape[d];
            }
            long perRow = layout == null ? 1 : perSample / layout.tokens();
            rowLength = perRow;
            for (int i = 0; i < views.length; i++) {
                if (value.held != null) {
                    views[i] = value.held.get(i).floatView();
                }
                starts[i + 1] = layout == null ? value.sampleStarts[i + 1] * perSample
                        : layout.rowStarts()[value.sampleStarts[i + 1]] * perRow;
            }
        }

        /** Element {@code index}. */
        float get(long index) {
            long stored = stored(index);
            if (stored < 0) {
                return 0;
            }
            int part = part(stored);
            return view(part).get((int) (stored - starts[part]));
        }

        /** {@code length} elements from {@code index} into {@code into} from {@code offset}; within one sample. */
        void get(long index, float[] into, int offset, int length) {
            if (layout == null) {
                int part = part(index);
                view(part).get((int) (index - starts[part]), into, offset, length);
                return;
            }
            while (length > 0) {
                int count = (int) Math.min(length, rowLength - index % rowLength);
                long stored = stored(index);
                if (stored < 0) {
                    java.util.Arrays.fill(into, offset, offset + count, 0f);
                } else {
                    int part = part(stored);
                    view(part).get((int) (stored - starts[part]), into, offset, count);
                }
                index += count;
                offset += count;
                length -= count;
            }
        }

        /**
         * Lets go of the parts wholly before element {@code index}, for a reader that reads in order: once
         * nothing else holds them, their memory can be reclaimed while the rest is read.
         */
        void release(long index) {
            long stored = layout == null ? index : layout.rowAtOrAfter(index / rowLength) * rowLength;
            for (int part = 0; part < views.length && starts[part + 1] <= stored; part++) {
                views[part] = null;
                released[part] = true;
            }
        }

        /** Where element {@code index} of the padded value is stored in the parts, or -1 for padding. */
        private long stored(long index) {
            if (layout == null) {
                return index;
            }
            long row = layout.rowOf(index / rowLength);
            return row < 0 ? -1 : row * rowLength + index % rowLength;
        }

        private FloatBuffer view(int part) {
            if (views[part] == null) {
                if (released[part]) {
                    throw new IllegalStateException("part " + part + " was released");
                }
                views[part] = value.source.apply(part).floatView();
            }
            return views[part];
        }

        private int part(long index) {
            int low = 0;
            int high = views.length - 1;
            while (low < high) {
                int middle = (low + high + 1) >>> 1;
                if (starts[middle] <= index) {
                    low = middle;
                } else {
                    high = middle - 1;
                }
            }
            return low;
        }
    }
}
