package io.github.onnxprune.prune.nodes;

import java.util.List;

/**
 * How a value's prunable axis is made of units: one segment per producing space (several after a Concat),
 * each unit spread over {@code repeat} consecutive features (more than 1 after a Flatten of channels with
 * their spatial positions).
 */
final class Layout {

    /** A run of units of one space at a channel offset. */
    record Segment(Space space, int offset) {
    }

    final List<Segment> segments;
    /** The value's rank, or -1 when unknown. */
    final int rank;
    /** The prunable axis counted from the end (-1 is the last), which is what broadcasting aligns. */
    final int axis;
    /** Features per unit; 0 while unknown (after a Flatten whose spatial size is not annotated). */
    int repeat;

    Layout(List<Segment> segments, int rank, int axis, int repeat) {
        this.segments = List.copyOf(segments);
        this.rank = rank;
        this.axis = axis;
        this.repeat = repeat;
    }

    static Layout of(Space space, int rank, int axis) {
        return new Layout(List.of(new Segment(space, 0)), rank, axis, 1);
    }

    int channels() {
        int channels = 0;
        for (Segment segment : segments) {
            channels += segment.space().size;
        }
        return channels;
    }

    /** Whether the prunable axis is axis 1 (channels of NCHW, features of [N, F]), as BN, pooling and Flatten need. */
    boolean isAxisOne() {
        return rank > 0 && rank + axis == 1;
    }

    /**
     * Settles or checks the feature count: a tensor axis of {@code features} elements must hold every unit
     * {@code repeat} times. Returns false when it cannot.
     */
    boolean fits(long features) {
        int channels = channels();
        if (repeat == 0) {
            if (features <= 0 || features % channels != 0) {
                return false;
            }
            repeat = (int) (features / channels);
            return true;
        }
        return (long) channels * repeat == features;
    }

    void block(String reason) {
        for (Segment segment : segments) {
            segment.space().block(reason);
        }
    }
}
