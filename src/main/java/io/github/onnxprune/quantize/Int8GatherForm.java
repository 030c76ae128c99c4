package io.github.onnxprune.quantize;

import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.List;

/**
 * Emits an embedding lookup on an int8 table: {@code Gather(table_int8, ids) -> Cast(float) ->
 * Mul(., Gather(row_scales, ids))}. Only the rows looked up are widened, so the table shrinks to a quarter
 * in the file and in memory at no measurable cost per run; a {@code DequantizeLinear} of the whole table before
 * the Gather would widen all of it on every run. Row scales (shape {@code [rows, 1]}) broadcast over each row.
 */
final class Int8GatherForm {

    private Int8GatherForm() {
    }

    /**
     * Adds the nodes computing {@code layer} from the indices {@code input} into {@code output}.
     *
     * @return bytes of the int8 table and its row scales
     */
    static long emit(GraphRewrite graph, GatherLayer layer, Int8Weights weights, String input, String output) {
        String base = layer.output();
        String name = layer.layer();
        String table = graph.sharedConstant(layer.weightKey() + "|int8", base + "_table_int8",
                n -> Protos.int8(n, weights.values(), layer.rows(), layer.columns()));
        String scales = graph.sharedConstant(layer.weightKey() + "|scale", base + "_row_scale",
                n -> Protos.floats(n, weights.scales(), layer.rows(), 1));
        String rows = graph.value(base + "_int8_rows");
        graph.node(name, "Gather", List.of(table, input), List.of(rows));
        String asFloat = graph.value(base + "_rows_as_float");
        graph.node(name + "/Cast", "Cast", List.of(rows), List.of(asFloat),
                Protos.intAttribute("to", TensorProto.DataType.FLOAT_VALUE));
        String rowScales = graph.value(base + "_rows_scale");
        graph.node(name + "/GatherScale", "Gather", List.of(scales, input), List.of(rowScales));
        graph.node(name + "/Rescale", "Mul", List.of(asFloat, rowScales), List.of(output));
        return weights.values().length + 4L * weights.scales().length;
    }
}
