package io.github.onnxprune.pipeline;

import io.github.onnxprune.prune.GlobalShares;
import io.github.onnxprune.prune.WeightPruningSettings;
import io.github.onnxprune.prune.calibrate.RankingMemo;
import io.github.onnxprune.prune.nodes.NodePruningSettings;
import io.github.onnxprune.step.ModelStep;
import io.github.onnxprune.step.int8.QuantizationStep;
import io.github.onnxprune.step.nodes.NodePruningStep;
import io.github.onnxprune.step.weights.WeightPruningStep;
import java.util.ArrayList;
import java.util.List;

/**
 * The one place that turns a model's settings into the steps that run on it, in order. A new method is a new
 * step package plus one entry here.
 */
final class StepPlan {

    private StepPlan() {
    }

    /**
     * The steps for {@code task}: node pruning when units go, weight pruning for method weights, then int8
     * quantization when asked for.
     */
    static List<ModelStep<?>> of(ModelTask task) {
        return of(task, GlobalShares.BLEND);
    }

    /** The steps for {@code task}, a global scope of weights sharing its total as {@code shares} says. */
    static List<ModelStep<?>> of(ModelTask task, GlobalShares shares) {
        return of(task, shares, new RankingMemo());
    }

    /**
     * The steps for {@code task} as {@link #of(ModelTask, GlobalShares)}, node pruning keeping what its rankings
     * measured on the original in {@code memo} for the next run on the same model.
     */
    static List<ModelStep<?>> of(ModelTask task, GlobalShares shares, RankingMemo memo) {
        PruningSettings pruning = task.pruning();
        boolean reconstruct = task.evaluation().calibration().reconstruct();
        List<ModelStep<?>> steps = new ArrayList<>();
        double nodeFraction = pruning.unitFraction();
        if (pruning.method() == PruneMethod.NODES || nodeFraction > 0) {
            steps.add(new NodePruningStep(new NodePruningSettings(nodeFraction, pruning.scope(), pruning.overrides(),
                    pruning.excludes(), pruning.importance()), reconstruct,
                    task.evaluation().calibration().compensationOptions(), memo));
        }
        if (pruning.method() == PruneMethod.WEIGHTS) {
            steps.add(new WeightPruningStep(new WeightPruningSettings(pruning.sparsity(), pruning.scope(),
                    pruning.overrides(), pruning.tableSparsity(), shares), pruning.filter(), reconstruct,
                    task.evaluation().calibration().refitOptions()));
        }
        if (pruning.quantization().int8()) {
            steps.add(new QuantizationStep(pruning.quantization().settings(), pruning.quantization().fallback()));
        }
        return steps;
    }
}
