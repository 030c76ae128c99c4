package io.github.onnxprune.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.onnxprune.Fixtures;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.onnx.OnnxModelReader;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.WeightSelector;
import io.github.onnxprune.search.TensorGroup;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProfileGroupsTest {

    private static List<TensorGroup> groups(String fixture) {
        ModelGraph graph = ModelGraph.of(OnnxModelReader.read(Fixtures.ROOT.resolve(fixture)));
        return ProfileGroups.of(graph, WeightSelector.select(graph, TensorFilter.all()).tensors());
    }

    @Test
    void theBertEncoderIsProfiledByBlockAndRoleAndItsClassifierAlone() {
        // Hidden 32, feed-forward 128, 10 classes: Q, K, V, O are 32 x 32, the feed-forward pair 32 x 128.
        assertEquals(List.of(
                new TensorGroup("block 0 attention (4 tensors)", List.of("onnx::MatMul_344", "onnx::MatMul_347",
                        "onnx::MatMul_350", "onnx::MatMul_354"), List.of(1024L, 1024L, 1024L, 1024L)),
                new TensorGroup("block 0 feed-forward (2 tensors)", List.of("onnx::MatMul_355",
                        "onnx::MatMul_356"), List.of(4096L, 4096L)),
                new TensorGroup("block 1 attention (4 tensors)", List.of("onnx::MatMul_357", "onnx::MatMul_360",
                        "onnx::MatMul_363", "onnx::MatMul_367"), List.of(1024L, 1024L, 1024L, 1024L)),
                new TensorGroup("block 1 feed-forward (2 tensors)", List.of("onnx::MatMul_368",
                        "onnx::MatMul_369"), List.of(4096L, 4096L)),
                TensorGroup.single("classifier.weight", 320)), groups("digits-bert/model.onnx"));
    }

    @Test
    void anMlpKeepsOneGroupPerTensor() {
        List<TensorGroup> groups = groups("digits-mlp/model.onnx");
        assertEquals(List.of("fc1.weight", "fc2.weight", "fc3.weight"),
                groups.stream().map(TensorGroup::name).toList());
        assertEquals(List.of(List.of("fc1.weight"), List.of("fc2.weight"), List.of("fc3.weight")),
                groups.stream().map(TensorGroup::tensors).toList());
    }
}
