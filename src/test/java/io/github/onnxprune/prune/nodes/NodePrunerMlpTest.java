package io.github.onnxprune.prune.nodes;

import static io.github.onnxprune.TestGraphs.in;
import static io.github.onnxprune.prune.nodes.Checks.dims;
import static io.github.onnxprune.prune.nodes.Checks.keptRows;
import static io.github.onnxprune.prune.nodes.Checks.layer;
import static io.github.onnxprune.prune.nodes.Checks.sameOutputs;
import static io.github.onnxprune.prune.nodes.Checks.values;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.github.onnxprune.TestGraphs;
import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.prune.NamePattern;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.SparsityOverride;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Node pruning of fully connected chains: Gemm with both weight layouts, and MatMul + Add. */
class NodePrunerMlpTest {

    /** x[4] -> Gemm 6 -> Relu -> Gemm 5 -> Relu -> Gemm 3 -> y, weights [out, in] when transB = 1. */
    static ModelProto gemmChain(boolean transB, int deadHidden1, int deadHidden2) {
        float[] w1 = TestGraphs.random(11, 6 * 4);
        float[] w2 = TestGraphs.random(12, 5 * 6);
        float[] w3 = TestGraphs.random(13, 3 * 5);
        // The next layer's weights reading the dead unit are zero: removing it cannot change the output.
        for (int o = 0; o < 5; o++) {
            w2[transB ? o * 6 + deadHidden1 : deadHidden1 * 5 + o] = 0f;
        }
        for (int o = 0; o < 3; o++) {
            w3[transB ? o * 5 + deadHidden2 : deadHidden2 * 3 + o] = 0f;
        }
        long t = transB ? 1L : 0L;
        return new TestGraphs().input("x", -1, 4).output("y", -1, 3)
                .initializer("w1", w1, transB ? new long[] {6, 4} : new long[] {4, 6})
                .initializer("b1", TestGraphs.random(14, 6), 6)
                .initializer("w2", w2, transB ? new long[] {5, 6} : new long[] {6, 5})
                .initializer("b2", TestGraphs.random(15, 5), 5)
                .initializer("w3", w3, transB ? new long[] {3, 5} : new long[] {5, 3})
                .initializer("b3", TestGraphs.random(16, 3), 3)
                .node("Gemm", in("x", "w1", "b1"), "h1", "transB", t).valueInfo("h1", -1, 6)
                .node("Relu", in("h1"), "r1").valueInfo("r1", -1, 6)
                .node("Gemm", in("r1", "w2", "b2"), "h2", "transB", t).valueInfo("h2", -1, 5)
                .node("Relu", in("h2"), "r2")
                .node("Gemm", in("r2", "w3", "b3"), "y", "transB", t)
                .model();
    }

    @Test
    void gemmChainTransBRemovesDeadUnitsExactly() throws Exception {
        ModelProto model = gemmChain(true, 2, 4);
        NodePruningResult result = NodePruner.prune(model, NodePruningSettings.of(0.2, Scope.LAYERWISE));
        ModelProto pruned = result.model();
        assertEquals(List.of(5L, 4L), dims(pruned, "w1"));
        assertEquals(List.of(5L), dims(pruned, "b1"));
        assertEquals(List.of(4L, 5L), dims(pruned, "w2"));
        assertEquals(List.of(4L), dims(pruned, "b2"));
        assertEquals(List.of(3L, 4L), dims(pruned, "w3"));
        assertEquals(List.of(3L), dims(pruned, "b3"));
        keptRows(model, pruned, "w1", 0, 1, 3, 4, 5);
        sameOutputs(model, pruned, 5, 4);
        assertEquals(0, pruned.getGraph().getValueInfoList().stream()
                .filter(v -> v.getName().equals("h1") || v.getName().equals("r1") || v.getName().equals("h2"))
                .count(), "annotations of pruned values are dropped");

        LayerChange first = layer(result, "gemm0");
        assertEquals(new LayerChange("gemm0", "Gemm", "w1", 6, 5, 30, 25, 24, 20), first);
        assertEquals(new LayerChange("gemm2", "Gemm", "w2", 5, 4, 35, 24, 30, 20), layer(result, "gemm2"));
        assertEquals(new LayerChange("gemm4", "Gemm", "w3", 3, 3, 18, 15, 15, 12), layer(result, "gemm4"));
        assertEquals(30 + 35 + 18, result.paramsBefore());
        assertEquals(25 + 24 + 15, result.paramsAfter());
        assertEquals(24 + 30 + 15, result.macsBefore());
        assertEquals(20 + 20 + 12, result.macsAfter());
        assertEquals(List.of(new SkippedLayer("gemm4", "its units reach the graph output 'y', whose shape must stay")),
                result.skipped());
    }

