package io.github.onnxprune.gate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
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
        assertEquals(2, AccuracyGate.check("m", "accuracy", true, 0.95, 0.80, PRUNING,
                new GateLimits(0.9, 0.1)).violations().size());
        assertTrue(AccuracyGate.check("m", "accuracy", true, 0.95, 0.90, PRUNING,
                new GateLimits(0.9, 0.05)).passed());
        assertTrue(AccuracyGate.check("m", "accuracy", true, 0.95, 0.99, PRUNING,
                new GateLimits(null, 0.0)).passed());
        assertTrue(AccuracyGate.check("m", "accuracy", true, 0.95, 0.10, PRUNING,
                new GateLimits(null, null)).passed());
    }

    @Test
    void forMseARiseIsTheDropAndMinAccuracyIsACeiling() {
        GateVerdict verdict = AccuracyGate.check("m", "mse", false, 0.0, 0.3, PRUNING, new GateLimits(0.1, 0.2));
        assertEquals(2, verdict.violations().size());
        assertTrue(verdict.violations().get(0).contains(", but the maximum allowed (minAccuracy, a ceiling for mse)"
                + " is 0.1000."));
        assertTrue(verdict.violations().get(1).contains(", a rise of 0.3000, but the largest allowed"));
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
}
