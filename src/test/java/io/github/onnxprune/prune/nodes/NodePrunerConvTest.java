package io.github.onnxprune.prune.nodes;

import static io.github.onnxprune.TestGraphs.in;
import static io.github.onnxprune.prune.nodes.Checks.dims;
import static io.github.onnxprune.prune.nodes.Checks.keptRows;
import static io.github.onnxprune.prune.nodes.Checks.layer;
import static io.github.onnxprune.prune.nodes.Checks.sameOutputs;
import static io.github.onnxprune.prune.nodes.Checks.values;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import io.github.onnxprune.TestGraphs;
import io.github.onnxprune.prune.Scope;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Node pruning of convolutions: BatchNormalization, pooling, Flatten/Reshape into Gemm, depthwise. */
class NodePrunerConvTest {

    private static final NodePruningSettings QUARTER = NodePruningSettings.of(0.25, Scope.LAYERWISE);

    /** Zeroes input channel {@code channel} of a Conv weight [out, in, k, k]. */
    private static float[] zeroInputChannel(float[] w, int out, int in, int kernel, int channel) {
        for (int o = 0; o < out; o++) {
            for (int k = 0; k < kernel; k++) {
                w[(o * in + channel) * kernel + k] = 0f;
            }
        }
        return w;
    }

    /** x[N,2,5,5] -> Conv 4 -> BatchNormalization -> Relu -> Conv 3 -> y. */
    static ModelProto convBnConv(int dead) {
        float[] w2 = zeroInputChannel(TestGraphs.random(32, 3 * 4 * 9), 3, 4, 9, dead);
        float[] variance = TestGraphs.random(35, 4);
        for (int i = 0; i < 4; i++) {
            variance[i] = Math.abs(variance[i]) + 0.5f;
        }
        long[] pads = {1, 1, 1, 1};
        return new TestGraphs().input("x", -1, 2, 5, 5).output("y", -1, 3, 5, 5)
                .initializer("w1", TestGraphs.random(31, 4 * 2 * 9), 4, 2, 3, 3)
                .initializer("b1", TestGraphs.random(33, 4), 4)
                .initializer("gamma", TestGraphs.random(34, 4), 4)
                .initializer("beta", TestGraphs.random(36, 4), 4)
                .initializer("mean", TestGraphs.random(37, 4), 4)
                .initializer("var", variance, 4)
                .initializer("w2", w2, 3, 4, 3, 3)
                .initializer("b2", TestGraphs.random(38, 3), 3)
                .node("Conv", in("x", "w1", "b1"), "c1", "pads", pads).valueInfo("c1", -1, 4, 5, 5)
                .node("BatchNormalization", in("c1", "gamma", "beta", "mean", "var"), "n1")
                .node("Relu", in("n1"), "r1")
                .node("Conv", in("r1", "w2", "b2"), "y", "pads", pads)
                .model();
    }

    @Test
    void convBatchNormReluConvRemovesDeadChannelExactly() throws Exception {
        ModelProto model = convBnConv(1);
        NodePruningResult result = NodePruner.prune(model, QUARTER);
        ModelProto pruned = result.model();
        assertEquals(List.of(3L, 2L, 3L, 3L), dims(pruned, "w1"));
        for (String name : List.of("b1", "gamma", "beta", "mean", "var")) {
            assertEquals(List.of(3L), dims(pruned, name), name);
        }
        keptRows(model, pruned, "gamma", 0, 2, 3);
        keptRows(model, pruned, "w1", 0, 2, 3);
        assertEquals(List.of(3L, 3L, 3L, 3L), dims(pruned, "w2"));
        sameOutputs(model, pruned, 2, 2, 5, 5);
        // MACs per sample: out channels * in channels * 3 * 3 * 5 * 5.
        assertEquals(new LayerChange("conv0", "Conv", "w1", 4, 3, 76, 57, 4 * 2 * 9 * 25, 3 * 2 * 9 * 25),
                layer(result, "conv0"));
        assertEquals(new LayerChange("conv3", "Conv", "w2", 3, 3, 111, 84, 3 * 4 * 9 * 25, 3 * 3 * 9 * 25),
                layer(result, "conv3"));
        assertEquals(4 * 2 * 9 * 25 + 3 * 4 * 9 * 25, result.macsBefore());
        assertEquals(3 * 2 * 9 * 25 + 3 * 3 * 9 * 25, result.macsAfter());
    }