    @Test
    void gemmChainWithoutTransBSlicesColumns() throws Exception {
        ModelProto model = gemmChain(false, 1, 0);
        ModelProto pruned = NodePruner.prune(model, NodePruningSettings.of(0.2, Scope.LAYERWISE)).model();
        assertEquals(List.of(4L, 5L), dims(pruned, "w1"));
        assertEquals(List.of(5L, 4L), dims(pruned, "w2"));
        assertEquals(List.of(4L, 3L), dims(pruned, "w3"));
        // Column 1 of w1 is gone: row 0 keeps columns 0, 2, 3, 4, 5.
        double[] before = values(model, "w1");
        double[] after = values(pruned, "w1");
        assertArrayEquals(new double[] {before[0], before[2], before[3], before[4], before[5]},
                java.util.Arrays.copyOfRange(after, 0, 5));
        sameOutputs(model, pruned, 3, 4);
    }

    @Test
    void sparsityZeroReturnsTheSameModel() {
        ModelProto model = gemmChain(true, 2, 4);
        NodePruningResult result = NodePruner.prune(model, NodePruningSettings.of(0.0, Scope.GLOBAL));
        assertSame(model, result.model());
        assertArrayEquals(model.toByteArray(), result.model().toByteArray());
        assertEquals(result.paramsBefore(), result.paramsAfter());
        // A fraction too small to remove one unit of any layer is the same case.
        assertSame(model, NodePruner.prune(model, NodePruningSettings.of(0.1, Scope.LAYERWISE)).model());
    }

    @Test
    void sameInputGivesSameBytes() {
        ModelProto model = gemmChain(true, 2, 4);
        for (Scope scope : Scope.values()) {
            byte[] first = NodePruner.prune(model, NodePruningSettings.of(0.5, scope)).model().toByteArray();
            byte[] second = NodePruner.prune(ModelProto.newBuilder(model).build(), NodePruningSettings.of(0.5, scope))
                    .model().toByteArray();
            assertArrayEquals(first, second);
        }
    }

    /** x[5] -> MatMul 8 -> Add -> Relu -> MatMul 4 -> Add -> Relu -> MatMul 2 -> Add -> y, with Sub/Div first. */
    static ModelProto matMulChain(int deadHidden1) {
        float[] w2 = TestGraphs.random(22, 8 * 4);
        for (int o = 0; o < 4; o++) {
            w2[deadHidden1 * 4 + o] = 0f;
        }
        return new TestGraphs().input("x", -1, 5).output("y", -1, 2)
                .initializer("mean", TestGraphs.random(20, 5), 5)
                .initializer("std", TestGraphs.fill(5, 2f), 5)
                .initializer("w1", TestGraphs.random(21, 5 * 8), 5, 8)
                .initializer("b1", TestGraphs.random(23, 8), 8)
                .initializer("w2", w2, 8, 4)
                .initializer("b2", TestGraphs.random(24, 4), 4)
                .initializer("w3", TestGraphs.random(25, 4 * 2), 4, 2)
                .initializer("b3", TestGraphs.random(26, 2), 2)
                .node("Sub", in("x", "mean"), "xs")
                .node("Div", in("xs", "std"), "xn").valueInfo("xn", -1, 5)
                .node("MatMul", in("xn", "w1"), "m1").valueInfo("m1", -1, 8)
                .node("Add", in("m1", "b1"), "a1")
                .node("Relu", in("a1"), "r1")
                .node("MatMul", in("r1", "w2"), "m2")
                .node("Add", in("b2", "m2"), "a2")
                .node("Relu", in("a2"), "r2")
                .node("MatMul", in("r2", "w3"), "m3")
                .node("Add", in("m3", "b3"), "y")
                .model();
    }

