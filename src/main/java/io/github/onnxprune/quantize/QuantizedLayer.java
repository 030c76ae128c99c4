package io.github.onnxprune.quantize;

import ai.onnx.proto.OnnxMl.NodeProto;

/**
 * One quantizable layer (node name, op type) and what happened to it.
 *
 * @param layer the node's name (its first output's name when the node has none)
 * @param opType MatMul, Gemm, Conv or Gather
 * @param quantized whether the layer now runs in int8 (for Gather: reads an int8 table)
 * @param form the graph form emitted ({@link #DYNAMIC_MATMUL}, {@link #QDQ_CONV} or {@link #INT8_GATHER}), empty
 *     when float
 * @param reason why it stayed float, empty when quantized
 * @param floatBytes bytes of its float32 weight
 * @param int8Bytes bytes of its int8 weight plus its float32 scales (equal to floatBytes when float)
 * @param outputError relative error {@code ||y_q - y|| / ||y||} of the layer's output on the calibration
 *     samples, with the float layer's own input fed to both; NaN when not measured (no calibration data, or
 *     an output without the batch as its first dimension)
 */
public record QuantizedLayer(String layer, String opType, boolean quantized, String form, String reason,
        long floatBytes, long int8Bytes, double outputError) {

    /** DynamicQuantizeLinear, MatMulInteger, Cast, Mul [, Add]: fused by ONNX Runtime into DynamicQuantizeMatMul. */
    public static final String DYNAMIC_MATMUL = "DynamicQuantizeMatMul";

    /** QuantizeLinear/DequantizeLinear around Conv with per-channel int8 weights: fused into QLinearConv. */
    public static final String QDQ_CONV = "QLinearConv";

    /** Gather from an int8 table, Cast, Mul by the rows' scales: a quarter of the table's bytes, same speed. */
    public static final String INT8_GATHER = "Int8Gather";

    /** A layer's name: its node's, or its first output's when it has none (nodes need not be named). */
    public static String nameOf(NodeProto node) {
        return node.getName().isEmpty() ? node.getOutput(0) : node.getName();
    }

    /** This layer with its output error measured. */
    QuantizedLayer withOutputError(double error) {
        return new QuantizedLayer(layer, opType, quantized, form, reason, floatBytes, int8Bytes, error);
    }

    /** A layer left float for {@code why}. */
    static QuantizedLayer keptFloat(String layer, String opType, String why, long floatBytes) {
        return new QuantizedLayer(layer, opType, false, "", why, floatBytes, floatBytes, Double.NaN);
    }
}
