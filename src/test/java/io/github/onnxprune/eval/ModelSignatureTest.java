package io.github.onnxprune.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl;
import io.github.onnxprune.TestGraphs;
import io.github.onnxprune.TestModels;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelSignatureTest {

    @Test
    void readsInputsAndOutputsWithDynamicDimensions() {
        ModelSignature signature = ModelSignature.of(TestModels.gemm(-1));

        assertEquals(List.of("X"), signature.inputNames());
        assertEquals(List.of("Y", "R"), signature.outputNames());
        TensorSpec input = signature.inputs().get(0);
        assertEquals(TensorKind.FLOAT, input.elementType());
        assertArrayEquals(new long[] {-1, 2}, input.shape());
        assertEquals("[N, 2]", input.displayShape());
        assertTrue(signature.batchDimensionDynamic());
        assertEquals(new TensorSpec("Y", TensorKind.FLOAT, new long[] {-1, 3}), signature.output("Y").orElseThrow());
    }

    @Test
    void fixedFirstDimensionIsNotDynamic() {
        ModelSignature signature = ModelSignature.of(TestModels.gemm(1));

        assertArrayEquals(new long[] {1, 2}, signature.inputs().get(0).shape());
        assertFalse(signature.batchDimensionDynamic());
    }

    @Test
    void leavesOutInitializersListedAsInputs() {
        // IR version 3 exporters list every weight as a graph input too.
        OnnxMl.ModelProto model = TestModels.gemm(-1);
        OnnxMl.ModelProto old = model.toBuilder().setIrVersion(3).setGraph(model.getGraph().toBuilder()
                .addInput(TestGraphs.info("W", OnnxMl.TensorProto.DataType.FLOAT, 3, 2))).build();

        assertEquals(List.of("X"), ModelSignature.of(old).inputNames());
    }

    @Test
    void mapsElementTypesAndUnknownShapes() {
        OnnxMl.ValueInfoProto noShape = OnnxMl.ValueInfoProto.newBuilder().setName("ids")
                .setType(OnnxMl.TypeProto.newBuilder().setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
                        .setElemType(OnnxMl.TensorProto.DataType.INT64.getNumber())))
                .build();
        OnnxMl.ValueInfoProto sequence = OnnxMl.ValueInfoProto.newBuilder().setName("probabilities")
                .setType(OnnxMl.TypeProto.newBuilder().setSequenceType(OnnxMl.TypeProto.Sequence.newBuilder()))
                .build();
        OnnxMl.ModelProto model = OnnxMl.ModelProto.newBuilder().setGraph(OnnxMl.GraphProto.newBuilder()
                .addInput(noShape).addOutput(sequence)).build();

        ModelSignature signature = ModelSignature.of(model);

        TensorSpec ids = signature.inputs().get(0);
        assertEquals(TensorKind.INT64, ids.elementType());
        assertNull(ids.shape());
        assertTrue(signature.batchDimensionDynamic());
        assertEquals(TensorKind.OTHER, signature.outputs().get(0).elementType());
        assertEquals(TensorKind.DOUBLE, TensorKind.fromOnnx(11));
        assertEquals(TensorKind.FLOAT16, TensorKind.fromOnnx(10));
        assertEquals(TensorKind.OTHER, TensorKind.fromOnnx(17));
    }
}
