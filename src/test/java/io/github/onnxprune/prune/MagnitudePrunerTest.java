package io.github.onnxprune.prune;

import static io.github.onnxprune.Fixtures.fixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.onnx.OnnxModelReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class MagnitudePrunerTest {

    private static final WeightPruningSettings HALF = new WeightPruningSettings(0.5, Scope.LAYERWISE, List.of());

    @Test
    void layerwiseZeroesExactlyFloorOfSparsityTimesSizeInEachRealTensor() throws Exception {
        ModelProto model = OnnxModelReader.read(fixture("digits-mlp/model.onnx"));
        ModelGraph graph = ModelGraph.of(model);
        var selection = WeightSelector.select(graph, TensorFilter.all());
        assertEquals(List.of("fc1.weight", "fc2.weight", "fc3.weight"),
                selection.tensors().stream().map(PrunableTensor::name).toList());

        var result = MagnitudePruner.prune(graph, selection.tensors(),
                new WeightPruningSettings(0.3, Scope.LAYERWISE, List.of()));
        Map<String, TensorChange> changes = byName(result.tensors());
        assertEquals(1228, changes.get("fc1.weight").zeroed()); // floor(0.3 * 4096)
        assertEquals(614, changes.get("fc2.weight").zeroed()); // floor(0.3 * 2048)
        assertEquals(96, changes.get("fc3.weight").zeroed()); // floor(0.3 * 320)
        ModelGraph pruned = ModelGraph.of(result.model());
        assertEquals(1228, FloatTensor.of(pruned.constant("fc1.weight").orElseThrow().tensor()).zeroCount());
        // Biases are never touched: bit-identical.
        for (String bias : List.of("fc1.bias", "fc2.bias", "fc3.bias")) {
            assertEquals(graph.constant(bias).orElseThrow().tensor(), pruned.constant(bias).orElseThrow().tensor());
        }
    }

    @Test
    void keptWeightsAreBitIdenticalAndZeroedOnesAreTheSmallest() throws Exception {
        ModelProto model = OnnxModelReader.read(fixture("digits-mlp/model.onnx"));
        ModelGraph graph = ModelGraph.of(model);
        var result = MagnitudePruner.prune(graph, WeightSelector.select(graph, TensorFilter.all()).tensors(), HALF);
        double[] before = FloatTensor.of(graph.constant("fc2.weight").orElseThrow().tensor()).values();
        double[] after = FloatTensor.of(ModelGraph.of(result.model()).constant("fc2.weight").orElseThrow()
                .tensor()).values();
        double largestZeroed = 0;
        double smallestKept = Double.MAX_VALUE;
        for (int i = 0; i < before.length; i++) {
            if (after[i] == 0) {
                largestZeroed = Math.max(largestZeroed, Math.abs(before[i]));
            } else {
                assertEquals(Double.doubleToRawLongBits(before[i]), Double.doubleToRawLongBits(after[i]));
                smallestKept = Math.min(smallestKept, Math.abs(before[i]));
            }
        }
        assertTrue(largestZeroed <= smallestKept);
    }

    @Test
    void globalScopeZeroesExactlyFloorOverThePoolSharedByScaleFreeScores() throws Exception {
        ModelProto model = OnnxModelReader.read(fixture("digits-mlp/model.onnx"));
        ModelGraph graph = ModelGraph.of(model);
        var tensors = WeightSelector.select(graph, TensorFilter.all()).tensors();
        var result = MagnitudePruner.prune(graph, tensors, new WeightPruningSettings(0.6, Scope.GLOBAL, List.of()));
        long zeroed = result.tensors().stream().mapToLong(TensorChange::zeroed).sum();
        assertEquals((long) Math.floor(0.6 * (4096 + 2048 + 320)), zeroed);
        // 3878 of 6464: uniform shares 2457.6 / 1228.8 / 192.0, LAMP's 2718 / 1103 / 57; half of each gives
        // 2587.7 / 1165.8 / 124.5, whose floors miss two weights, going to the largest remainders (fc2, fc1).
        Map<String, TensorChange> changes = byName(result.tensors());
        assertEquals(2588, changes.get("fc1.weight").zeroed());
        assertEquals(1166, changes.get("fc2.weight").zeroed());
        assertEquals(124, changes.get("fc3.weight").zeroed());
        // Before a re-fit, a quarter of LAMP's: 2522.5 / 1197.3 / 158.2, the missing weight to fc1.
        Map<String, TensorChange> beforeRefit = byName(MagnitudePruner.prune(graph, tensors,
                new WeightPruningSettings(0.6, Scope.GLOBAL, List.of()), true).tensors());
        assertEquals(2523, beforeRefit.get("fc1.weight").zeroed());
        assertEquals(1197, beforeRefit.get("fc2.weight").zeroed());
        assertEquals(158, beforeRefit.get("fc3.weight").zeroed());
        // Within each tensor the zeroed weights are its smallest.
        ModelGraph pruned = ModelGraph.of(result.model());
        for (PrunableTensor tensor : tensors) {
            double[] before = FloatTensor.of(tensor.constant().tensor()).values();
            double[] after = FloatTensor.of(pruned.constant(tensor.name()).orElseThrow().tensor()).values();
            double largestZeroed = 0;
            double smallestKept = Double.MAX_VALUE;
            for (int i = 0; i < before.length; i++) {
                if (after[i] == 0) {
                    largestZeroed = Math.max(largestZeroed, Math.abs(before[i]));
                } else {
                    smallestKept = Math.min(smallestKept, Math.abs(before[i]));
                }
            }
            assertTrue(largestZeroed <= smallestKept, tensor.name());
        }
    }

    @Test
    void overridesApplyPerTensorAndLeaveTheRestToTheGlobalPool() throws Exception {
        ModelProto model = OnnxModelReader.read(fixture("digits-mlp/model.onnx"));
        ModelGraph graph = ModelGraph.of(model);
        var tensors = WeightSelector.select(graph, TensorFilter.all()).tensors();
        var result = MagnitudePruner.prune(graph, tensors, new WeightPruningSettings(0.5, Scope.GLOBAL,
                List.of(SparsityOverride.parse("fc3.*=0.1"))));
        Map<String, TensorChange> changes = byName(result.tensors());
        assertEquals(32, changes.get("fc3.weight").zeroed());
        assertEquals((4096 + 2048) / 2, changes.get("fc1.weight").zeroed() + changes.get("fc2.weight").zeroed());
    }

    @Test
    void overridesMatchTheNodeNameOfTheLayerReadingTheWeightToo() throws Exception {
        ModelProto model = OnnxModelReader.read(fixture("digits-mlp/model.onnx"));
        ModelGraph graph = ModelGraph.of(model);
        var tensors = WeightSelector.select(graph, TensorFilter.all()).tensors();
        var result = MagnitudePruner.prune(graph, tensors, new WeightPruningSettings(0.5, Scope.LAYERWISE,
                List.of(SparsityOverride.parse("/fc3/*=0.1"), SparsityOverride.parse("fc2.weight=0.2"))));
        Map<String, TensorChange> changes = byName(result.tensors());
        assertEquals(32, changes.get("fc3.weight").zeroed()); // by its layer '/fc3/Gemm'
        assertEquals(409, changes.get("fc2.weight").zeroed()); // by its own name
        assertEquals(2048, changes.get("fc1.weight").zeroed());
    }

    @Test
    void sparsityZeroReturnsTheSameModelByteForByte() throws Exception {
        byte[] bytes = Files.readAllBytes(fixture("digits-mlp/model.onnx"));
        ModelProto model = OnnxModelReader.parse(fixture("digits-mlp/model.onnx"), bytes);
        ModelGraph graph = ModelGraph.of(model);
        var result = MagnitudePruner.prune(graph, WeightSelector.select(graph, TensorFilter.all()).tensors(),
                new WeightPruningSettings(0.0, Scope.GLOBAL, List.of()));
        assertSame(model, result.model());
        assertArrayEquals(bytes, result.model().toByteArray());
    }

    @Test
    void theSameInputAlwaysGivesTheSameBytes() throws Exception {
        ModelProto model = OnnxModelReader.read(fixture("digits-cnn/model-bn.onnx"));
        ModelGraph graph = ModelGraph.of(model);
        var tensors = WeightSelector.select(graph, TensorFilter.all()).tensors();
        byte[] first = MagnitudePruner.prune(graph, tensors, HALF).model().toByteArray();
        byte[] second = MagnitudePruner.prune(ModelGraph.of(OnnxModelReader.read(fixture("digits-cnn/model-bn.onnx"))),
                tensors, HALF).model().toByteArray();
        assertArrayEquals(first, second);
        var global = new WeightPruningSettings(0.9, Scope.GLOBAL, List.of());
        for (boolean refitFollows : new boolean[] {false, true}) {
            byte[] once = MagnitudePruner.prune(graph, tensors, global, refitFollows).model().toByteArray();
            byte[] again = MagnitudePruner.prune(ModelGraph.of(OnnxModelReader.read(
                    fixture("digits-cnn/model-bn.onnx"))), tensors, global, refitFollows).model().toByteArray();
            assertArrayEquals(once, again);
        }
    }

    @Test
    void standardisationVectorsAndBatchNormStayExactlyAsTheyWere() throws Exception {
        ModelProto model = OnnxModelReader.read(fixture("wine-mlp/model.onnx"));
        ModelGraph graph = ModelGraph.of(model);
        var tensors = WeightSelector.select(graph, TensorFilter.all()).tensors();
        assertEquals(List.of("W1", "W2"), tensors.stream().map(PrunableTensor::name).toList());
        ModelProto pruned = MagnitudePruner.prune(graph, tensors, HALF).model();
        for (int i = 0; i < model.getGraph().getInitializerCount(); i++) {
            TensorProto before = model.getGraph().getInitializer(i);
            if (!before.getName().startsWith("W")) {
                assertEquals(before, pruned.getGraph().getInitializer(i), before.getName());
            }
        }
        ModelProto cnn = OnnxModelReader.read(fixture("digits-cnn/model-bn.onnx"));
        assertEquals(List.of("conv1.weight", "block.conv1.weight", "block.conv2.weight", "conv2.weight", "fc.weight"),
                WeightSelector.select(ModelGraph.of(cnn), TensorFilter.all()).tensors().stream()
                        .map(PrunableTensor::name).toList());
    }

    @Test
    void everyFloatTypeAndStorageRoundTripsAndPrunesExactly() {
        float[] values = {0.5f, -0.25f, 2f, -0.125f, 1f, 0.75f, -3f, 0.0625f};
        for (DataType type : List.of(DataType.FLOAT, DataType.FLOAT16, DataType.BFLOAT16, DataType.DOUBLE)) {
            for (boolean raw : List.of(true, false)) {
                TensorProto weight = tensor("w", type, raw, values, 2, 4);
                ModelProto model = gemmModel(weight, constantNode(false));
                ModelGraph graph = ModelGraph.of(model);
                var result = MagnitudePruner.prune(graph, WeightSelector.select(graph, TensorFilter.all()).tensors(),
                        HALF);
                TensorProto pruned = ModelGraph.of(result.model()).constant("w").orElseThrow().tensor();
                assertEquals(raw, pruned.hasRawData(), type + " storage");
                assertEquals(type.getNumber(), pruned.getDataType());
                // The 4 smallest magnitudes are 0.0625, 0.125, 0.25, 0.5 at indices 7, 3, 1, 0.
                assertArrayEquals(new double[] {0, 0, 2, 0, 1, 0.75, -3, 0}, FloatTensor.of(pruned).values(),
                        type + " raw=" + raw);
            }
        }
    }

    @Test
    void zerosBeforeAndAfterAreThoseOfTheTensorsThemselvesForEveryTypeAndStorage() {
        // Two zeros already (one of them -0), so half of 8 zeroes two more; then a quarter in two cases whose chosen
        // elements are all zeros already: +0 and +0 change nothing, +0 and -0 change the -0's sign bit only.
        float[] someZeros = {0.5f, -0f, 2f, 0f, 1f, 0.75f, -3f, 0.0625f};
        float[] zerosOnly = {0f, 0f, 2f, 3f, 1f, 0.75f, -3f, 0.5f};
        float[] signedZeros = {0f, -0f, 2f, 3f, 1f, 0.75f, -3f, 0.5f};
        for (DataType type : List.of(DataType.FLOAT, DataType.FLOAT16, DataType.BFLOAT16, DataType.DOUBLE)) {
            for (boolean raw : List.of(true, false)) {
                for (float[] values : List.of(someZeros, zerosOnly, signedZeros)) {
                    TensorProto weight = tensor("w", type, raw, values, 2, 4);
                    ModelGraph graph = ModelGraph.of(gemmModel(weight, constantNode(false)));
                    var result = MagnitudePruner.prune(graph, WeightSelector.select(graph, TensorFilter.all())
                            .tensors(), new WeightPruningSettings(values == someZeros ? 0.5 : 0.25, Scope.LAYERWISE,
                                    List.of()));
                    String what = type + " raw=" + raw + " " + java.util.Arrays.toString(values);
                    TensorChange change = byName(result.tensors()).get("w");
                    TensorProto pruned = ModelGraph.of(result.model()).constant("w").orElseThrow().tensor();
                    assertEquals(values == someZeros ? 4 : 2, change.zeroed(), what);
                    assertEquals(FloatTensor.of(weight).zeroCount(), change.zerosBefore(), what);
                    assertEquals(FloatTensor.of(pruned).zeroCount(), change.zerosAfter(), what);
                    assertEquals(values == someZeros ? 4 : 2, change.zerosAfter(), what);
                    // A model with nothing changed is the original itself.
                    assertEquals(values == zerosOnly, result.model() == graph.model(), what);
                }
            }
        }
    }

    @Test
    void aFloat64TooSmallForAFloatIsNotCountedAsAZero() {
        // 1e-50 has a float magnitude of 0, but the weight is not zero before it is pruned.
        TensorProto weight = TensorProto.newBuilder().setName("w").setDataType(DataType.DOUBLE.getNumber())
                .addDims(2).addDims(4).addDoubleData(1e-50).addDoubleData(0).addDoubleData(2).addDoubleData(3)
                .addDoubleData(1).addDoubleData(4).addDoubleData(5).addDoubleData(6).build();
        ModelGraph graph = ModelGraph.of(gemmModel(weight, constantNode(false)));
        var result = MagnitudePruner.prune(graph, WeightSelector.select(graph, TensorFilter.all()).tensors(),
                new WeightPruningSettings(0.25, Scope.LAYERWISE, List.of()));
        TensorChange change = byName(result.tensors()).get("w");
        assertEquals(1, change.zerosBefore());
        assertEquals(2, change.zerosAfter());
    }

    @Test
    void weightsInConstantNodesArePrunedAndGatherTablesAreNot() {
        float[] values = {0.1f, -0.2f, 0.3f, -0.4f, 0.5f, -0.6f, 0.7f, -0.8f};
        ModelProto model = gemmModel(tensor("w", DataType.FLOAT, true, values, 2, 4), constantNode(true));
        ModelGraph graph = ModelGraph.of(model);
        var selection = WeightSelector.select(graph, TensorFilter.all());
        assertEquals(List.of("w", "cw"), selection.tensors().stream().map(PrunableTensor::name).toList());
        var result = MagnitudePruner.prune(graph, selection.tensors(), HALF);
        assertEquals(2, byName(result.tensors()).get("cw").zeroed());
        TensorProto constant = ModelGraph.of(result.model()).constant("cw").orElseThrow().tensor();
        assertArrayEquals(new double[] {0, 0, 3, 4}, FloatTensor.of(constant).values());

        ModelProto withGather = model.toBuilder().setGraph(model.getGraph().toBuilder().addNode(NodeProto
                .newBuilder().setOpType("Gather").setName("lookup").addInput("w").addInput("ids").addOutput("e")))
                .build();
        var shared = WeightSelector.select(ModelGraph.of(withGather), TensorFilter.all());
        assertEquals(List.of("cw"), shared.tensors().stream().map(PrunableTensor::name).toList());
        assertEquals("also read by Gather node 'lookup', which needs it unchanged", shared.skipped().get(0).reason());
    }

    @Test
    void filtersByNamePatternOpTypeAndSize() throws Exception {
        ModelGraph graph = ModelGraph.of(OnnxModelReader.read(fixture("digits-mlp/model.onnx")));
        var selection = WeightSelector.select(graph, new TensorFilter(TensorFilter.DEFAULT_OP_TYPES,
                List.of(new NamePattern("fc?.weight")), List.of(new NamePattern("fc1*")), 1000));
        assertEquals(List.of("fc2.weight"), selection.tensors().stream().map(PrunableTensor::name).toList());
        assertEquals(List.of("fc1.weight: matched by tensorExcludes",
                "fc3.weight: 320 elements, fewer than minTensorSize 1000"),
                selection.skipped().stream().map(s -> s.name() + ": " + s.reason()).toList());
        var convOnly = WeightSelector.select(graph,
                new TensorFilter(java.util.Set.of("Conv"), List.of(), List.of(), 0));
        assertTrue(convOnly.tensors().isEmpty());
    }

    @Test
    void initializersListedAsInputsArePrunedOnlyWhereTheListingIsAChoice() throws Exception {
        ModelProto model = OnnxModelReader.read(fixture("digits-mlp/model.onnx"));
        ModelProto.Builder listed = model.toBuilder();
        for (TensorProto initializer : model.getGraph().getInitializerList()) {
            listed.getGraphBuilder().addInput(ai.onnx.proto.OnnxMl.ValueInfoProto.newBuilder()
                    .setName(initializer.getName()));
        }
        // IR version 3 required every initializer to be an input: that says nothing about intent.
        var old = WeightSelector.select(ModelGraph.of(listed.setIrVersion(3).build()), TensorFilter.all());
        assertEquals(3, old.tensors().size());
        var current = WeightSelector.select(ModelGraph.of(listed.setIrVersion(8).build()), TensorFilter.all());
        assertEquals(List.of(), current.tensors());
        assertEquals("also a graph input, so callers may replace it at run time", current.skipped().get(0).reason());
    }

    @Test
    void unknownFieldsAndMetadataSurvivePruning() throws Exception {
        ModelProto model = OnnxModelReader.read(fixture("digits-mlp/model.onnx"));
        UnknownFieldSet unknown = UnknownFieldSet.newBuilder().addField(999, UnknownFieldSet.Field.newBuilder()
                .addLengthDelimited(ByteString.copyFromUtf8("future field")).build()).build();
        ModelProto withUnknown = model.toBuilder().setUnknownFields(unknown)
                .setGraph(model.getGraph().toBuilder().setUnknownFields(unknown)).build();
        ModelProto reparsed = ModelProto.parseFrom(withUnknown.toByteArray());
        ModelGraph graph = ModelGraph.of(reparsed);
        ModelProto pruned = MagnitudePruner.prune(graph, WeightSelector.select(graph, TensorFilter.all()).tensors(),
                HALF).model();
        ModelProto again = ModelProto.parseFrom(pruned.toByteArray());
        assertEquals(unknown, again.getUnknownFields());
        assertEquals(unknown, again.getGraph().getUnknownFields());
        assertEquals(model.getOpsetImportList(), again.getOpsetImportList());
        assertEquals(model.getProducerName(), again.getProducerName());
    }

    private static Map<String, TensorChange> byName(List<TensorChange> changes) {
        return changes.stream().collect(Collectors.toMap(TensorChange::name, Function.identity()));
    }

    static TensorProto tensor(String name, DataType type, boolean raw, float[] values, long... dims) {
        TensorProto.Builder builder = TensorProto.newBuilder().setName(name).setDataType(type.getNumber());
        for (long dim : dims) {
            builder.addDims(dim);
        }
        int width = type == DataType.DOUBLE ? 8 : type == DataType.FLOAT ? 4 : 2;
        ByteBuffer buffer = ByteBuffer.allocate(values.length * width).order(ByteOrder.LITTLE_ENDIAN);
        for (float value : values) {
            switch (type) {
                case FLOAT -> {
                    if (raw) {
                        buffer.putFloat(value);
                    } else {
                        builder.addFloatData(value);
                    }
                }
                case DOUBLE -> {
                    if (raw) {
                        buffer.putDouble(value);
                    } else {
                        builder.addDoubleData(value);
                    }
                }
                default -> {
                    // Test values are exact in both half formats: bfloat16 is the top half of a float32, and
                    // float16 bits are built from the same sign, exponent and top mantissa bits.
                    int bits = Float.floatToIntBits(value);
                    short half = type == DataType.BFLOAT16 ? (short) (bits >>> 16) : toHalf(value);
                    if (raw) {
                        buffer.putShort(half);
                    } else {
                        builder.addInt32Data(half & 0xffff);
                    }
                }
            }
        }
        if (raw) {
            builder.setRawData(ByteString.copyFrom(buffer.array()));
        }
        return builder.build();
    }

    private static short toHalf(float value) {
        int bits = Float.floatToIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        if ((bits & Integer.MAX_VALUE) == 0) {
            return (short) sign;
        }
        int exponent = ((bits >>> 23) & 0xff) - 127 + 15;
        int mantissa = (bits >>> 13) & 0x3ff;
        return (short) (sign | (exponent << 10) | mantissa);
    }

    private static NodeProto constantNode(boolean matMulReadsIt) {
        TensorProto value = TensorProto.newBuilder().setDataType(DataType.FLOAT.getNumber()).addDims(2).addDims(2)
                .addFloatData(1).addFloatData(-2).addFloatData(3).addFloatData(4).build();
        return NodeProto.newBuilder().setOpType("Constant").setName("const").addOutput(matMulReadsIt ? "cw" : "unused")
                .addAttribute(AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR)
                        .setT(value)).build();
    }

    /** x[N,4] -Gemm(w[2,4], transB)-> y[N,2] -MatMul(cw[2,2])-> z, plus a bias Add. */
    private static ModelProto gemmModel(TensorProto weight, NodeProto constant) {
        GraphProto graph = GraphProto.newBuilder().setName("g")
                .addInitializer(weight)
                .addInitializer(TensorProto.newBuilder().setName("bias").setDataType(weight.getDataType()).addDims(2)
                        .setRawData(ByteString.copyFrom(new byte[2 * (weight.getDataType() == 11 ? 8
                                : weight.getDataType() == 1 ? 4 : 2)])))
                .addNode(constant)
                .addNode(NodeProto.newBuilder().setOpType("Gemm").setName("gemm").addInput("x").addInput("w")
                        .addInput("bias").addOutput("y").addAttribute(AttributeProto.newBuilder().setName("transB")
                                .setType(AttributeProto.AttributeType.INT).setI(1)))
                .addNode(NodeProto.newBuilder().setOpType("MatMul").setName("mm").addInput("y").addInput("cw")
                        .addOutput("z"))
                .build();
        return ModelProto.newBuilder().setIrVersion(8).setGraph(graph)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13)).build();
    }
}
