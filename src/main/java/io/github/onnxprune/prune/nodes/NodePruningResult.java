package io.github.onnxprune.prune.nodes;

import ai.onnx.proto.OnnxMl;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
 * @param slices per constant that was sliced, the indices kept on each axis in order ({@code null} for an axis
 *     left whole): exactly what was removed, so compensation never has to guess it from the values
 */
public record NodePruningResult(OnnxMl.ModelProto model, List<LayerChange> layers, List<SkippedLayer> skipped,
        long paramsBefore, long paramsAfter, long macsBefore, long macsAfter, Map<String, int[][]> slices) {

    public NodePruningResult {
        layers = List.copyOf(layers);
        skipped = List.copyOf(skipped);
        Map<String, int[][]> copy = new LinkedHashMap<>();
        slices.forEach((name, axes) -> {
            int[][] axesCopy = new int[axes.length][];
            for (int a = 0; a < axes.length; a++) {
                axesCopy[a] = axes[a] == null ? null : axes[a].clone();
            }
            copy.put(name, axesCopy);
        });
        slices = Collections.unmodifiableMap(copy);
    }

    /**
     * The indices of {@code axis} that constant {@code tensor} kept, in order, or null when that axis (or the
     * whole constant) was left whole.
     */
    public int[] kept(String tensor, int axis) {
        int[][] axes = slices.get(tensor);
        return axes == null || axes[axis] == null ? null : axes[axis].clone();
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
