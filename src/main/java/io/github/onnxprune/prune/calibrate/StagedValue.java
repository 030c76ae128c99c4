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
 * after ({@link Elements#release}).
 */
final class StagedValue {

    private final long[] shape;
    private final int[] sampleStarts;
    private final List<Tensor> held;
    private final IntFunction<Tensor> source;

    /** A value held in these parts, each with the samples as its first dimension. */
    StagedValue(List<Tensor> parts) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("a value needs at least one part");
        }
        held = List.copyOf(parts);
        source = null;
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
        this.shape = shape.clone();
        this.sampleStarts = sampleStarts.clone();
        this.held = null;
        this.source = source;
    }

    /** Part {@code k} (read from its source when not held). */
    Tensor part(int k) {
        return held != null ? held.get(k) : source.apply(k);
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

        private Elements(StagedValue value) {
            this.value = value.held == null ? value : null;
            views = new FloatBuffer[value.sampleStarts.length - 1];
            starts = new long[views.length + 1];
            released = new boolean[views.length];
            long perSample = 1;
            for (int d = 1; d < value.shape.length; d++) {
                perSample *= value.shape[d];
            }
            for (int i = 0; i < views.length; i++) {
                if (value.held != null) {
                    views[i] = value.held.get(i).floatView();
                }
                starts[i + 1] = value.sampleStarts[i + 1] * perSample;
            }
        }

        /** Element {@code index}. */
        float get(long index) {
            int part = part(index);
            return view(part).get((int) (index - starts[part]));
        }

        /** {@code length} elements from {@code index} into {@code into} from {@code offset}; within one sample. */
        void get(long index, float[] into, int offset, int length) {
            int part = part(index);
            view(part).get((int) (index - starts[part]), into, offset, length);
        }

        /**
         * Lets go of the parts wholly before element {@code index}, for a reader that reads in order: once
         * nothing else holds them, their memory can be reclaimed while the rest is read.
         */
        void release(long index) {
            for (int part = 0; part < views.length && starts[part + 1] <= index; part++) {
                views[part] = null;
                released[part] = true;
            }
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
