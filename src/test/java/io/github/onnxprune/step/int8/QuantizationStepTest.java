package io.github.onnxprune.step.int8;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import io.github.onnxprune.prune.NamePattern;
import io.github.onnxprune.step.StepInput;
import io.github.onnxprune.step.StepResult;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The int8 step's own report: a line per layer for small models, a summary for big ones. */
class QuantizationStepTest {

    /** A chain of {@code names.length} MatMul layers of 4x4 weights, opset 13. */
    private static ModelProto chain(String... names) {
        GraphProto.Builder graph = GraphProto.newBuilder().setName("chain").addInput(info("x"));
        String value = "x";
        for (int i = 0; i < names.length; i++) {
            TensorProto.Builder weight = TensorProto.newBuilder().setName("w" + i)
                    .setDataType(TensorProto.DataType.FLOAT_VALUE).addDims(4).addDims(4);
            for (int k = 0; k < 16; k++) {
                weight.addFloatData((k * 7 + i) % 5 - 2f);
            }
            graph.addInitializer(weight);
            String out = i == names.length - 1 ? "y" : "h" + i;
            graph.addNode(NodeProto.newBuilder().setName(names[i]).setOpType("MatMul").addInput(value)
                    .addInput("w" + i).addOutput(out));
            value = out;
        }
        graph.addOutput(info("y"));
        return ModelProto.newBuilder().setIrVersion(8)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13)).setGraph(graph).build();
    }

    private static ValueInfoProto info(String name) {
        TensorShapeProto shape = TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("batch"))
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(4)).build();
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(shape))).build();
    }

    private static StepResult<Int8Edits> quantize(ModelProto model, String exclude) {
        return new QuantizationStep(List.of(new NamePattern(exclude)), true).apply(new StepInput(model, model, null));
    }

    @Test
    void aSmallModelGetsALinePerLayer() {
        StepResult<Int8Edits> result = quantize(chain("a", "b", "skip"), "skip");

        assertEquals("int8 layers:", result.section().logHeading());
        assertEquals(List.of("a (MatMul): int8 as DynamicQuantizeMatMul, weight 0.1 -> 0.0 KiB",
                "b (MatMul): int8 as DynamicQuantizeMatMul, weight 0.1 -> 0.0 KiB",
                "skip (MatMul): float, matches the exclude pattern 'skip'"), result.section().log());
        assertEquals("int8", result.section().metadata().get("onnx-prune.quantize"));
        assertEquals("2/3", result.section().metadata().get("onnx-prune.quantizedLayers"));
    }

    @Test
    void aBigModelGetsASummaryAndEveryLayerStaysInReportJson() {
        String[] names = new String[QuantizationStep.MAX_LOGGED_LAYERS + 2];
        for (int i = 0; i < names.length; i++) {
            names[i] = (i < 9 ? "m" : "e") + i;
        }
        StepResult<Int8Edits> result = quantize(chain(names), "e*");

        List<String> log = result.section().log();
        assertEquals(2, log.size(), log.toString());
        assertTrue(log.get(0).startsWith("9 of 14 layers int8 (9 as DynamicQuantizeMatMul), weights 0.6 -> "),
                log.get(0));
        assertEquals("5 float, matches the exclude pattern 'e*': e9, e10, e11 and 2 more", log.get(1));
        assertEquals(14, result.section().items("quantizedLayers").size());
    }
}