    @Test
    void matMulAddChainRemovesDeadUnitExactlyAndKeepsStandardisation() throws Exception {
        ModelProto model = matMulChain(6);
        NodePruningResult result = NodePruner.prune(model, NodePruningSettings.of(0.125, Scope.LAYERWISE));
        ModelProto pruned = result.model();
        assertEquals(List.of(5L, 7L), dims(pruned, "w1"));
        assertEquals(List.of(7L), dims(pruned, "b1"));
        assertEquals(List.of(7L, 4L), dims(pruned, "w2"));
        assertEquals(List.of(4L), dims(pruned, "b2"));
        assertEquals(List.of(4L, 2L), dims(pruned, "w3"));
        assertEquals(Checks.tensor(model, "mean"), Checks.tensor(pruned, "mean"));
        assertEquals(Checks.tensor(model, "std"), Checks.tensor(pruned, "std"));
        sameOutputs(model, pruned, 4, 5);
        assertEquals(new LayerChange("matmul2", "MatMul", "w1", 8, 7, 48, 42, 40, 35), layer(result, "matmul2"));
        assertEquals(new LayerChange("matmul5", "MatMul", "w2", 4, 4, 36, 32, 32, 28), layer(result, "matmul5"));
    }

    @Test
    void halfTheUnitsGoAndTheModelStillRuns() throws Exception {
        ModelProto model = matMulChain(6);
        for (Scope scope : Scope.values()) {
            NodePruningResult result = NodePruner.prune(model, NodePruningSettings.of(0.5, scope));
            ModelProto pruned = result.model();
            if (scope == Scope.LAYERWISE) {
                assertEquals(List.of(5L, 4L), dims(pruned, "w1"));
                assertEquals(List.of(4L, 2L), dims(pruned, "w2"));
                assertEquals(List.of(2L, 2L), dims(pruned, "w3"));
            } else {
                assertEquals(6, 12 - dims(pruned, "w2").get(0) - dims(pruned, "w2").get(1), "floor(0.5 * 12)");
            }
            Ort.Output output = Ort.run(pruned, TestGraphs.random(3, 15), 3, 5);
            assertArrayEquals(new long[] {3, 2}, output.shape());
        }
    }

    @Test
    void globalScopeComparesNormalisedImportanceAndKeepsOneUnit() {
        ModelProto model = gemmChain(true, 2, 4);
        NodePruningResult result = NodePruner.prune(model, NodePruningSettings.of(0.9, Scope.GLOBAL));
        // floor(0.9 * 11) = 9 units wanted, but each of the two groups keeps one: 5 + 4 go.
        assertEquals(1, layer(result, "gemm0").unitsAfter());
        assertEquals(1, layer(result, "gemm2").unitsAfter());
        assertEquals(3, layer(result, "gemm4").unitsAfter());

        // Scaling a layer's weights by 1000 does not change which units the global ranking takes.
        ModelProto scaled = scale(model, "w1", 1000f);
        NodePruningSettings half = NodePruningSettings.of(0.5, Scope.GLOBAL);
        NodePruningResult plain = NodePruner.prune(model, half);
        NodePruningResult big = NodePruner.prune(scaled, half);
        assertEquals(layer(plain, "gemm0").unitsAfter(), layer(big, "gemm0").unitsAfter());
        assertEquals(layer(plain, "gemm2").unitsAfter(), layer(big, "gemm2").unitsAfter());
        assertEquals(5, (6 - layer(plain, "gemm0").unitsAfter()) + (5 - layer(plain, "gemm2").unitsAfter()),
                "floor(0.5 * 11) units removed");
    }

    private static ModelProto scale(ModelProto model, String name, float factor) {
        ModelProto.Builder builder = model.toBuilder();
        for (TensorProto.Builder tensor : builder.getGraphBuilder().getInitializerBuilderList()) {
            if (tensor.getName().equals(name)) {
                for (int i = 0; i < tensor.getFloatDataCount(); i++) {
                    tensor.setFloatData(i, tensor.getFloatData(i) * factor);
                }
            }
        }
        return builder.build();
    }