    @Test
    void batchNormScaleWeighsTheImportance() {
        // No dead channel: the output weights of every channel are equal, the first layer's too, so only the
        // BatchNormalization scale |gamma| / sqrt(var + eps) tells channels apart.
        float[] gamma = {1f, 0.01f, 2f, -3f};
        ModelProto model = new TestGraphs().input("x", -1, 2, 3, 3).output("y", -1, 2, 3, 3)
                .initializer("w1", TestGraphs.fill(4 * 2, 0.5f), 4, 2, 1, 1)
                .initializer("gamma", gamma, 4)
                .initializer("beta", TestGraphs.fill(4, 0f), 4)
                .initializer("mean", TestGraphs.fill(4, 0f), 4)
                .initializer("var", new float[] {1f, 1f, 1f, 0.25f}, 4)
                .initializer("w2", TestGraphs.fill(2 * 4, 1f), 2, 4, 1, 1)
                .node("Conv", in("x", "w1"), "c1")
                .node("BatchNormalization", in("c1", "gamma", "beta", "mean", "var"), "n1")
                .node("Relu", in("n1"), "r1")
                .node("Conv", in("r1", "w2"), "y")
                .model();
        ModelProto pruned = NodePruner.prune(model, NodePruningSettings.of(0.5, Scope.LAYERWISE)).model();
        keptRows(model, pruned, "gamma", 2, 3);
    }

    /** x[N,1,4,4] -> Conv 4 -> Relu -> MaxPool 2 -> Flatten -> Gemm 3 (weight [3, 16]) -> y. */
    static ModelProto convPoolFlattenGemm(int dead, boolean annotated, String flatten) {
        float[] fc = TestGraphs.random(42, 3 * 16);
        for (int o = 0; o < 3; o++) {
            for (int p = 0; p < 4; p++) {
                fc[o * 16 + dead * 4 + p] = 0f;
            }
        }
        TestGraphs graphs = new TestGraphs().input("x", -1, 1, 4, 4).output("y", -1, 3)
                .initializer("w1", TestGraphs.random(41, 4 * 9), 4, 1, 3, 3)
                .initializer("b1", TestGraphs.random(43, 4), 4)
                .initializer("fc", fc, 3, 16)
                .initializer("fcb", TestGraphs.random(44, 3), 3)
                .node("Conv", in("x", "w1", "b1"), "c1", "pads", new long[] {1, 1, 1, 1})
                .node("Relu", in("c1"), "r1")
                .node("MaxPool", in("r1"), "p1", "kernel_shape", new long[] {2, 2}, "strides", new long[] {2, 2});
        if (annotated) {
            graphs.valueInfo("c1", -1, 4, 4, 4).valueInfo("p1", -1, 4, 2, 2).valueInfo("f1", -1, 16);
        }
        switch (flatten) {
            case "Flatten" -> graphs.node("Flatten", in("p1"), "f1", "axis", 1L);
            case "Reshape-1" -> graphs.int64("shape", new long[] {0, -1}, 2).node("Reshape", in("p1", "shape"), "f1");
            default -> graphs.int64("shape", new long[] {-1, 16}, 2).node("Reshape", in("p1", "shape"), "f1");
        }
        return graphs.node("Gemm", in("f1", "fc", "fcb"), "y", "transB", 1L).model();
    }

    @Test
    void flattenMapsEachChannelToItsSpatialFeatures() throws Exception {
        for (boolean annotated : new boolean[] {true, false}) {
            for (String flatten : List.of("Flatten", "Reshape-1", "Reshape16")) {
                ModelProto model = convPoolFlattenGemm(2, annotated, flatten);
                NodePruningResult result = NodePruner.prune(model, QUARTER);
                ModelProto pruned = result.model();
                String what = flatten + (annotated ? " annotated" : "");
                assertEquals(List.of(3L, 1L, 3L, 3L), dims(pruned, "w1"), what);
                assertEquals(List.of(3L, 12L), dims(pruned, "fc"), what);
                double[] before = values(model, "fc");
                double[] after = values(pruned, "fc");
                for (int o = 0; o < 3; o++) {
                    for (int f = 0; f < 12; f++) {
                        int source = f < 8 ? f : f + 4;
                        assertEquals(before[o * 16 + source], after[o * 12 + f], 0.0, what);
                    }
                }
                if (flatten.equals("Reshape16")) {
                    assertEquals(List.of(-1L, 12L), pruned.getGraph().getInitializerList().stream()
                            .filter(t -> t.getName().equals("shape")).findFirst().orElseThrow().getInt64DataList());
                }
                assertEquals(annotated ? 4 * 9 * 16 : -1, layer(result, "conv0").macsBefore(), what);
                assertEquals(List.of(new SkippedLayer("gemm4",
                        "its units reach the graph output 'y', whose shape must stay")), result.skipped(), what);
                sameOutputs(model, pruned, 3, 1, 4, 4);
            }
        }
    }

