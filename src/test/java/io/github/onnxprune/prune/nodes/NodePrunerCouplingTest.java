package io.github.onnxprune.prune.nodes;

import static io.github.onnxprune.TestGraphs.in;
import static io.github.onnxprune.prune.nodes.Checks.dims;
import static io.github.onnxprune.prune.nodes.Checks.keptRows;
import static io.github.onnxprune.prune.nodes.Checks.sameOutputs;
import static io.github.onnxprune.prune.nodes.Checks.values;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.TestGraphs;
import io.github.onnxprune.prune.Scope;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Node pruning across coupled layers: residual Add, Concat, the transformer FFN with Erf GELU, and refusals. */
class NodePrunerCouplingTest {

    /** Zeroes column {@code column} of a row-major [rows, columns] matrix. */
    private static float[] zeroColumn(float[] w, int rows, int columns, int column) {
        for (int r = 0; r < rows; r++) {
            w[r * columns + column] = 0f;
        }
        return w;
    }

    /** x[4] -> Gemm A 6 -> Relu = h; s = h + Gemm B(h); Relu; Gemm C 3 -> y. Weights [out, in]. */
    static ModelProto residual(int dead) {
        return new TestGraphs().input("x", -1, 4).output("y", -1, 3)
                .initializer("wa", TestGraphs.random(81, 6 * 4), 6, 4)
                .initializer("ba", TestGraphs.random(82, 6), 6)
                .initializer("wb", zeroColumn(TestGraphs.random(83, 6 * 6), 6, 6, dead), 6, 6)
                .initializer("bb", TestGraphs.random(84, 6), 6)
                .initializer("wc", zeroColumn(TestGraphs.random(85, 3 * 6), 3, 6, dead), 3, 6)
                .node("Gemm", in("x", "wa", "ba"), "a", "transB", 1L)
                .node("Relu", in("a"), "h")
                .node("Gemm", in("h", "wb", "bb"), "b", "transB", 1L)
                .node("Add", in("h", "b"), "s")
                .node("Relu", in("s"), "r")
                .node("Gemm", in("r", "wc"), "y", "transB", 1L)
                .model();
    }

    @Test
    void residualAddRemovesTheSameUnitsFromBothProducers() throws Exception {
        ModelProto model = residual(3);
        NodePruningResult result = NodePruner.prune(model, NodePruningSettings.of(0.2, Scope.LAYERWISE));
        ModelProto pruned = result.model();
        assertEquals(List.of(5L, 4L), dims(pruned, "wa"));
        assertEquals(List.of(5L, 5L), dims(pruned, "wb"));
        assertEquals(List.of(5L), dims(pruned, "bb"));
        assertEquals(List.of(3L, 5L), dims(pruned, "wc"));
        keptRows(model, pruned, "wa", 0, 1, 2, 4, 5);
        keptRows(model, pruned, "bb", 0, 1, 2, 4, 5);
        sameOutputs(model, pruned, 4, 4);

        ModelProto half = NodePruner.prune(model, NodePruningSettings.of(0.5, Scope.GLOBAL)).model();
        assertEquals(List.of(3L, 4L), dims(half, "wa"));
        assertEquals(List.of(3L, 3L), dims(half, "wb"));
        assertEquals(List.of(3L, 3L), dims(half, "wc"));
        assertArrayEquals(new long[] {4, 3}, Ort.run(half, TestGraphs.random(5, 16), 4, 4).shape());
    }

    @Test
    void residualFromAGraphInputIsUnprunable() {
        ModelProto model = new TestGraphs().input("x", -1, 4).output("y", -1, 3)
                .initializer("wa", TestGraphs.random(91, 4 * 4), 4, 4)
                .initializer("wc", TestGraphs.random(92, 3 * 4), 3, 4)
                .node("Gemm", in("x", "wa"), "a", "transB", 1L)
                .node("Add", in("x", "a"), "s")
                .node("Gemm", in("s", "wc"), "y", "transB", 1L)
                .model();
        NodePruningResult result = NodePruner.prune(model, NodePruningSettings.of(0.5, Scope.LAYERWISE));
        assertSame(model, result.model());
        assertEquals(new SkippedLayer("gemm0", "combined by Add 'add1' with 'x', which is neither a constant nor a"
                + " value whose units are tracked (a graph input or the output of an op node pruning cannot follow)"),
                result.skipped().get(0));
    }

