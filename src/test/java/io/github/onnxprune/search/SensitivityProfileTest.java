package io.github.onnxprune.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SensitivityProfileTest {

    /** Three groups of one tensor each: a, b and c, of 10, 20 and 30 weights. */
    private static List<TensorGroup> singles() {
        return List.of(TensorGroup.single("a", 10), TensorGroup.single("b", 20), TensorGroup.single("c", 30));
    }

    /** a holds up to 0.5 alone, b up to 0.25, c everything. */
    private static SensitivityProfile.Evaluator limits(List<String> calls) {
        return (group, level) -> {
            calls.add(group.name() + "@" + level);
            double limit = switch (group.name()) {
                case "a" -> 0.5;
                case "b" -> 0.25;
                default -> 1;
            };
            return new CompressionSearch.Measured<>(1 - level / 10, level <= limit, null);
        };
    }

    @Test
    void everyTensorIsMeasuredAtOneLevelBeforeAnyAtTheNextAndACurveStopsAtItsFirstFailure() {
        List<String> calls = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        List<SensitivityProfile.Curve> curves = SensitivityProfile.measure(singles(),
                limits(calls), lines::add);
        assertEquals(List.of("a@0.25", "b@0.25", "c@0.25", "a@0.5", "b@0.5", "c@0.5", "a@0.75", "c@0.75",
                "c@0.9"), calls);
        assertEquals(List.of(3, 2, 4), curves.stream().map(c -> c.points().size()).toList());
        assertEquals(List.of(true, false), curves.get(1).points().stream()
                .map(SensitivityProfile.Point::passes).toList());
        assertEquals(4, lines.size());
        assertTrue(lines.get(1).startsWith("level 50% (2 of 4): 3 tensors measured, 1 fail alone (b 0.9500); "),
                lines.get(1));
        assertTrue(lines.get(1).endsWith(" s left"), lines.get(1));
        assertTrue(lines.get(3).startsWith("level 90% (4 of 4): 1 tensors measured, all pass alone; "),
                lines.get(3));
        assertTrue(lines.get(3).endsWith(" s elapsed"), lines.get(3));
    }

    @Test
    void aSpentTimeBudgetStopsTheProfileKeepingWhatWasMeasured() {
        List<String> calls = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        List<SensitivityProfile.Curve> curves = SensitivityProfile.measure(singles(),
                limits(calls), lines::add, () -> calls.size() >= 4, true, Integer.MAX_VALUE);
        assertEquals(List.of("a@0.25", "b@0.25", "c@0.25", "a@0.5"), calls);
        assertEquals(List.of("a", "b", "c"), curves.stream().map(SensitivityProfile.Curve::name).toList());
        assertTrue(lines.get(1).startsWith("profile stopped at 50%, tensor 2 of 3, after 4"
                + " evaluations in "), lines.get(1));
        // Stopped before the first evaluation, no tensor has a curve.
        assertEquals(List.of(), SensitivityProfile.measure(List.of(TensorGroup.single("a", 10)),
                limits(new ArrayList<>()), line -> { }, () -> true, true, Integer.MAX_VALUE));
    }

    @Test
    void fromTheSecondLevelTheTensorsThatFellMostGoFirstSoACutProfileHasMeasuredThemDeepest() {
        List<String> calls = new ArrayList<>();
        // c falls most at 25%, then a; with an error metric (lower is better) b's larger error ranks it first.
        SensitivityProfile.Evaluator metrics = (group, level) -> {
            calls.add(group.name() + "@" + level);
            double drop = switch (group.name()) {
                case "a" -> 0.02;
                case "b" -> 0.01;
                default -> 0.03;
            };
            return new CompressionSearch.Measured<>(1 - drop * level * 4, true, null);
        };
        // Cut short by the search's budget of evaluations, as by time.
        SensitivityProfile.measure(singles(), metrics, line -> { },
                () -> false, true, 5);
        assertEquals(List.of("a@0.25", "b@0.25", "c@0.25", "c@0.5", "a@0.5"), calls);
        calls.clear();
        SensitivityProfile.measure(singles(), metrics, line -> { },
                () -> false, false, 4);
        assertEquals(List.of("a@0.25", "b@0.25", "c@0.25", "b@0.5"), calls);
        // The fallback ranks alike: with no failure, the worse last metric first.
        SensitivityFallback higher = SensitivityFallback.of(List.of(
                new SensitivityProfile.Curve("a", 10, List.of(new SensitivityProfile.Point(0.25, 0.98, true))),
                new SensitivityProfile.Curve("b", 10, List.of(new SensitivityProfile.Point(0.25, 0.97, true)))),
                20, true);
        assertEquals(List.of("b", "a"), higher.groups().stream().map(g -> g.tensors().name()).toList());
        SensitivityFallback lower = SensitivityFallback.of(List.of(
                new SensitivityProfile.Curve("a", 10, List.of(new SensitivityProfile.Point(0.25, 0.98, true))),
                new SensitivityProfile.Curve("b", 10, List.of(new SensitivityProfile.Point(0.25, 0.97, true)))),
                20, false);
        assertEquals(List.of("a", "b"), lower.groups().stream().map(g -> g.tensors().name()).toList());
    }

    @Test
    void aGroupIsMeasuredAsOneAndHeldBackWholeEveryTensorListed() {
        TensorGroup attention = new TensorGroup("block 0 attention (2 tensors)", List.of("q", "o"),
                List.of(30L, 10L));
        List<String> calls = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        List<SensitivityProfile.Curve> curves = SensitivityProfile.measure(List.of(attention,
                TensorGroup.single("head", 60)), (group, level) -> {
                    calls.add(group.tensors() + "@" + level);
                    return new CompressionSearch.Measured<>(1 - level / 10, group != attention || level < 0.5,
                            null);
                }, lines::add);
        assertEquals(List.of("[q, o]@0.25", "[head]@0.25", "[q, o]@0.5", "[head]@0.5", "[head]@0.75",
                "[head]@0.9"), calls);
        assertTrue(lines.get(1).startsWith("level 50% (2 of 4): 2 groups measured, 1 fail alone (block 0 attention"
                + " (2 tensors) 0.9500); "), lines.get(1));
        assertEquals(40, curves.get(0).group().size());
        // Held back at 0.25 (the level it passed, at most half the total), both tensors; the head takes the rest:
        // (0.5 * 100 - 0.25 * 40) / 60.
        SensitivityFallback fallback = SensitivityFallback.of(curves, 100);
        Candidate.Fractions fractions = fallback.restoring(1, 0.5, 0.95);
        assertEquals(List.of(new Candidate.Restored("q", 0.25), new Candidate.Restored("o", 0.25)),
                fractions.restored());
        assertEquals(0.6666, fractions.sparsity());
        assertEquals(0.5, fallback.total(fractions), 1e-4);
    }
}
