package io.github.onnxprune.prune.calibrate;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.prune.calibrate.WeightReconstruction.Options;
import java.util.List;

/** Multiply-add estimates that decide which path a weight layer's re-fit takes and on how many rows. */
final class RefitCost {

    private RefitCost() {
    }

    /**
     * Each of {@code layers}' estimated cost, which weights the re-fit's time estimate: its sweep at the most rows,
     * plus the exact re-fit of the mask the sweep chooses when that applies (by the zeros the pruned model holds).
     */
    static double[] ofLayers(ModelGraph dense, ModelProto pruned, List<Integer> layers, Options options) {
        ModelGraph prunedGraph = ModelGraph.of(pruned);
        double[] costs = new double[layers.size()];
        for (int position = 0; position < layers.size(); position++) {
            LinearLayer layer = LinearLayer.of(dense, layers.get(position));
            long zeros = FloatTensor.of(prunedGraph.constant(layer.weight()).orElseThrow().tensor()).zeroCount();
            costs[position] = sweep(layer.features(), layer.outputs(), options.maxRows())
                    + sweptRefit(layer, zeros, options);
        }
        return costs;
    }

    /**
     * About what the re-fit of a swept mask adds to a layer with {@code zeros} zeros, at the mean kept count: the
     * exact solve's {@code outputs * kept^3 / 3} up to the exact path's limit, beyond it at most {@link
     * SweptRefit#MAX_STEPS} conjugate-gradient steps of {@code outputs * kept^2}; 0 when the layer takes the exact
     * path or the re-fit is over its limit.
     */
    static double sweptRefit(LinearLayer layer, long zeros, Options options) {
        double width = layer.features();
        double outputs = layer.outputs();
        boolean swept = !(options.reselect() && outputs * width * width * width <= options.exactFlops());
        double kept = width - zeros / outputs;
        double exact = outputs * kept * kept * kept / 3;
        if (!swept || exact > options.refitFlops()) {
            return 0;
        }
        return exact <= options.exactFlops() ? exact : outputs * kept * kept * SweptRefit.MAX_STEPS;
    }

    /**
     * Most rows within the sweep's budget, at most {@link Options#maxRows}; below
     * {@link WeightReconstruction#MIN_ROWS}: skipped.
     */
    static int affordableRows(int width, int outputs, Options options) {
        double fixed = sweep(width, outputs, 0);
        double perRow = sweep(width, outputs, 1) - fixed;
        return (int) Math.min(options.maxRows(), Math.max(0, Math.floor((options.maxFlops() - fixed) / perRow)));
    }

    /**
     * Multiply-adds of the sweep path: Gram matrix, the four {@code rows x width x outputs} products (target,
     * right-hand side, both errors), the inverse's factor, the unpruned solve and the sweep itself.
     */
    static double sweep(int width, int outputs, int rows) {
        double w = width;
        return rows * w * w / 2 + 4.0 * rows * w * outputs + w * w * w / 3 + 1.5 * w * w * outputs;
    }
}
