package io.github.onnxprune.gate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AccuracyGateTest {

    private static final String PRUNING = "weights to sparsity 0.90 (layerwise)";

    @Test
    void aDropBeyondTheLimitIsOneParagraphNamingModelMetricValuesLimitAndAdvice() {
        GateVerdict verdict = AccuracyGate.check("models/m.onnx", "accuracy", true, 0.9722, 0.9111, PRUNING,
                new GateLimits(null, 0.02));
        assertEquals(List.of("Model models/m.onnx: accuracy is 0.9111 after pruning weights to sparsity 0.90"
                + " (layerwise) (the original model scores 0.9722), a drop of 0.0611, but the largest allowed"
                + " (maxAccuracyDrop) is 0.0200. Lower <sparsity>, leave the most sensitive layers out with"
                + " <tensorExcludes> or a <sparsityOverrides> entry, or relax the limit if the loss is acceptable."),
                verdict.violations());
    }

    @Test
    void bothLimitsAreCheckedAndAnExactlyMetLimitPasses() {
        assertEquals(1, AccuracyGate.check("m", "accuracy", true, 0.95, 0.80, PRUNING,
                new GateLimits(0.9, 0.1)).violations().size());
        assertEquals(1, AccuracyGate.check("m", "accuracy", true, 0.95, 0.80, PRUNING,
                new GateLimits(0.9, null)).violations().size());
        assertTrue(AccuracyGate.check("m", "accuracy", true, 0.95, 0.90, PRUNING,
                new GateLimits(0.9, 0.05)).passed());
        assertTrue(AccuracyGate.check("m", "accuracy", true, 0.95, 0.99, PRUNING,
                new GateLimits(null, 0.0)).passed());
        assertTrue(AccuracyGate.check("m", "accuracy", true, 0.95, 0.10, PRUNING,
                new GateLimits(null, null)).passed());
    }

    @Test
    void twoBrokenLimitsAreOneParagraphThatSaysTheMeasurementAndTheAdviceOnce() {
        GateVerdict verdict = AccuracyGate.check("models/wine.onnx", "accuracy", true, 0.9444, 0.6667,
                "weights to sparsity 0.97 (layerwise)", new GateLimits(0.85, 0.01));
        assertEquals(List.of("Model models/wine.onnx: accuracy is 0.6667 after pruning weights to sparsity 0.97"
                + " (layerwise) (the original model scores 0.9444), a drop of 0.2777, but the largest allowed"
                + " (maxAccuracyDrop) is 0.0100 and the minimum allowed (minAccuracy) is 0.8500. Lower <sparsity>,"
                + " leave the most sensitive layers out with <tensorExcludes> or a <sparsityOverrides> entry, or"
                + " relax the limit if the loss is acceptable."), verdict.violations());
    }

    @Test
    void aFloorTheOriginalModelAlreadyMissesPointsAtTheDataOrTheLimitRatherThanAtPruning() {
        GateVerdict verdict = AccuracyGate.check("models/wine.onnx", "accuracy", true, 0.3333, 0.3333,
                "weights to sparsity 0.60 (layerwise)", new GateLimits(0.85, 0.01));
        assertEquals(List.of("Model models/wine.onnx: the original model already scores accuracy 0.3333 on the"
                + " validation data, but the minimum allowed (minAccuracy) is 0.8500, so no pruning can pass (after"
                + " pruning weights to sparsity 0.60 (layerwise) it scores 0.3333). Check that <validationData>"
                + " matches the model (the labels named by <labelName>, the features in the model's order and"
                + " scaling, the <outputName> and <metric> that fit it), or set <minAccuracy> to what the original"
                + " model reaches."), verdict.violations());
        assertTrue(AccuracyGate.check("m", "accuracy", true, 0.5, 0.2, PRUNING, new GateLimits(0.85, 0.01))
                .violations().get(0).contains("(after pruning weights to sparsity 0.90 (layerwise) it scores"
                        + " 0.2000, a drop of 0.3000 where the largest allowed (maxAccuracyDrop) is 0.0100)."));
    }

    @Test
    void aFloorTheOriginalMissesIsSaidBeforePruningAndOnlyWhenItMissesIt() {
        assertEquals(Optional.of("Model m: the original model already scores accuracy 0.9722 on the validation"
                + " data, but the minimum allowed (minAccuracy) is 0.9900, so no pruning can pass; nothing was"
                + " measured. Check that <validationData> matches the model (the labels named by <labelName>, the"
                + " features in the model's order and scaling, the <outputName> and <metric> that fit it), or set"
                + " <minAccuracy> to what the original model reaches."), AccuracyGate.originalMissesFloor("m",
                        "accuracy", true, 0.9722, new GateLimits(0.99, 0.01), "nothing was measured"));
        assertTrue(AccuracyGate.originalMissesFloor("m", "mse", false, 0.2, new GateLimits(0.1, null), "x")
                .orElseThrow().contains("the maximum allowed (minAccuracy, a ceiling for mse) is 0.1000"));
        // A floor met exactly, a ceiling met, and no floor at all: nothing to say.
        assertEquals(Optional.empty(), AccuracyGate.originalMissesFloor("m", "accuracy", true, 0.99,
                new GateLimits(0.99, null), "x"));
        assertEquals(Optional.empty(), AccuracyGate.originalMissesFloor("m", "mse", false, 0.0,
                new GateLimits(0.0, null), "x"));
        assertEquals(Optional.empty(), AccuracyGate.originalMissesFloor("m", "accuracy", true, 0.1,
                new GateLimits(null, 0.01), "x"));
    }

    @Test
    void forMseARiseIsTheDropAndMinAccuracyIsACeiling() {
        GateVerdict verdict = AccuracyGate.check("m", "mse", false, 0.0, 0.3, PRUNING, new GateLimits(0.1, 0.2));
        assertEquals(List.of("Model m: mse is 0.3000 after pruning weights to sparsity 0.90 (layerwise) (the"
                + " original model scores 0.0000), a rise of 0.3000, but the largest allowed (maxAccuracyDrop) is"
                + " 0.2000 and the maximum allowed (minAccuracy, a ceiling for mse) is 0.1000. Lower <sparsity>,"
                + " leave the most sensitive layers out with <tensorExcludes> or a <sparsityOverrides> entry, or"
                + " relax the limit if the loss is acceptable."), verdict.violations());
        assertTrue(AccuracyGate.check("m", "mse", false, 0.0, 0.05, PRUNING, new GateLimits(0.1, 0.2)).passed());
    }

    @Test
    void theRemediesAreTheStepsOwnThenRelaxingTheLimit() {
        GateLimits limits = new GateLimits(null, 0.01);
        assertTrue(AccuracyGate.check("m", "accuracy", true, 0.95, 0.90, PRUNING, limits,
                List.of("use fewer bits", "try <x>")).violations().get(0)
                .endsWith("is 0.0100. Use fewer bits, try <x>, or relax the limit if the loss is acceptable."));
        assertTrue(AccuracyGate.check("m", "accuracy", true, 0.95, 0.90, PRUNING, limits, List.of()).violations()
                .get(0).endsWith("is 0.0100. Relax the limit if the loss is acceptable."));
    }

    @Test
    void aNegativeDropLimitIsRejected() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> new GateLimits(null, -0.1));
        assertTrue(error.getMessage().startsWith("maxAccuracyDrop is -0.1 but must be zero or more"));
    }

    @Test
    void aDropLimitStricterThanAMetFloorSaysWhatItAsksForAndHowToGateOnTheFloorAlone() {
        // A new user's cosine gate: <minAccuracy>0.95 written, the drop's default 0.01 not noticed.
        GateVerdict verdict = AccuracyGate.check("models/bert.onnx", "cosine", true, 1.0, 0.9808,
                "nodes to 0.25 then weights to sparsity 0.50 (global)", new GateLimits(0.95, 0.01));
        assertEquals(List.of("Model models/bert.onnx: cosine is 0.9808 after pruning nodes to 0.25 then weights to"
                + " sparsity 0.50 (global) (the original model scores 1.0000), a drop of 0.0192, but the largest"
                + " allowed (maxAccuracyDrop) is 0.0100. It meets <minAccuracy> 0.9500, but <maxAccuracyDrop> 0.0100"
                + " (0.01 by default, also beside <minAccuracy>) asks for at least 0.9900 against the original's"
                + " 1.0000: set <maxAccuracyDrop>0.0500</maxAccuracyDrop> to gate on <minAccuracy> alone. Lower"
                + " <sparsity>, leave the most sensitive layers out with <tensorExcludes> or a <sparsityOverrides>"
                + " entry, or relax the limit if the loss is acceptable."), verdict.violations());
        assertTrue(AccuracyGate.check("m", "mse", false, 0.0, 0.03, PRUNING, new GateLimits(0.05, 0.01))
                .violations().get(0).contains("asks for at most 0.0100 against the original's 0.0000: set"
                        + " <maxAccuracyDrop>0.0500</maxAccuracyDrop>"));
    }
}