    @Test
    void concatOffsetsSelectTheNextLayersColumns() throws Exception {
        float[] wc = TestGraphs.random(103, 2 * 7);
        zeroColumn(wc, 2, 7, 1);
        zeroColumn(wc, 2, 7, 3 + 2);
        ModelProto model = new TestGraphs().input("x", -1, 4).output("y", -1, 2)
                .initializer("wa", TestGraphs.random(101, 3 * 4), 3, 4)
                .initializer("wb", TestGraphs.random(102, 4 * 4), 4, 4)
                .initializer("wc", wc, 2, 7)
                .node("Gemm", in("x", "wa"), "a", "transB", 1L)
                .node("Relu", in("a"), "ra")
                .node("Gemm", in("x", "wb"), "b", "transB", 1L)
                .node("Sigmoid", in("b"), "sb")
                .node("Concat", in("ra", "sb"), "cat", "axis", 1L)
                .node("Gemm", in("cat", "wc"), "y", "transB", 1L)
                .model();
        // Unit 1 of A (column 1) and unit 2 of B (column 3 + 2) are read by zero weights only.
        ModelProto pruned = NodePruner.prune(model, NodePruningSettings.of(0.34, Scope.LAYERWISE)).model();
        assertEquals(List.of(2L, 4L), dims(pruned, "wa"));
        assertEquals(List.of(3L, 4L), dims(pruned, "wb"));
        assertEquals(List.of(2L, 5L), dims(pruned, "wc"));
        double[] before = values(model, "wc");
        double[] after = values(pruned, "wc");
        int[] keptColumns = {0, 2, 3, 4, 6};
        for (int o = 0; o < 2; o++) {
            for (int j = 0; j < keptColumns.length; j++) {
                assertEquals(before[o * 7 + keptColumns[j]], after[o * 5 + j], 0.0);
            }
        }
        sameOutputs(model, pruned, 3, 4);
    }

    /** proj MatMul+Add 8->6 = h; FFN MatMul+Add 6->10, Erf GELU, MatMul+Add 10->6; h + f; head 6->3. */
    static ModelProto ffn(int deadFfnUnit) {
        float[] w2 = TestGraphs.random(114, 10 * 6);
        for (int o = 0; o < 6; o++) {
            w2[deadFfnUnit * 6 + o] = 0f;
        }
        return new TestGraphs().input("x", -1, 8).output("y", -1, 3)
                .initializer("proj_W", TestGraphs.random(111, 8 * 6), 8, 6)
                .initializer("proj_b", TestGraphs.random(112, 6), 6)
                .initializer("ffn_W1", TestGraphs.random(113, 6 * 10), 6, 10)
                .initializer("ffn_b1", TestGraphs.random(115, 10), 10)
                .initializer("ffn_W2", w2, 10, 6)
                .initializer("ffn_b2", TestGraphs.random(116, 6), 6)
                .initializer("head_W", TestGraphs.random(117, 6 * 3), 6, 3)
                .initializer("head_b", TestGraphs.random(118, 3), 3)
                .initializer("sqrt2", new float[] {1.4142135f})
                .initializer("one", new float[] {1f})
                .initializer("half", new float[] {0.5f})
                .node("MatMul", in("x", "proj_W"), "p").valueInfo("p", -1, 6)
                .node("Add", in("p", "proj_b"), "h")
                .node("MatMul", in("h", "ffn_W1"), "f1")
                .node("Add", in("f1", "ffn_b1"), "f2")
                .node("Div", in("f2", "sqrt2"), "g1")
                .node("Erf", in("g1"), "g2")
                .node("Add", in("g2", "one"), "g3")
                .node("Mul", in("f2", "g3"), "g4")
                .node("Mul", in("g4", "half"), "g5")
                .node("MatMul", in("g5", "ffn_W2"), "f3")
                .node("Add", in("f3", "ffn_b2"), "f4")
                .node("Add", in("h", "f4"), "r")
                .node("MatMul", in("r", "head_W"), "o")
                .node("Add", in("o", "head_b"), "y")
                .model();
    }

