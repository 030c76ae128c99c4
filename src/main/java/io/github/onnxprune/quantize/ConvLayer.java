package io.github.onnxprune.quantize;

import ai.onnx.proto.OnnxMl.NodeProto;

/**
 * A Conv with a constant float32 weight (and bias): what the static QDQ form needs to replace it.
 *
 * @param node the original node
 * @param layer its name in the report
 * @param input the activation X
 * @param weight the weight's values, output channels first
 * @param weightDims the weight's dims
 * @param bias the bias values, or null when the Conv has none
 * @param output the value the layer writes: that of the last absorbed node when there are any
 * @param absorbed the nodes after the Conv that its int8 form replaces too, in order: an inference
 *     BatchNormalization folded into weight and bias, then a Relu
 * @param absorbedIndices their positions in the graph
 * @param relu whether a Relu is absorbed: the form applies it before quantizing the output
 */
record ConvLayer(NodeProto node, String layer, String input, double[] weight, long[] weightDims, double[] bias,
        String output, java.util.List<NodeProto> absorbed, java.util.List<Integer> absorbedIndices, boolean relu)
        implements LayerPlan {

    @Override
    public java.util.List<NodeProto> replacedNodes() {
        java.util.List<NodeProto> nodes = new java.util.ArrayList<>();
        nodes.add(node);
        nodes.addAll(absorbed);
        return nodes;
    }

    @Override
    public String weightKey() {
        // A folded BatchNormalization rescales the weight, so its parameters are part of what is stored.
        StringBuilder key = new StringBuilder("conv|").append(node.getInput(1));
        absorbed.stream().filter(n -> n.getOpType().equals("BatchNormalization"))
                .forEach(n -> key.append('|').append(String.join(",", n.getInputList().subList(1, 5))).append('|')
                        .append(Protos.floatAttribute(n, "epsilon", 1e-5f)));
        return key.toString();
    }

    @Override
    public int minOpset() {
        return OpsetUpgrade.QDQ_PER_AXIS;
    }

    @Override
    public String form() {
        return QuantizedLayer.QDQ_CONV;
    }

    /** Output channels. */
    int channels() {
        return (int) weightDims[0];
    }
}
