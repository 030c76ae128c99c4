package io.github.onnxprune.search;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Which tensors a search holds back when a uniform fraction fails, and how far the rest must go to reach a total:
 * the profiled groups ({@link TensorGroup}: one tensor, or a transformer block's tensors of one role, held back
 * together) ordered most sensitive first by their {@link SensitivityProfile} curve (those that fail alone at a
 * lower level first; among equals, the worse metric at the last level measured; then by name). A group held back
 * at a total {@code t} has each of its tensors pruned to the largest level it passed alone, but at most
 * {@code t / 2}, and dense when its first level already failed.
 *
 * @param groups the groups that can be held back, most sensitive first
 * @param size the number of weights the search prunes in all (restored or not)
 */
public record SensitivityFallback(List<Group> groups, long size) {

    /** The most the tensors not held back may lose, so that each keeps something, whatever the bound. */
    public static final double MAX_REST = 0.99;

    /** No fallback: nothing to hold back. */
    public static final SensitivityFallback NONE = new SensitivityFallback(List.of(), 0);

    public SensitivityFallback {
        groups = List.copyOf(groups);
    }

    /**
     * One group that can be held back.
     *
     * @param tensors its tensors
     * @param keep the largest level it passed alone, 0 when none did
     */
    public record Group(TensorGroup tensors, double keep) {

        /** A group of one tensor. */
        public Group(String tensor, long size, double keep) {
            this(TensorGroup.single(tensor, size), keep);
        }

        /** Its number of weights. */
        public long size() {
            return tensors.size();
        }
    }

    /**
     * The fallback from measured curves of groups whose sizes sum (with tensors not profiled) to {@code size},
     * for a metric where higher is better.
     */
    public static SensitivityFallback of(List<SensitivityProfile.Curve> curves, long size) {
        return of(curves, size, true);
    }

    /**
     * The fallback from measured curves of groups whose sizes sum (with tensors not profiled) to {@code size}.
     *
     * @param higherIsBetter whether a higher metric is the better one, so that the worse ranks as more sensitive
     */
    public static SensitivityFallback of(List<SensitivityProfile.Curve> curves, long size, boolean higherIsBetter) {
        List<SensitivityProfile.Curve> ordered = new ArrayList<>();
        for (SensitivityProfile.Curve curve : curves) {
            if (!curve.points().isEmpty()) {
                ordered.add(curve);
            }
        }
        ordered.sort(Comparator.<SensitivityProfile.Curve>comparingDouble(SensitivityFallback::firstFailure)
                .thenComparingDouble(c -> SensitivityProfile.worseFirst(c.points(), higherIsBetter))
                .thenComparing(SensitivityProfile.Curve::name));
        List<Group> groups = new ArrayList<>();
        for (SensitivityProfile.Curve curve : ordered) {
            double keep = 0;
            for (SensitivityProfile.Point point : curve.points()) {
                keep = point.passes() ? point.sparsity() : keep;
            }
            groups.add(new Group(curve.group(), keep));
        }
        return new SensitivityFallback(groups, size);
    }

    private static double firstFailure(SensitivityProfile.Curve curve) {
        return last(curve).passes() ? Double.MAX_VALUE : last(curve).sparsity();
    }

    /**
     * The fractions that remove {@code total} of all weights with the {@code count} most sensitive groups held
     * back (each at its kept level, at most half of {@code total}; every tensor of a group listed as restored)
     * and the rest pruned further (rounded down to 0.0001), never beyond {@code bound} (the configured
     * {@code <sparsity>}, an upper bound for every fraction the pom would pin) nor {@link #MAX_REST}. A group so
     * large that holding it back would push the rest past that is passed over for the next; null when fewer than
     * {@code count} groups can be held back.
     */
    Candidate.Fractions restoring(int count, double total, double bound) {
        double most = Math.min(bound, MAX_REST);
        List<Candidate.Restored> restored = new ArrayList<>();
        long heldSize = 0;
        double heldRemoved = 0;
        double half = CompressionSearch.floor4(total / 2);
        int held = 0;
        for (Group group : groups) {
            if (held == count) {
                break;
            }
            double fraction = Math.min(group.keep(), half);
            if (rest(total, heldSize + group.size(), heldRemoved + fraction * group.size()) <= most) {
                group.tensors().tensors().forEach(tensor -> restored.add(new Candidate.Restored(tensor, fraction)));
                heldSize += group.size();
                heldRemoved += fraction * group.size();
                held++;
            }
        }
        return held < count ? null
                : new Candidate.Fractions(rest(total, heldSize, heldRemoved), 0, restored);
    }

    /** What the weights not held back must lose for {@code total}; the largest double when none are left. */
    private double rest(double total, long heldSize, double heldRemoved) {
        return heldSize >= size ? Double.MAX_VALUE
                : CompressionSearch.floor4((total * size - heldRemoved) / (size - heldSize));
    }

    /** The fraction of all weights that {@code fractions} removes. */
    double total(Candidate.Fractions fractions) {
        long heldSize = 0;
        double removed = 0;
        for (Candidate.Restored restored : fractions.restored()) {
            long tensorSize = sizeOf(restored.tensor());
            heldSize += tensorSize;
            removed += restored.sparsity() * tensorSize;
        }
        return (removed + fractions.sparsity() * (size - heldSize)) / size;
    }

    private long sizeOf(String tensor) {
        for (Group group : groups) {
            int index = group.tensors().tensors().indexOf(tensor);
            if (index >= 0) {
                return group.tensors().sizes().get(index);
            }
        }
        throw new IllegalArgumentException("no group holds tensor " + tensor);
    }

    private static SensitivityProfile.Point last(SensitivityProfile.Curve curve) {
        return curve.points().get(curve.points().size() - 1);
    }
}
