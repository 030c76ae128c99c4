package io.github.onnxprune.prune.nodes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.onnxprune.Fixtures;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.onnx.OnnxModelReader;
import java.util.List;
import org.junit.jupiter.api.Test;

class BlockRolesTest {

    private static List<BlockRoles.Group> roles(String fixture) {
        return BlockRoles.of(ModelGraph.of(OnnxModelReader.read(Fixtures.ROOT.resolve(fixture))));
    }

    @Test
    void aBertEncoderHasAnAttentionAndAFeedForwardGroupPerBlockAndTheClassifierInNone() {
        // Exported names: layers.k/attention/{query,key,value}/MatMul and attention_output/MatMul read the
        // first four weights of each block, intermediate/MatMul and output/MatMul the feed-forward pair.
        assertEquals(List.of(
                new BlockRoles.Group(0, BlockRoles.ATTENTION, List.of("onnx::MatMul_344", "onnx::MatMul_347",
                        "onnx::MatMul_350", "onnx::MatMul_354")),
                new BlockRoles.Group(0, BlockRoles.FEED_FORWARD, List.of("onnx::MatMul_355", "onnx::MatMul_356")),
                new BlockRoles.Group(1, BlockRoles.ATTENTION, List.of("onnx::MatMul_357", "onnx::MatMul_360",
                        "onnx::MatMul_363", "onnx::MatMul_367")),
                new BlockRoles.Group(1, BlockRoles.FEED_FORWARD, List.of("onnx::MatMul_368", "onnx::MatMul_369"))),
                roles("digits-bert/model.onnx"));
    }

    @Test
    void modelsWithoutAttentionHaveNoBlocksEvenWhereLayersReadEachOthersUnits() {
        assertEquals(List.of(), roles("digits-mlp/model.onnx"));
        assertEquals(List.of(), roles("digits-ffn/model.onnx"));
        assertEquals(List.of(), roles("digits-cnn/model-folded.onnx"));
        assertEquals(List.of(), roles("wine-mlp/model.onnx"));
    }
}
