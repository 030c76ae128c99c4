package io.github.onnxprune.pipeline;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.prune.PrunableTensor;
import io.github.onnxprune.prune.SparsityOverride;
import io.github.onnxprune.prune.WeightSelector;
import io.github.onnxprune.search.SensitivityFallback;
import io.github.onnxprune.search.SensitivityProfile;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Which tensors a search may hold back, from a model's sensitivity profile and the configured overrides. */
final class FallbackTensors {

    private FallbackTensors() {
    }

    /**
     * The groups of tensors a search may hold back, from their sensitivity: only when weights alone are searched
     * (units removed first would read the same overrides), never a group with a tensor the user's own overrides
     * fix, nor one with a tensor whose name a {@code <sparsityOverrides>} pattern could not name exactly (it holds
     * * or ?).
     */
    static SensitivityFallback of(ModelTask task, ModelProto original,
            List<SensitivityProfile.Curve> sensitivity) {
        PruningSettings pruning = task.pruning();
        if (sensitivity.isEmpty() || pruning.nodeSparsity() > 0) {
            return SensitivityFallback.NONE;
        }
        long size = 0;
        // Overrides match a tensor by its own name or by a layer reading it, as weight pruning applies them.
        Map<String, List<String>> overrideNames = new HashMap<>();
        for (PrunableTensor tensor : WeightSelector.select(ModelGraph.of(original), pruning.filter())
                .tensors()) {
            overrideNames.put(tensor.name(), tensor.overrideNames());
            if (SparsityOverride.firstMatching(pruning.overrides(), tensor.overrideNames()) == null) {
                size += FloatTensor.of(tensor.constant().tensor()).size();
            }
        }
        // A group is held back whole, so one tensor the user fixes or a pattern cannot name keeps it all out.
        List<SensitivityProfile.Curve> eligible = sensitivity.stream()
                .filter(c -> c.group().tensors().stream().allMatch(
                        name -> SparsityOverride.firstMatching(pruning.overrides(),
                                overrideNames.getOrDefault(name, List.of(name))) == null
                                && name.indexOf('*') < 0 && name.indexOf('?') < 0))
                .toList();
        return SensitivityFallback.of(eligible, size, task.evaluation().metric().higherIsBetter());
    }
}
