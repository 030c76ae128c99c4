package io.github.onnxprune.quantize;

import static io.github.onnxprune.TestGraphs.in;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.github.onnxprune.TestGraphs;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.Pooling;
import io.github.onnxprune.eval.ScoredOutput;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.eval.ValidationData;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Embedding tables kept to fewer bits: the same int8 lookup form, values limited to fewer levels, run by ONNX
 * Runtime with exactly the values the levels and scales give.
 */
class TableLevelsTest {

    private static final ScoredOutput EVERY_VALUE = new ScoredOutput(null, Pooling.FLATTEN, null);

    /** Three rows of four: row 0 spans 0.7 (scale 0.1 at 4 bits), row 1 a pruned zero, row 2 all zero. */
    private static final float[] TABLE = {
        0.7f, -0.33f, 0.12f, 0.04f,
        -1.4f, 0.0f, 0.62f, 0.25f,
        0.0f, 0.0f, 0.0f, 0.0f,
    };

    @Test
    void fourBitTablesKeepFifteenLevelsPerRowAndOnnxRuntimeGivesExactlyLevelTimesScale() throws Exception {
        ModelProto model = new TestGraphs().int64Input("ids", -1, 2).output("y", -1, 2, 4)
                .initializer("table", TABLE, 3, 4).node("embed", "Gather", in("table", "ids"), "y").model(8, 13);
        QuantizationResult result = Int8Quantizer.quantize(model, QuantizationSettings.defaults().withTableBits(4),
                null);

        QuantizedLayer embed = result.layers().get(0);
        assertEquals("Int8Gather (4-bit levels)", embed.form());
        assertEquals(3 * 4 + 3 * 4, embed.int8Bytes());
        assertEquals(List.of("Gather", "Cast", "Gather", "Mul"), result.model().getGraph().getNodeList().stream()
                .map(NodeProto::getOpType).toList());
        TensorProto int8 = result.model().getGraph().getInitializerList().stream()
                .filter(t -> t.getDataType() == TensorProto.DataType.INT8_VALUE).findFirst().orElseThrow();
        // Row 0: scale 0.7/7, -0.33/0.1 = -3.3 rounds to -3, 0.04/0.1 = 0.4 to 0. Row 1: scale 1.4/7, 0.62/0.2 =
        // 3.1 to 3, the pruned zero stays 0. Row 2: all zero, scale 1.
        byte[] levels = {7, -3, 1, 0, -7, 0, 3, 1, 0, 0, 0, 0};
        assertArrayEquals(levels, int8.getRawData().toByteArray());
        float[] scales = {(float) (0.7f / 7.0), (float) (1.4f / 7.0), 1f};

        long[] ids = {0, 1, 2, 0, 1, 1};
        ValidationData data = new ValidationData(Map.of("ids", Tensor.ofLongs(new long[] {3, 2}, ids)), null, null,
                Path.of("ids"));
        float[][] got;
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            got = runtime.run(result.model().toByteArray(), data, EVERY_VALUE, 3).rows();
        }
        for (int sample = 0; sample < 3; sample++) {
            float[] want = new float[8];
            for (int position = 0; position < 2; position++) {
                int row = (int) ids[sample * 2 + position];
                for (int c = 0; c < 4; c++) {
                    want[position * 4 + c] = levels[row * 4 + c] * scales[row];
                }
            }
            assertArrayEquals(want, got[sample], "sample " + sample);
        }
    }

    @Test
    void aTableUnderOnePercentOfTheWeightsKeepsEightBits() {
        // 50x16 (3200 B) and 8x16 (512 B) tables beside a 16x16 MatMul (1024 B): the small one is 10.8% of 4736 B.
        ModelProto model = new TestGraphs().int64Input("ids", -1, 2).output("y", -1, 2, 16)
                .initializer("words", TestGraphs.random(3, 50 * 16), 50, 16)
                .initializer("positions", TestGraphs.random(4, 8 * 16), 8, 16)
                .initializer("w", TestGraphs.random(5, 16 * 16), 16, 16)
                .node("word", "Gather", in("words", "ids"), "a").node("position", "Gather", in("positions", "ids"), "b")
                .node("sum", "Add", in("a", "b"), "c").node("proj", "MatMul", in("c", "w"), "y").model(8, 13);
        assertEquals(List.of("Int8Gather (4-bit levels)", "Int8Gather (4-bit levels)", "DynamicQuantizeMatMul"),
                forms(model, 4));
        ModelProto wide = new TestGraphs().int64Input("ids", -1, 2).output("y", -1, 2, 256)
                .initializer("words", TestGraphs.random(3, 50 * 256), 50, 256)
                .initializer("positions", TestGraphs.random(4, 2 * 256), 2, 256)
                .initializer("w", TestGraphs.random(5, 256 * 256), 256, 256)
                .node("word", "Gather", in("words", "ids"), "a").node("position", "Gather", in("positions", "ids"), "b")
                .node("sum", "Add", in("a", "b"), "c").node("proj", "MatMul", in("c", "w"), "y").model(8, 13);
        // positions: 2048 B of 51200 + 2048 + 262144 = 315392 B, 0.65%: 8 bits (above the 0.1% that stays float).
        assertEquals(List.of("Int8Gather (4-bit levels)", "Int8Gather", "DynamicQuantizeMatMul"), forms(wide, 4));
    }

    private static List<String> forms(ModelProto model, int bits) {
        return Int8Quantizer.quantize(model, QuantizationSettings.defaults().withTableBits(bits), null).layers()
                .stream().map(QuantizedLayer::form).toList();
    }

    @Test
    void eightBitsIsTheDefaultAndFewerThanTwoOrMoreThanEightAreRefused() {
        assertEquals(8, QuantizationSettings.defaults().tableBits());
        assertEquals(127, Int8Weights.levels(8));
        assertEquals(7, Int8Weights.levels(4));
        assertEquals(1, Int8Weights.levels(2));
        IllegalArgumentException tooFew = assertThrows(IllegalArgumentException.class,
                () -> new QuantizationSettings(List.of(), Set.of(), 1));
        assertEquals("table bits are 1 but must be from 2 to 8", tooFew.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new QuantizationSettings(List.of(), Set.of(), 9));
    }
}