    @Test
    void overridesAndExcludesApplyByLayerOrWeightName() {
        ModelProto model = gemmChain(true, 2, 4);
        NodePruningSettings settings = new NodePruningSettings(0.5, Scope.LAYERWISE,
                List.of(SparsityOverride.parse("w2=0.2")), List.of(new NamePattern("gemm0")), UnitImportance.L2);
        NodePruningResult result = NodePruner.prune(model, settings);
        assertEquals(6, layer(result, "gemm0").unitsAfter());
        assertEquals(4, layer(result, "gemm2").unitsAfter());
        assertEquals(List.of(new SkippedLayer("gemm0", "excluded by the pattern 'gemm0'"),
                new SkippedLayer("gemm4", "its units reach the graph output 'y', whose shape must stay")),
                result.skipped());
        // L2 importance also finds the dead unit of the second layer.
        assertEquals(List.of(4L, 6L), dims(result.model(), "w2"));
        keptRows(model, result.model(), "w2", 0, 1, 2, 3);
    }

    @Test
    void float64WeightsAreSlicedBitExactly() throws Exception {
        ModelProto model = gemmChain(true, 2, 4);
        ModelProto.Builder builder = model.toBuilder();
        for (TensorProto.Builder tensor : builder.getGraphBuilder().getInitializerBuilderList()) {
            if (tensor.getName().equals("w1")) {
                List<Float> floats = List.copyOf(tensor.getFloatDataList());
                tensor.clearFloatData().setDataType(TensorProto.DataType.DOUBLE_VALUE);
                for (float f : floats) {
                    tensor.addDoubleData(f + 1e-12);
                }
            }
        }
        ModelProto doubles = builder.build();
        ModelProto pruned = NodePruner.prune(doubles, NodePruningSettings.of(0.2, Scope.LAYERWISE)).model();
        TensorProto w1 = Checks.tensor(pruned, "w1");
        assertEquals(TensorProto.DataType.DOUBLE_VALUE, w1.getDataType());
        assertEquals(20, w1.getDoubleDataCount());
        keptRows(doubles, pruned, "w1", 0, 1, 3, 4, 5);
        assertTrue(FloatTensor.of(w1).values()[0] != (float) FloatTensor.of(w1).values()[0]);
    }

    @Test
    void metadataOpsetsUnknownFieldsAndConstantNodeWeightsSurvive() throws Exception {
        ModelProto initializers = gemmChain(true, 2, 4);
        // Move w1 into a Constant node, add metadata and a field number the ONNX classes do not know.
        ModelProto.Builder builder = initializers.toBuilder();
        TensorProto w1 = builder.getGraph().getInitializer(0);
        builder.getGraphBuilder().removeInitializer(0);
        builder.getGraphBuilder().addNode(0, ai.onnx.proto.OnnxMl.NodeProto.newBuilder().setOpType("Constant")
                .setName("w1_const").addOutput("w1").addAttribute(ai.onnx.proto.OnnxMl.AttributeProto.newBuilder()
                        .setName("value").setType(ai.onnx.proto.OnnxMl.AttributeProto.AttributeType.TENSOR)
                        .setT(w1)));
        builder.addMetadataProps(ai.onnx.proto.OnnxMl.StringStringEntryProto.newBuilder().setKey("author")
                .setValue("test"));
        builder.setUnknownFields(com.google.protobuf.UnknownFieldSet.newBuilder().addField(999,
                com.google.protobuf.UnknownFieldSet.Field.newBuilder().addVarint(42).build()).build());
        ModelProto model = builder.build();
        ModelProto pruned = NodePruner.prune(model, NodePruningSettings.of(0.2, Scope.LAYERWISE)).model();
        assertEquals(List.of(5L, 4L), dims(pruned, "w1"));
        keptRows(model, pruned, "w1", 0, 1, 3, 4, 5);
        assertEquals(model.getMetadataPropsList(), pruned.getMetadataPropsList());
        assertEquals(model.getOpsetImportList(), pruned.getOpsetImportList());
        assertEquals(model.getUnknownFields(), pruned.getUnknownFields());
        sameOutputs(model, pruned, 2, 4);
    }
}
