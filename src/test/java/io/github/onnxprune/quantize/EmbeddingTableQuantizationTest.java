package io.github.onnxprune.quantize;

import static io.github.onnxprune.TestGraphs.in;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import io.github.onnxprune.TestGraphs;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.Pooling;
import io.github.onnxprune.eval.ScoredOutput;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.prune.calibrate.ActivationCollector;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/** Embedding tables (what a Gather looks rows up in) as int8 rows, run by ONNX Runtime, and when they stay float. */
class EmbeddingTableQuantizationTest {

    /** Every value of the first output, flattened per sample: the tests compare whole outputs. */
    private static final ScoredOutput EVERY_VALUE = new ScoredOutput(null, Pooling.FLATTEN, null);

    @AutoClose
    private static final OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1);

    @Test
    void embeddingTableIsStoredAsInt8RowsAndOnlyTheRowsLookedUpAreWidened() throws Exception {
        ModelProto model = new TestGraphs().int64Input("ids", -1, 5).output("y", -1, 5, 8)
                .initializer("table", TestGraphs.random(41, 50 * 16), 50, 16)
                .initializer("w", TestGraphs.random(42, 128), 16, 8)
                .node("embed", "Gather", in("table", "ids"), "e").node("proj", "MatMul", in("e", "w"), "y")
                .model(8, 13);
        QuantizationResult result = Int8Quantizer.quantize(model, QuantizationSettings.defaults(), null);

        QuantizedLayer embed = result.layers().get(0);
        assertEquals(List.of("embed", "Gather", QuantizedLayer.INT8_GATHER), List.of(embed.layer(), embed.opType(),
                embed.form()));
        assertEquals(50 * 16 * 4, embed.floatBytes());
        assertEquals(50 * 16 + 50 * 4, embed.int8Bytes());
        assertFalse(ModelGraph.of(result.model()).constant("table").isPresent());
        assertEquals(List.of("Gather", "Cast", "Gather", "Mul", "DynamicQuantizeLinear", "MatMulInteger", "Cast",
                "Mul", "Mul"), result.model().getGraph().getNodeList().stream().map(NodeProto::getOpType).toList());
        long[] ids = new long[16 * 5];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = (i * 7L) % 50;
        }
        ValidationData data = new ValidationData(Map.of("ids", Tensor.ofLongs(new long[] {16, 5}, ids)), null, null,
                Path.of("ids"));
        float[][] want = runtime.run(model.toByteArray(), data, EVERY_VALUE, 16).rows();
        float[][] got = runtime.run(result.model().toByteArray(), data, EVERY_VALUE, 16).rows();
        for (int i = 0; i < want.length; i++) {
            double error = LayerErrors.relativeError(want[i], got[i]);
            assertTrue(error > 0 && error < 0.02, "sample " + i + ": " + error);
        }
    }

    @Test
    void aTableAlsoReadInFloatElsewhereIsNotCopiedToInt8() {
        ModelProto model = new TestGraphs().int64Input("ids", -1, 5).output("y", -1, 5, 50)
                .initializer("table", TestGraphs.random(71, 50 * 16), 50, 16)
                .node("embed", "Gather", in("table", "ids"), "e")
                .node("tied_head", "Transpose", in("table"), "head")
                .node("logits", "MatMul", in("e", "head"), "y").model(8, 13);
        QuantizationResult result = Int8Quantizer.quantize(model, QuantizationSettings.defaults(), null);

        assertEquals(List.of("embed", "logits"), result.layers().stream().map(QuantizedLayer::layer).toList());
        assertEquals("its table is also read in float by 'tied_head', so an int8 copy would only add bytes",
                result.layers().get(0).reason());
        assertEquals("its weight is not a constant", result.layers().get(1).reason());
        assertSame(model, result.model());
    }

    @Test
    void aTableLookupWhoseOutputHasNoBatchDimensionGetsItsWholeTablesError() {
        ModelProto model = new TestGraphs().input("x", -1, 5, 16).output("y", -1, 5, 8)
                .initializer("positions", TestGraphs.random(51, 5 * 16), 5, 16)
                .int64("position_ids", new long[] {0, 1, 2, 3, 4}, 1, 5)
                .initializer("w", TestGraphs.random(52, 128), 16, 8)
                .node("position", "Gather", in("positions", "position_ids"), "p")
                .node("with_position", "Add", in("x", "p"), "h").node("proj", "MatMul", in("h", "w"), "y")
                .model(8, 13);
        ValidationData samples = new ValidationData(Map.of("x", Tensor.ofFloats(new long[] {20, 5, 16},
                TestGraphs.random(53, 20 * 5 * 16))), null, null, Path.of("samples"));
        QuantizationResult result = Int8Quantizer.quantize(model, QuantizationSettings.defaults(),
                new ActivationCollector(runtime, samples, 20, 8));

        assertEquals(List.of(true, true), result.layers().stream().map(QuantizedLayer::quantized).toList());
        // [1, 5, 16] cannot be read per sample; the lookup reads every row of this table, so the table's error is
        // exactly the output's.
        double[] table = new double[5 * 16];
        float[] positions = TestGraphs.random(51, 5 * 16);
        for (int i = 0; i < table.length; i++) {
            table[i] = positions[i];
        }
        double tableError = LayerErrors.tableError(i -> table[i], Int8Weights.perLeadingAxis(i -> table[i],
                table.length, 5, Int8Weights.levels(8)), 16);
        assertTrue(tableError > 0.001 && tableError < 0.01, "error " + tableError);
        assertEquals(tableError, result.layers().get(0).outputError(), 0.0);
        assertTrue(result.layers().get(1).outputError() > 0 && result.layers().get(1).outputError() < 0.02,
                result.layers().get(1).toString());
    }

    @Test
    void aTableUnderATenthOfAPercentOfTheWeightsStaysFloat() {
        // 2 x 8 floats (64 bytes) against a 8 x 2048 weight (65536 bytes): 0.098% of 65600 bytes.
        ModelProto model = new TestGraphs().int64Input("ids", -1, 5).output("y", -1, 5, 2048)
                .initializer("types", TestGraphs.random(61, 2 * 8), 2, 8)
                .initializer("w", TestGraphs.random(62, 8 * 2048), 8, 2048)
                .node("token_type", "Gather", in("types", "ids"), "e").node("proj", "MatMul", in("e", "w"), "y")
                .model(8, 13);
        QuantizationResult result = Int8Quantizer.quantize(model, QuantizationSettings.defaults(), null);

        assertEquals(List.of(false, true), result.layers().stream().map(QuantizedLayer::quantized).toList());
        assertEquals("its table (0.1 KiB) is under 0.1% of the layers' weights: int8 would save next to nothing and"
                + " add its rounding error to every lookup", result.layers().get(0).reason());
        assertTrue(ModelGraph.of(result.model()).constant("types").isPresent());

        // 3 x 8 floats (96 bytes) of 65632 bytes is above the share: the table is int8.
        ModelProto bigger = new TestGraphs().int64Input("ids", -1, 5).output("y", -1, 5, 2048)
                .initializer("types", TestGraphs.random(61, 3 * 8), 3, 8)
                .initializer("w", TestGraphs.random(62, 8 * 2048), 8, 2048)
                .node("token_type", "Gather", in("types", "ids"), "e").node("proj", "MatMul", in("e", "w"), "y")
                .model(8, 13);
        assertEquals(List.of(true, true), Int8Quantizer.quantize(bigger, QuantizationSettings.defaults(), null)
                .layers().stream().map(QuantizedLayer::quantized).toList());
    }
}
