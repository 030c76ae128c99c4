package io.github.onnxprune.quantize;

import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.function.IntToDoubleFunction;

/**
 * A Gather from a constant float32 table (an embedding): its rows are stored as int8 with one scale per row.
 *
 * @param node the original node
 * @param layer its name in the report
 * @param input the indices
 * @param table the table's values by flat row-major index, read from the stored tensor (no copy)
 * @param rows the table's rows (vocabulary)
 * @param columns the table's columns (hidden size)
 * @param output the value the layer writes
 * @param bits bits of the stored values, 2 to 8 (see {@link QuantizationSettings#tableBits()})
 */
record GatherLayer(NodeProto node, String layer, String input, IntToDoubleFunction table, int rows, int columns,
        String output, int bits) implements LayerPlan {

    /** This lookup with its table kept to {@code newBits} bits. */
    GatherLayer withBits(int newBits) {
        return new GatherLayer(node, layer, input, table, rows, columns, output, newBits);
    }

    @Override
    public String weightKey() {
        return "table|" + node.getInput(0) + "|" + bits;
    }

    @Override
    public int minOpset() {
        return OpsetUpgrade.INT8_GATHER;
    }

    @Override
    public String form() {
        return bits == QuantizationSettings.FULL_TABLE_BITS ? QuantizedLayer.INT8_GATHER
                : QuantizedLayer.INT8_GATHER + " (" + bits + "-bit levels)";
    }
}
