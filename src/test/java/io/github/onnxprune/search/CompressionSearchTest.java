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
        return (sparsity, nodeSparsity) -> new CompressionSearch.Measured<>(1 - sparsity, sparsity <= limit,
                "model at " + sparsity);
    }

    @Test
    void bisectsBelowTheBoundToTheLastPassingMultipleOfTheResolution() {
        List<String> lines = new ArrayList<>();
        var outcome = CompressionSearch.run(0.9, 0, 8, true, gateUpTo(0.637), lines::add);
        assertEquals(List.of(0.9, 0.45, 0.675, 0.5625, 0.6187, 0.6468, 0.6328, 0.6398),
                outcome.candidates().stream().map(Candidate::sparsity).toList());
        assertEquals(List.of(false, true, false, true, true, false, true, false),
                outcome.candidates().stream().map(Candidate::passes).toList());
        assertTrue(outcome.passed());
        assertEquals(0.6328, outcome.chosen().sparsity());
        assertEquals("model at 0.6328", outcome.payload());
        assertEquals(8, lines.size());
        assertTrue(lines.get(0).startsWith("candidate 1 of at most 8: sparsity 0.9000, metric 0.1000 fails;"),
                lines.get(0));
        assertTrue(lines.get(0).contains("s left"), lines.get(0));
        assertFalse(lines.get(7).contains("s left"), lines.get(7));
    }

    @Test
    void theBudgetLeftAfterBisectionProbesAboveTheBracketFromTheTopDown() {
        CompressionSearch.Evaluator<String> twoRegions = (sparsity, nodeSparsity) -> new CompressionSearch.Measured<>(
                1 - sparsity, sparsity <= 0.5 || sparsity >= 0.8 && sparsity <= 0.85, "");
        List<String> lines = new ArrayList<>();
        var outcome = CompressionSearch.run(0.9, 0, 12, true, twoRegions, lines::add);
        assertEquals(List.of(0.9, 0.45, 0.675, 0.5625, 0.5062, 0.4781, 0.4921, 0.4992, 0.8212),
                outcome.candidates().stream().map(Candidate::sparsity).toList());
        assertEquals(0.8212, outcome.chosen().sparsity());
        assertTrue(lines.get(8).startsWith("candidate 9 of at most 12 (probing above the bracket): sparsity 0.8212"),
                lines.get(8));
        // With a monotone gate every probe fails and the bisection's result stands.
        var monotone = CompressionSearch.run(0.9, 0, 12, true, gateUpTo(0.637), line -> { });
        assertEquals(12, monotone.candidates().size());
        assertEquals(List.of(0.8479, 0.7959, 0.7439, 0.6918),
                monotone.candidates().subList(8, 12).stream().map(Candidate::sparsity).toList());
        assertEquals(0.6328, monotone.chosen().sparsity());
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
        assertEquals(8, outcome.candidates().size());
        assertEquals(0.007, outcome.chosen().sparsity());
        assertEquals(", the best of 8 candidates a search measured (none passed the gate, from sparsity 0.9000"
                + " down to sparsity 0.0070; the best metric, 0.9930, was at sparsity 0.0070)",
                SearchReport.nonePassed(outcome));
    }

    @Test
    void thePinSnippetWritesTheChosenFractions() {
        assertEquals(List.of("<model>", "  <path>models/m.onnx</path>", "  <nodeSparsity>0.2500</nodeSparsity>",
                "  <sparsity>0.6328</sparsity>", "  <search>false</search>", "</model>"),
                SearchReport.pin("models/m.onnx", new Candidate(1, 0.6328, 0.25, 0.9, true, 1)));
    }
}
