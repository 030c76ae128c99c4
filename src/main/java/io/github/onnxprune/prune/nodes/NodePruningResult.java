package io.github.onnxprune.prune.nodes;

import ai.onnx.proto.OnnxMl;
import java.util.List;

/**
 * A node-pruned model and what changed.
 *
 * @param model the pruned model; the very same instance as the input when no unit was removed
 * @param layers every weighted layer in graph order, pruned or not
 * @param skipped layers left unpruned, with the reason
 * @param paramsBefore elements of every floating-point constant of the main graph before
 * @param paramsAfter the same after
 * @param macsBefore multiply-accumulates per sample of all weighted layers, or -1 if one of them is unknown
 * @param macsAfter the same after
 */
public record NodePruningResult(OnnxMl.ModelProto model, List<LayerChange> layers, List<SkippedLayer> skipped,
        long paramsBefore, long paramsAfter, long macsBefore, long macsAfter) {

    public NodePruningResult {
        layers = List.copyOf(layers);
        skipped = List.copyOf(skipped);
    }

    /** Output units of all weighted layers before. */
    public long unitsBefore() {
        return layers.stream().mapToLong(LayerChange::unitsBefore).sum();
    }

    /** Output units of all weighted layers after. */
    public long unitsAfter() {
        return layers.stream().mapToLong(LayerChange::unitsAfter).sum();
    }
}
