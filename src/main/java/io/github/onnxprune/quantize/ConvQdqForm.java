package io.github.onnxprune.quantize;

import java.util.ArrayList;
import java.util.List;

/**
 * Emits a Conv in the static QDQ form that ONNX Runtime's CPU provider fuses at load into {@code QLinearConv}:
 * the activation through {@code QuantizeLinear -> DequantizeLinear} (uint8, range from calibration), the weight
 * as int8 per output channel through {@code DequantizeLinear(axis 0)}, the bias as int32 with scale
 * {@code x_scale * w_scale[c]} (what QLinearConv assumes), and the output through {@code QuantizeLinear ->
 * DequantizeLinear} so the fused node has an output scale (after a Relu the Conv absorbs, which ONNX Runtime then
 * drops as the uint8 zero point 0 already clamps at 0). ConvInteger is not used: ONNX Runtime's CPU kernel
 * takes only uint8 weights and rejects int8 ones at session creation.
 */
final class ConvQdqForm {

    private ConvQdqForm() {
    }

    /**
     * Adds the nodes computing {@code layer} from {@code input} into {@code output}.
     *
     * @return bytes of the int8 weight and its scales (the int32 bias replaces a float32 bias of the same size)
     */
    static long emit(GraphRewrite graph, ConvLayer layer, Int8Weights weights, ActivationRange in,
            ActivationRange out, String input, String output) {
        String base = layer.output();
        String name = layer.layer();
        String inScale = graph.constant(base + "_input_scale", n -> Protos.floats(n, new float[] {in.scale()}));
        String inZero = graph.constant(base + "_input_zero_point", n -> Protos.uint8(n, in.zeroPoint()));
        String inQuantized = graph.value(base + "_input_quantized");
        String inDequantized = graph.value(base + "_input_dequantized");
        graph.node(name + "/QuantizeInput", "QuantizeLinear", List.of(input, inScale, inZero), List.of(inQuantized));
        graph.node(name + "/DequantizeInput", "DequantizeLinear", List.of(inQuantized, inScale, inZero),
                List.of(inDequantized));

        int channels = layer.channels();
        String weight = graph.sharedConstant(layer.weightKey() + "|int8", base + "_weight_int8",
                n -> Protos.int8(n, weights.values(), layer.weightDims()));
        String weightScale = graph.sharedConstant(layer.weightKey() + "|scale", base + "_weight_scale",
                n -> Protos.floats(n, weights.scales(), channels));
        String weightZero = graph.sharedConstant("int8 zeros|" + channels, base + "_weight_zero_point",
                n -> Protos.int8(n, new byte[channels], channels));
        String weightDequantized = graph.value(base + "_weight_dequantized");
        graph.node(name + "/DequantizeWeight", "DequantizeLinear", List.of(weight, weightScale, weightZero),
                List.of(weightDequantized), Protos.intAttribute("axis", 0));
        long bytes = weights.values().length + 4L * channels;

        List<String> convInputs = new ArrayList<>(List.of(inDequantized, weightDequantized));
        if (layer.bias() != null) {
            float[] biasScales = new float[channels];
            int[] biasValues = new int[channels];
            for (int c = 0; c < channels; c++) {
                biasScales[c] = in.scale() * weights.scales()[c];
                double q = Math.rint(layer.bias()[c] / biasScales[c]);
                biasValues[c] = (int) Math.max(Integer.MIN_VALUE + 1, Math.min(Integer.MAX_VALUE, q));
            }
            String bias = graph.constant(base + "_bias_int32", n -> Protos.ints(n, biasValues, channels));
            String biasScale = graph.constant(base + "_bias_scale", n -> Protos.floats(n, biasScales, channels));
            String biasZero = graph.constant(base + "_bias_zero_point",
                    n -> Protos.ints(n, new int[channels], channels));
            String biasDequantized = graph.value(base + "_bias_dequantized");
            graph.node(name + "/DequantizeBias", "DequantizeLinear", List.of(bias, biasScale, biasZero),
                    List.of(biasDequantized), Protos.intAttribute("axis", 0));
            convInputs.add(biasDequantized);
        }

        String convOutput = graph.value(base + "_float");
        graph.node(name, "Conv", convInputs, List.of(convOutput),
                layer.node().getAttributeList().toArray(ai.onnx.proto.OnnxMl.AttributeProto[]::new));
        if (layer.relu()) {
            String activated = graph.value(base + "_relu");
            graph.node(name + "/Relu", "Relu", List.of(convOutput), List.of(activated));
            convOutput = activated;
        }
        String outScale = graph.constant(base + "_output_scale", n -> Protos.floats(n, new float[] {out.scale()}));
        String outZero = graph.constant(base + "_output_zero_point", n -> Protos.uint8(n, out.zeroPoint()));
        String outQuantized = graph.value(base + "_quantized");
        graph.node(name + "/QuantizeOutput", "QuantizeLinear", List.of(convOutput, outScale, outZero),
                List.of(outQuantized));
        graph.node(name + "/DequantizeOutput", "DequantizeLinear", List.of(outQuantized, outScale, outZero),
                List.of(output));
        return bytes;
    }
}