    @Test
    void globalAveragePoolIntoGemm() throws Exception {
        float[] fc = TestGraphs.random(52, 2 * 4);
        fc[3] = 0f;
        fc[4 + 3] = 0f;
        ModelProto model = new TestGraphs().input("x", -1, 1, 4, 4).output("y", -1, 2)
                .initializer("w1", TestGraphs.random(51, 4 * 9), 4, 1, 3, 3)
                .initializer("fc", fc, 2, 4)
                .node("Conv", in("x", "w1"), "c1")
                .node("GlobalAveragePool", in("c1"), "g1")
                .node("Flatten", in("g1"), "f1")
                .node("Gemm", in("f1", "fc"), "y", "transB", 1L)
                .model();
        ModelProto pruned = NodePruner.prune(model, QUARTER).model();
        assertEquals(List.of(2L, 3L), dims(pruned, "fc"));
        keptRows(model, pruned, "w1", 0, 1, 2);
        sameOutputs(model, pruned, 2, 1, 4, 4);
    }

    @Test
    void depthwiseConvFollowsItsInputChannels() throws Exception {
        float[] w3 = zeroInputChannel(TestGraphs.random(63, 2 * 4), 2, 4, 1, 2);
        ModelProto model = new TestGraphs().input("x", -1, 1, 5, 5).output("y", -1, 2, 5, 5)
                .initializer("w1", TestGraphs.random(61, 4 * 9), 4, 1, 3, 3)
                .initializer("dw", TestGraphs.random(62, 4 * 9), 4, 1, 3, 3)
                .initializer("dwb", TestGraphs.random(64, 4), 4)
                .initializer("w3", w3, 2, 4, 1, 1)
                .node("Conv", in("x", "w1"), "c1", "pads", new long[] {1, 1, 1, 1})
                .node("Relu", in("c1"), "r1")
                .node("Conv", in("r1", "dw", "dwb"), "d1", "group", 4L, "pads", new long[] {1, 1, 1, 1})
                .node("Relu", in("d1"), "r2")
                .node("Conv", in("r2", "w3"), "y")
                .model();
        NodePruningResult result = NodePruner.prune(model, QUARTER);
        ModelProto pruned = result.model();
        assertEquals(List.of(3L, 1L, 3L, 3L), dims(pruned, "w1"));
        assertEquals(List.of(3L, 1L, 3L, 3L), dims(pruned, "dw"));
        assertEquals(List.of(3L), dims(pruned, "dwb"));
        assertEquals(List.of(2L, 3L, 1L, 1L), dims(pruned, "w3"));
        keptRows(model, pruned, "dw", 0, 1, 3);
        NodeProto depthwise = pruned.getGraph().getNode(2);
        assertEquals(3, depthwise.getAttributeList().stream().filter(a -> a.getName().equals("group"))
                .findFirst().orElseThrow().getI());
        assertEquals(new LayerChange("conv2", "Conv", "dw", 4, 3, 40, 30, -1, -1), layer(result, "conv2"));
        sameOutputs(model, pruned, 2, 1, 5, 5);
    }

    @Test
    void groupedConvIsSkippedWithItsReason() {
        ModelProto model = new TestGraphs().input("x", -1, 1, 5, 5).output("y", -1, 2, 5, 5)
                .initializer("w1", TestGraphs.random(71, 4 * 9), 4, 1, 3, 3)
                .initializer("gw", TestGraphs.random(72, 4 * 2 * 9), 4, 2, 3, 3)
                .initializer("w3", TestGraphs.random(73, 2 * 4), 2, 4, 1, 1)
                .node("Conv", in("x", "w1"), "c1", "pads", new long[] {1, 1, 1, 1})
                .node("Conv", in("c1", "gw"), "g1", "group", 2L, "pads", new long[] {1, 1, 1, 1})
                .node("Conv", in("g1", "w3"), "y")
                .model();
        NodePruningResult result = NodePruner.prune(model, NodePruningSettings.of(0.5, Scope.LAYERWISE));
        assertSame(model, result.model());
        assertEquals(List.of(
                new SkippedLayer("conv0", "read by Conv 'conv1', a grouped convolution (group=2)"),
                new SkippedLayer("conv1", "grouped convolution (group=2, 2 input channels per group) is not supported"),
                new SkippedLayer("conv2", "its units reach the graph output 'y', whose shape must stay")),
                result.skipped());
    }
}
