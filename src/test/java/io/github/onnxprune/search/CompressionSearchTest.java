package io.github.onnxprune.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CompressionSearchTest {

    /** A gate that holds up to {@code limit}, with a metric falling as sparsity rises. */
    private static CompressionSearch.Evaluator<String> gateUpTo(double limit) {
        return f -> new CompressionSearch.Measured<>(1 - f.sparsity(), f.sparsity() <= limit,
                "model at " + f.sparsity());
    }

    @Test
    void bisectsToTwoGridStepsThenScansTheGridAboveTheBestPassFromTheTopDown() {
        List<String> lines = new ArrayList<>();
        var outcome = CompressionSearch.run(0.9, 0, 8, true, gateUpTo(0.637), lines::add);
        // Bisection stops once the bracket (0.6328, 0.6468) is at most two steps of 0.01 wide; the one candidate
        // left tries the grid point above the best pass.
        assertEquals(List.of(0.9, 0.45, 0.675, 0.5625, 0.6187, 0.6468, 0.6328, 0.64),
                outcome.candidates().stream().map(Candidate::sparsity).toList());
        assertEquals(List.of(false, true, false, true, true, false, true, false),
                outcome.candidates().stream().map(Candidate::passes).toList());
        assertTrue(outcome.passed());
        assertEquals(0.6328, outcome.chosen().sparsity());
        assertEquals("model at 0.6328", outcome.payload());
        assertEquals(8, lines.size());
        assertTrue(lines.get(0).startsWith("candidate 1 of at most 8: sparsity 0.9000, metric 0.1000 fails;"),
                lines.get(0));
        assertTrue(lines.get(7).startsWith("candidate 8 of at most 8 (probing the grid above the best pass):"
                + " sparsity 0.6400, metric 0.3600 fails;"), lines.get(7));
        assertTrue(lines.get(0).contains("s left"), lines.get(0));
        assertFalse(lines.get(7).contains("s left"), lines.get(7));
    }

    @Test
    void theGridScanFindsAPassAboveFailuresAsAnExhaustiveGridWould() {
        // Not monotone near the limit: 0.64 to 0.65 fail but 0.66 passes, as a re-fit on few samples can.
        CompressionSearch.Evaluator<String> isolatedPass = f -> new CompressionSearch.Measured<>(1 - f.sparsity(),
                f.sparsity() <= 0.637 || f.sparsity() == 0.66, "");
        List<String> lines = new ArrayList<>();
        var outcome = CompressionSearch.run(0.9, 0, 12, true, isolatedPass, lines::add);
        assertEquals(List.of(0.9, 0.45, 0.675, 0.5625, 0.6187, 0.6468, 0.6328, 0.68, 0.67, 0.66),
                outcome.candidates().stream().map(Candidate::sparsity).toList());
        assertEquals(0.66, outcome.chosen().sparsity());
        assertEquals(CompressionSearch.PROBE, outcome.chosen().phase());
        assertFalse(lines.get(9).contains("s left"), lines.get(9));
        // With a monotone gate every grid point fails and the bisection's result stands; the scan covers five
        // steps at most.
        var monotone = CompressionSearch.run(0.9, 0, 14, true, gateUpTo(0.637), line -> { });
        assertEquals(12, monotone.candidates().size());
        assertEquals(List.of(0.68, 0.67, 0.66, 0.65, 0.64),
                monotone.candidates().subList(7, 12).stream().map(Candidate::sparsity).toList());
        assertEquals(0.6328, monotone.chosen().sparsity());
        // A pass further up than the scan reaches is not found (passes up to 0.5 and from 0.8 to 0.85).
        CompressionSearch.Evaluator<String> twoRegions = f -> new CompressionSearch.Measured<>(1 - f.sparsity(),
                f.sparsity() <= 0.5 || f.sparsity() >= 0.8 && f.sparsity() <= 0.85, "");
        assertEquals(0.5, CompressionSearch.run(0.9, 0, 12, true, twoRegions, line -> { }).chosen().sparsity());
    }

    @Test
    void theGridIsOfTheLargestFractionAndTheOtherScalesAlong() {
        var outcome = CompressionSearch.run(0.4, 0.8, 12, true, f -> new CompressionSearch.Measured<>(
                1 - f.nodeSparsity(), f.nodeSparsity() <= 0.5 || f.nodeSparsity() == 0.55, ""), line -> { });
        assertEquals(0.55, outcome.chosen().nodeSparsity());
        assertEquals(0.275, outcome.chosen().sparsity());
        assertEquals(0.275, outcome.chosen().total());
    }

    @Test
    void anUpperBoundThatPassesIsTheOnlyCandidate() {
        var outcome = CompressionSearch.run(0.5, 0.25, 12, true, gateUpTo(0.6), line -> { });
        assertEquals(1, outcome.candidates().size());
        assertEquals(0.5, outcome.chosen().sparsity());
        assertEquals(0.25, outcome.chosen().nodeSparsity());
    }

    @Test
    void theBudgetCapsTheCandidatesAndBothFractionsScaleTogether() {
        var outcome = CompressionSearch.run(0.8, 0.4, 3, true, gateUpTo(0.3), line -> { });
        assertEquals(List.of(0.8, 0.4, 0.2), outcome.candidates().stream().map(Candidate::sparsity).toList());
        assertEquals(List.of(0.4, 0.2, 0.1), outcome.candidates().stream().map(Candidate::nodeSparsity).toList());
        assertEquals(0.2, outcome.chosen().sparsity());
    }

    @Test
    void whenNothingPassesTheBestMetricIsReportedAndTheMessageSaysHowFarItWent() {
        var outcome = CompressionSearch.run(0.9, 0, 12, true, gateUpTo(-1), line -> { });
        assertFalse(outcome.passed());
        assertEquals(7, outcome.candidates().size());
        assertEquals(0.014, outcome.chosen().sparsity());
        assertEquals(", the best of 7 candidates a search measured (none passed the gate, from sparsity 0.9000"
                + " down to sparsity 0.0140; the best metric, 0.9860, was at sparsity 0.0140)",
                SearchReport.nonePassed(outcome));
    }

    @Test
    void thePinSnippetWritesTheChosenFractions() {
        assertEquals(List.of("<model>", "  <path>models/m.onnx</path>", "  <nodeSparsity>0.2500</nodeSparsity>",
                "  <sparsity>0.6328</sparsity>", "  <search>false</search>", "</model>"),
                SearchReport.pin("models/m.onnx", new Candidate(1, 0.6328, 0.25, 0.9, true, 1), List.of("fc1.*=0.3")));
    }

    /** fc1 (100 weights) passes every level alone, fc2 (100) fails at 75%, fc3 (20) fails at 50%. */
    private static SensitivityFallback threeTensors() {
        return SensitivityFallback.of(List.of(
                new SensitivityProfile.Curve("fc1", 100, List.of(new SensitivityProfile.Point(0.25, 0.99, true),
                        new SensitivityProfile.Point(0.5, 0.98, true), new SensitivityProfile.Point(0.75, 0.97, true),
                        new SensitivityProfile.Point(0.9, 0.96, true))),
                new SensitivityProfile.Curve("fc2", 100, List.of(new SensitivityProfile.Point(0.25, 0.99, true),
                        new SensitivityProfile.Point(0.5, 0.98, true), new SensitivityProfile.Point(0.75, 0.9, false))),
                new SensitivityProfile.Curve("fc3", 20, List.of(new SensitivityProfile.Point(0.25, 0.99, true),
                        new SensitivityProfile.Point(0.5, 0.7, false)))), 220);
    }

    /** fc3 holds up to 0.6 and fc2 up to 0.8, every other tensor up to 0.92. */
    private static CompressionSearch.Evaluator<String> fc3LimitsTheUniformFraction() {
        return f -> {
            double fc2 = f.sparsity();
            double fc3 = f.sparsity();
            for (Candidate.Restored restored : f.restored()) {
                fc2 = restored.tensor().equals("fc2") ? restored.sparsity() : fc2;
                fc3 = restored.tensor().equals("fc3") ? restored.sparsity() : fc3;
            }
            return new CompressionSearch.Measured<>(1 - f.sparsity() / 10 - fc3 / 2,
                    fc3 <= 0.6 && fc2 <= 0.8 && f.sparsity() <= 0.92, f.restored().toString());
        };
    }

    @Test
    void theFallbackOrdersTensorsByTheirFirstFailingLevelAndHoldsThemAtTheLastPassingOneOrHalfTheTotal() {
        SensitivityFallback fallback = threeTensors();
        assertEquals(List.of(new SensitivityFallback.Group("fc3", 20, 0.25),
                new SensitivityFallback.Group("fc2", 100, 0.5), new SensitivityFallback.Group("fc1", 100, 0.9)),
                fallback.groups());
        // 0.7 of 220 weights with fc3 at 0.25: the other 200 lose (154 - 5) / 200 = 0.745.
        assertEquals(new Candidate.Fractions(0.745, 0, List.of(new Candidate.Restored("fc3", 0.25))),
                fallback.restoring(1, 0.7, 0.99));
        assertEquals(0.7, fallback.total(fallback.restoring(1, 0.7, 0.99)), 1e-12);
        // fc2 passed 0.5 alone but is held at half the total, 0.35: fc1 would have to lose (154 - 5 - 35) / 100.
        assertEquals(null, fallback.restoring(2, 0.7, 0.99));
        assertEquals(new Candidate.Fractions(0.8, 0, List.of(new Candidate.Restored("fc3", 0.25),
                new Candidate.Restored("fc2", 0.25))), fallback.restoring(2, 0.5, 0.99));
        // Holding every tensor back leaves nothing to prune further.
        assertEquals(null, fallback.restoring(3, 0.5, 0.99));
        // A sensitive tensor too large to hold back (the rest would lose 198 / 120) is passed over for the next.
        SensitivityFallback large = new SensitivityFallback(List.of(new SensitivityFallback.Group("big", 100, 0),
                new SensitivityFallback.Group("small", 20, 0.25)), 220);
        assertEquals(new Candidate.Fractions(0.965, 0, List.of(new Candidate.Restored("small", 0.25))),
                large.restoring(1, 0.9, 0.99));
        assertEquals(null, large.restoring(2, 0.9, 0.99));
        // Nor may the rest go past the configured bound, the largest <sparsity> a pin may hold.
        assertEquals(null, large.restoring(1, 0.9, 0.95));
        assertEquals(0.745, fallback.restoring(1, 0.7, 0.745).sparsity());
        assertEquals(null, fallback.restoring(1, 0.7, 0.7449));
    }

    @Test
    void theCandidatesTheGridScanLeavesHoldBackTheMostSensitiveTensors() {
        List<String> lines = new ArrayList<>();
        var outcome = CompressionSearch.run(0.95, 0, new SearchSettings(true, 16), System.nanoTime(), true,
                CompressionSearch.Profiler.measured(threeTensors()), fc3LimitsTheUniformFraction(), lines::add);
        assertEquals(List.of("bisection", "bisection", "bisection", "bisection", "bisection", "bisection",
                "bisection", "probe", "probe", "probe", "probe", "probe", "fallback", "fallback", "fallback",
                "fallback"), outcome.candidates().stream().map(Candidate::phase).toList());
        // Bisection's best is 0.5937 and the grid above it passes at 0.60, where fc3 reaches its limit. The
        // fallback starts at the lowest failure above, 0.6085, holding fc3 at 0.25: the other 200 weights lose
        // (0.6085 * 220 - 5) / 200 = 0.6443 (0.6084 in all); each pass doubles the step to the next total (0.0085,
        // then 0.017, 0.034, 0.068 above the best).
        assertEquals(List.of(0.95, 0.475, 0.7125, 0.5937, 0.6531, 0.6234, 0.6085, 0.64, 0.63, 0.62, 0.61, 0.6,
                0.6443, 0.6629, 0.7002, 0.7749), outcome.candidates().stream().map(Candidate::sparsity).toList());
        assertEquals(List.of(0.95, 0.475, 0.7125, 0.5937, 0.6531, 0.6234, 0.6085, 0.64, 0.63, 0.62, 0.61, 0.6,
                0.6084, 0.6253, 0.6592, 0.7271), outcome.candidates().stream().map(Candidate::total).toList());
        assertEquals(List.of(false, true, false, true, false, false, false, false, false, false, false, true, true,
                true, true, true), outcome.candidates().stream().map(Candidate::passes).toList());
        Candidate chosen = outcome.chosen();
        assertEquals(16, chosen.index());
        assertEquals(List.of(new Candidate.Restored("fc3", 0.25)), chosen.restored());
        assertTrue(lines.get(12).startsWith("candidate 13 of at most 16 (holding back the most sensitive): total"
                + " 0.6084: sparsity 0.6443, fc3 0.2500, metric "), lines.get(12));
        assertEquals(List.of("<model>", "  <path>models/m.onnx</path>", "  <sparsity>0.7749</sparsity>",
                "  <sparsityOverrides>", "    <sparsityOverride>fc1.*=0.3</sparsityOverride>",
                "    <sparsityOverride>fc3=0.2500</sparsityOverride>", "  </sparsityOverrides>",
                "  <search>false</search>", "</model>"), SearchReport.pin("models/m.onnx", chosen,
                        List.of("fc1.*=0.3")));
        // The default budget of 12 has nothing left for the fallback after the scan, which stops at 0.60.
        var twelve = CompressionSearch.run(0.95, 0, new SearchSettings(true, 12), System.nanoTime(), true,
                CompressionSearch.Profiler.measured(threeTensors()), fc3LimitsTheUniformFraction(), line -> { });
        assertEquals(0.6, twelve.chosen().total());
        assertEquals(12, twelve.candidates().size());
        // When the scan passes at once (0.64) the fallback takes the rest, from one grid step above it: 0.65 of all
        // weights is the others at (0.65 * 220 - 5) / 200 = 0.69; it passes, so 0.67 (0.712), then 0.71 (0.756).
        var early = CompressionSearch.run(0.95, 0, new SearchSettings(true, 12), System.nanoTime(), true,
                CompressionSearch.Profiler.measured(threeTensors()), f -> new CompressionSearch.Measured<>(0.5,
                        f.restored().isEmpty() ? f.sparsity() <= 0.6 || f.sparsity() == 0.64 : f.sparsity() <= 0.72,
                        ""), line -> { });
        assertEquals(List.of(0.64, 0.69, 0.712, 0.756), early.candidates().subList(7, 11).stream()
                .map(Candidate::sparsity).toList());
    }

    @Test
    void theProfileGetsWhatTheCandidatesLeaveAndTheFallbackWhatTheProfileLeaves() {
        List<Integer> offered = new ArrayList<>();
        // A profile that spends 3 runs (fc3 at 25% and 50%, fc2 at 25%) of whatever it is offered.
        CompressionSearch.Profiler threeRuns = (evaluations, timeUp) -> {
            offered.add(evaluations);
            return new CompressionSearch.Profiled(List.of(
                    new SensitivityProfile.Curve("fc3", 20, List.of(new SensitivityProfile.Point(0.25, 0.99, true),
                            new SensitivityProfile.Point(0.5, 0.7, false))),
                    new SensitivityProfile.Curve("fc2", 100, List.of(new SensitivityProfile.Point(0.25, 0.99,
                            true)))), threeTensors());
        };
        var outcome = CompressionSearch.run(0.95, 0, new SearchSettings(true, 16), System.nanoTime(), true,
                threeRuns, fc3LimitsTheUniformFraction(), line -> { });
        // 7 bisection and 5 grid candidates leave 4 to the profile, which spends 3, leaving 1 to the fallback.
        assertEquals(List.of(4), offered);
        assertEquals(13, outcome.candidates().size());
        assertEquals("fallback", outcome.candidates().get(12).phase());
        assertEquals(16, outcome.evaluations());
        assertEquals(List.of("fc3", "fc2"), outcome.sensitivity().stream().map(SensitivityProfile.Curve::name)
                .toList());
        // The default budget leaves the profile nothing: it is not even asked.
        offered.clear();
        var twelve = CompressionSearch.run(0.95, 0, new SearchSettings(true, 12), System.nanoTime(), true,
                threeRuns, fc3LimitsTheUniformFraction(), line -> { });
        assertEquals(List.of(), offered);
        assertEquals(12, twelve.evaluations());
        assertEquals(List.of(), twelve.sensitivity());
        // A bound that passes at once leaves the profile all but one evaluation, and nothing follows it.
        offered.clear();
        var atOnce = CompressionSearch.run(0.95, 0, new SearchSettings(true, 12), System.nanoTime(), true,
                threeRuns, f -> new CompressionSearch.Measured<>(1.0, true, ""), line -> { });
        assertEquals(List.of(11), offered);
        assertEquals(1, atOnce.candidates().size());
        assertEquals(4, atOnce.evaluations());
    }

    @Test
    void aTimeBudgetStartsNoCandidateOnceSpentAndSaysSo() {
        List<String> lines = new ArrayList<>();
        long tenMinutesAgo = System.nanoTime() - 600_000_000_000L;
        var outcome = CompressionSearch.run(0.9, 0, SearchSettings.parse(true, "5m"), tenMinutesAgo, true,
                CompressionSearch.Profiler.NONE, gateUpTo(0.637), lines::add);
        assertEquals(1, outcome.candidates().size());
        assertTrue(outcome.timeUp());
        assertFalse(outcome.passed());
        assertEquals(2, lines.size());
        assertTrue(lines.get(1).startsWith("time budget of 5 min spent (600."), lines.get(1));
        assertTrue(lines.get(1).endsWith(" s elapsed) after 1 of at most 12 candidates; starting no more"),
                lines.get(1));
        // A budget not yet spent changes nothing: the same candidates as a budget of 12 evaluations.
        var unhurried = CompressionSearch.run(0.9, 0, SearchSettings.parse(true, "60min"), System.nanoTime(), true,
                CompressionSearch.Profiler.NONE, gateUpTo(0.637), line -> { });
        assertEquals(CompressionSearch.run(0.9, 0, 12, true, gateUpTo(0.637), line -> { }).candidates().stream()
                .map(Candidate::sparsity).toList(), unhurried.candidates().stream().map(Candidate::sparsity).toList());
        assertFalse(unhurried.timeUp());
    }

    @Test
    void everyLineButTheLastEstimatesWhatRemains() {
        List<String> lines = new ArrayList<>();
        CompressionSearch.run(0.95, 0, new SearchSettings(true, 16), System.nanoTime(), true,
                CompressionSearch.Profiler.measured(threeTensors()), fc3LimitsTheUniformFraction(), lines::add);
        for (int i = 0; i < lines.size(); i++) {
            assertTrue(lines.get(i).contains(" s elapsed"), lines.get(i));
            assertEquals(i < lines.size() - 1, lines.get(i).contains(" s left"), lines.get(i));
        }
    }

    @Test
    void theReportNamesTheTensorThatFailedAloneAtTheLowestLevelNotOneAProfileCutShort() {
        var outcome = CompressionSearch.run(0.9, 0, 8, true, gateUpTo(0.637), line -> { });
        List<SensitivityProfile.Curve> curves = List.of(
                new SensitivityProfile.Curve("cut", 10, List.of(new SensitivityProfile.Point(0.25, 0.99, true))),
                new SensitivityProfile.Curve("weak", 10, List.of(new SensitivityProfile.Point(0.25, 0.99, true),
                        new SensitivityProfile.Point(0.5, 0.9, false))),
                new SensitivityProfile.Curve("less weak", 10, List.of(new SensitivityProfile.Point(0.25, 0.99,
                        true), new SensitivityProfile.Point(0.5, 0.95, false))),
                new SensitivityProfile.Curve("weakest", 10, List.of(new SensitivityProfile.Point(0.25, 0.99,
                        true), new SensitivityProfile.Point(0.5, 0.8, false))));
        var section = SearchReport.section("models/m.onnx", "accuracy", 0.9, 0, SearchSettings.parse(true, "8"),
                List.of(), outcome, curves);
        // Three fail alone at 50%: the worst metric there is named, as the fallback ranks them.
        assertEquals("most sensitive: weakest fails the gate alone at 50% (accuracy 0.8000); every tensor's curve is"
                + " in report.json's sensitivity", section.log().get(section.log().size() - 1));
        assertEquals("sparsity 0.6328 passes (accuracy 0.3672), the strongest of 8 candidates in "
                + String.format(java.util.Locale.ROOT, "%.1f", outcome.seconds()) + " s (15 of the budget's 8"
                + " evaluations, 7 of them the sensitivity profile's); pin it in the pom to build without"
                + " searching:", section.log().get(0));
    }
}
