package io.github.onnxprune.quantize;

import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.function.IntToDoubleFunction;

/**
 * A MatMul, or a Gemm read as one, whose constant float32 weight is quantized per output column: what the
 * dynamic form needs to replace it.
 *
 * @param node the original node
 * @param layer its name in the report
 * @param input the activation operand A
 * @param transposeInput Gemm's transA: A is transposed first
 * @param weight the effective weight {@code alpha * op(B)} as a {@code rows x columns} row-major matrix, element
 *     by flat index: computed from the stored tensor when read, so a plan holds no copy of a large weight
 * @param rows the inner dimension K
 * @param columns the outputs N
 * @param bias what is added after the product (Gemm's C), or null
 * @param output the value the layer writes
 */
record MatMulLayer(NodeProto node, String layer, String input, boolean transposeInput, IntToDoubleFunction weight,
        int rows, int columns, Bias bias, String output) implements LayerPlan {

    @Override
    public String weightKey() {
        // Gemm's transB and alpha shape the stored values; the same weight read by a plain MatMul differs.
        return "matmul|" + node.getInput(1) + "|" + node.getOpType() + "|" + Protos.intAttribute(node, "transB", 0)
                + "|" + Protos.floatAttribute(node, "alpha", 1f);
    }

    @Override
    public int minOpset() {
        return OpsetUpgrade.DYNAMIC_MATMUL;
    }

    @Override
    public String form() {
        return QuantizedLayer.DYNAMIC_MATMUL;
    }

    /**
     * Gemm's C term.
     *
     * @param name the value C
     * @param constantValues C's float32 values when C is a constant, else null
     * @param dims C's dims when constant
     * @param beta the factor C is multiplied by
     */
    record Bias(String name, float[] constantValues, long[] dims, float beta) {
    }
}
