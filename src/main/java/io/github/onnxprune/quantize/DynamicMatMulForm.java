package io.github.onnxprune.quantize;

import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.List;

/**
 * Emits a MatMul in the form ONNX Runtime's own dynamic quantizer writes, which the CPU provider fuses at load
 * into {@code com.microsoft.DynamicQuantizeMatMul}:
 * {@code DynamicQuantizeLinear(A) -> MatMulInteger(A_q, W_int8, A_zp, 0) -> Cast(float) -> Mul(., A_scale * W_scale)
 * [-> Add(bias)]}. The fusion wants exactly this: one DynamicQuantizeLinear per MatMulInteger (its three
 * outputs read once each), {@code Mul(A_scale, W_scale)} with the activation scale first, and a constant bias
 * as the Add's second operand.
 */
final class DynamicMatMulForm {

    private DynamicMatMulForm() {
    }

    /**
     * Adds the nodes computing {@code layer} from {@code input} into {@code output}.
     *
     * @return bytes of the int8 weight and its scales
     */
    static long emit(GraphRewrite graph, MatMulLayer layer, Int8Weights weights, String input, String output) {
        String base = layer.output();
        String name = layer.layer();
        String a = input;
        if (layer.transposeInput()) {
            a = graph.value(base + "_transposed_input");
            graph.node(name + "/Transpose", "Transpose", List.of(input), List.of(a),
                    Protos.intsAttribute("perm", 1, 0));
        }
        String quantized = graph.value(base + "_input_quantized");
        String scale = graph.value(base + "_input_scale");
        String zeroPoint = graph.value(base + "_input_zero_point");
        graph.node(name + "/DynamicQuantizeLinear", "DynamicQuantizeLinear", List.of(a),
                List.of(quantized, scale, zeroPoint));
        String weight = graph.sharedConstant(layer.weightKey() + "|int8", base + "_weight_int8",
                n -> Protos.int8(n, weights.values(), layer.rows(), layer.columns()));
        String weightScale = graph.sharedConstant(layer.weightKey() + "|scale", base + "_weight_scale",
                n -> Protos.floats(n, weights.scales(), layer.columns()));
        String weightZero = graph.sharedConstant("int8 zero", base + "_weight_zero_point",
                n -> Protos.int8(n, new byte[1]));
        String integer = graph.value(base + "_int32");
        graph.node(name + "/MatMulInteger", "MatMulInteger", List.of(quantized, weight, zeroPoint, weightZero),
                List.of(integer));
        String asFloat = graph.value(base + "_int32_as_float");
        graph.node(name + "/Cast", "Cast", List.of(integer), List.of(asFloat),
                Protos.intAttribute("to", TensorProto.DataType.FLOAT_VALUE));
        String scales = graph.value(base + "_output_scale");
        graph.node(name + "/ScaleProduct", "Mul", List.of(scale, weightScale), List.of(scales));
        MatMulLayer.Bias bias = layer.bias();
        String product = bias == null ? output : graph.value(base + "_product");
        graph.node(name + "/Rescale", "Mul", List.of(asFloat, scales), List.of(product));
        if (bias != null) {
            graph.node(name + "/AddBias", "Add", List.of(product, biasValue(graph, layer, bias)), List.of(output));
        }
        return weights.values().length + 4L * weights.scales().length;
    }

    /** C times beta: folded into a new constant when C is one, else a Mul node; C itself when beta is 1. */
    private static String biasValue(GraphRewrite graph, MatMulLayer layer, MatMulLayer.Bias bias) {
        if (bias.beta() == 1f) {
            return bias.name();
        }
        if (bias.constantValues() != null) {
            float[] scaled = new float[bias.constantValues().length];
            for (int i = 0; i < scaled.length; i++) {
                scaled[i] = bias.constantValues()[i] * bias.beta();
            }
            return graph.constant(bias.name() + "_times_beta", n -> Protos.floats(n, scaled, bias.dims()));
        }
        String beta = graph.constant(layer.output() + "_beta", n -> Protos.floats(n, new float[] {bias.beta()}));
        String scaled = graph.value(bias.name() + "_times_beta");
        graph.node(layer.layer() + "/Beta", "Mul", List.of(bias.name(), beta), List.of(scaled));
        return scaled;
    }
}