    @Test
    void transformerFeedForwardWithErfGelu() throws Exception {
        ModelProto model = ffn(7);
        NodePruningResult result = NodePruner.prune(model, NodePruningSettings.of(0.1, Scope.LAYERWISE));
        ModelProto pruned = result.model();
        // floor(0.1 * 10) = 1 FFN unit goes; floor(0.1 * 6) = 0 of the residual stream.
        assertEquals(List.of(6L, 9L), dims(pruned, "ffn_W1"));
        assertEquals(List.of(9L), dims(pruned, "ffn_b1"));
        assertEquals(List.of(9L, 6L), dims(pruned, "ffn_W2"));
        assertEquals(List.of(8L, 6L), dims(pruned, "proj_W"));
        assertEquals(List.of(), dims(pruned, "sqrt2"));
        sameOutputs(model, pruned, 5, 8);

        NodePruningResult half = NodePruner.prune(model, NodePruningSettings.of(0.5, Scope.LAYERWISE));
        ModelProto halved = half.model();
        assertEquals(List.of(8L, 3L), dims(halved, "proj_W"));
        assertEquals(List.of(3L), dims(halved, "proj_b"));
        assertEquals(List.of(3L, 5L), dims(halved, "ffn_W1"));
        assertEquals(List.of(5L, 3L), dims(halved, "ffn_W2"));
        assertEquals(List.of(3L), dims(halved, "ffn_b2"));
        assertEquals(List.of(3L, 3L), dims(halved, "head_W"));
        assertEquals(List.of(3L), dims(halved, "head_b"));
        assertEquals(List.of(new SkippedLayer("matmul12",
                "its units reach the graph output 'y', whose shape must stay")), half.skipped());
        assertEquals(3, Ort.run(halved, TestGraphs.random(9, 16), 2, 8).shape()[1]);
    }

    @Test
    void unknownOpsSharedWeightsAndOutputsLeaveTheModelIntact() {
        ModelProto model = new TestGraphs().input("x", -1, 4).output("y", -1, 3).output("z", -1, 4)
                .initializer("w1", TestGraphs.random(121, 4 * 4), 4, 4)
                .initializer("w2", TestGraphs.random(122, 3 * 4), 3, 4)
                .initializer("shared", TestGraphs.random(123, 4 * 4), 4, 4)
                .initializer("w4", TestGraphs.random(124, 4 * 4), 4, 4)
                .node("Gemm", in("x", "w1"), "a", "transB", 1L)
                .node("Softmax", in("a"), "s", "axis", 1L)
                .node("Gemm", in("s", "w2"), "y", "transB", 1L)
                .node("Gemm", in("x", "shared"), "b", "transB", 1L)
                .node("Gemm", in("b", "shared"), "c", "transB", 1L)
                .node("Gemm", in("c", "w4"), "z", "transB", 1L)
                .model();
        NodePruningResult result = NodePruner.prune(model, NodePruningSettings.of(0.5, Scope.GLOBAL));
        assertSame(model, result.model());
        assertEquals(List.of(
                new SkippedLayer("gemm0", "read by Softmax 'softmax1', an op node pruning cannot follow"),
                new SkippedLayer("gemm2", "its units reach the graph output 'y', whose shape must stay"),
                new SkippedLayer("gemm3",
                        "constant 'shared' is read by 2 nodes, so it cannot be sliced for one of them"),
                new SkippedLayer("gemm4",
                        "constant 'shared' is read by 2 nodes, so it cannot be sliced for one of them"),
                new SkippedLayer("gemm5", "its units reach the graph output 'z', whose shape must stay")),
                result.skipped());
    }

    @Test
    void nonConstantWeightIsSkipped() {
        ModelProto model = new TestGraphs().input("x", -1, 4).output("y", -1, 4)
                .initializer("w1", TestGraphs.random(131, 4 * 4), 4, 4)
                .node("Gemm", in("x", "w1"), "a", "transB", 1L)
                .node("MatMul", in("a", "a"), "y")
                .model();
        NodePruningResult result = NodePruner.prune(model, NodePruningSettings.of(0.5, Scope.LAYERWISE));
        assertSame(model, result.model());
        assertEquals(List.of(
                new SkippedLayer("gemm0", "used as the right operand of MatMul 'matmul1', a product of two values"),
                new SkippedLayer("matmul1", "weight 'a' is not a constant floating-point matrix")),
                result.skipped());
    }
}
