package io.github.onnxprune.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.onnxprune.Fixtures;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.prune.calibrate.ActivationCollector;
import io.github.onnxprune.step.StepInput;
import io.github.onnxprune.step.StepResult;
import io.github.onnxprune.step.weights.WeightPruningStep;
import io.github.onnxprune.step.weights.ZeroedWeights;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The weight step shares a global total with the re-fit's share exactly when it re-fits. */
class GlobalScopeStepTest {

    private static final WeightPruningSettings GLOBAL = new WeightPruningSettings(0.6, Scope.GLOBAL, List.of());

    @Test
    void withoutCalibrationTheSharesAreHalfLamp() {
        Fixtures.Loaded fixture = Fixtures.load("digits-mlp");
        StepResult<ZeroedWeights> result = new WeightPruningStep(GLOBAL, TensorFilter.all(), false)
                .apply(new StepInput(fixture.model(), fixture.model(), null));
        // The counts MagnitudePrunerTest derives for share 0.5.
        assertEquals(List.of(2588L, 1166L, 124L), zeroed(result));
    }

    @Test
    void beforeAReFitTheSharesAreAQuarterLampAndTheReFitKeepsEachTensorsCount() {
        Fixtures.Loaded fixture = Fixtures.load("digits-mlp");
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            ActivationCollector calibration = new ActivationCollector(runtime, fixture.data(), 512, 64);
            StepResult<ZeroedWeights> result = new WeightPruningStep(GLOBAL, TensorFilter.all(), true)
                    .apply(new StepInput(fixture.model(), fixture.model(), calibration));
            // The counts MagnitudePrunerTest derives for share 0.25; the re-fit moves zeros, never their count.
            assertEquals(List.of(2523L, 1197L, 158L), zeroed(result));
            ModelGraph graph = ModelGraph.of(result.model());
            assertEquals(List.of(2523L, 1197L, 158L), List.of("fc1.weight", "fc2.weight", "fc3.weight").stream()
                    .map(name -> (long) FloatTensor.of(graph.constant(name).orElseThrow().tensor()).zeroCount())
                    .toList());
        }
    }

    private static List<Long> zeroed(StepResult<ZeroedWeights> result) {
        return result.edits().tensors().stream().map(t -> (long) t.zeroed()).toList();
    }
}
