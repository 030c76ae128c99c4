package io.github.onnxprune.prune.calibrate;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.onnx.NodeInput;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Where a layer's bias lives and whether calibration may change it: Gemm's C, Conv's B, or the constant of
 * the Add after a MatMul; one is created for a Gemm or Conv without a bias (both accept the optional input).
 *
 * @param constant the bias constant's name, or null when one is to be created (or none is possible)
 * @param scale what the stored values are multiplied by in the output (Gemm's beta)
 * @param values the effective bias per output (scale included); zeros when there is none yet
 * @param writable whether the bias may be set
 * @param reason why not, when it may not
 */
record BiasSlot(String constant, double scale, double[] values, boolean writable, String reason) {

    static BiasSlot of(ModelGraph graph, LinearLayer layer) {
        NodeProto node = layer.node();
        int outputs = layer.outputs();
        switch (layer.opType()) {
            case "Gemm", "Conv" -> {
                double scale = layer.opType().equals("Gemm") ? LinearLayer.floatAttribute(node, "beta", 1f) : 1.0;
                String name = node.getInputCount() > 2 ? node.getInput(2) : "";
                if (name.isEmpty()) {
                    return scale == 0 ? none(outputs, "beta is 0") : new BiasSlot(null, scale, new double[outputs],
                            true, "");
                }
                FloatTensor bias = LinearLayer.floatConstant(graph, name);
                if (bias == null || bias.size() != outputs) {
                    return fixed(bias, outputs, scale, "its bias '" + name + "' is not a constant with one value per"
                            + " output");
                }
                if (!LinearLayer.editable(graph, name) || scale == 0) {
                    return fixed(bias, outputs, scale, "its bias '" + name + "' is shared or scaled by beta 0");
                }
                return new BiasSlot(name, scale, scaled(bias.values(), scale), true, "");
            }
            default -> {
                NodeInput add = LinearLayer.matMulBiasAdd(graph, node, outputs);
                if (add == null) {
                    return none(outputs, "no Add of a constant bias follows it");
                }
                String name = add.node().getInput(add.inputIndex());
                return new BiasSlot(name, 1.0, FloatTensor.of(graph.constant(name).orElseThrow().tensor()).values(),
                        true, "");
            }
        }
    }

    private static BiasSlot none(int outputs, String reason) {
        return new BiasSlot(null, 1.0, new double[outputs], false, reason);
    }

    private static BiasSlot fixed(FloatTensor bias, int outputs, double scale, String reason) {
        double[] values = new double[outputs];
        if (bias != null) {
            double[] stored = bias.values();
            for (int o = 0; o < outputs; o++) {
                // A broadcast bias (one value, or [1, n]) adds the same to every row: read it as broadcast.
                values[o] = scale * stored[stored.length == outputs ? o : stored.length == 1 ? 0 : o % stored.length];
            }
        }
        return new BiasSlot(null, scale, values, false, reason);
    }

    private static double[] scaled(double[] values, double scale) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i] * scale;
        }
        return out;
    }

    /**
     * The model with this layer's weight replaced and its bias set to {@code effective} (when writable and not
     * null); a new bias is stored in the weight's element type and storage, as an initializer.
     */
    ModelProto apply(ModelGraph graph, LinearLayer layer, TensorProto weight, double[] effective,
            Map<String, TensorProto> replacements) {
        replacements.put(layer.weight(), weight);
        double[] stored = null;
        if (writable && effective != null) {
            stored = new double[effective.length];
            for (int i = 0; i < stored.length; i++) {
                stored[i] = effective[i] / scale;
            }
            if (constant != null) {
                replacements.put(constant, FloatTensor.of(graph.constant(constant).orElseThrow().tensor())
                        .withValues(stored));
            }
        }
        ModelProto model = graph.withConstants(replacements);
        if (stored == null || constant != null) {
            return model;
        }
        TensorProto.Builder created = TensorProto.newBuilder().setName(freshName(model, layer.weight() + ".bias"))
                .setDataType(weight.getDataType()).addDims(stored.length);
        created.setRawData(ByteString.copyFrom(new byte[stored.length * width(weight.getDataType())]));
        TensorProto bias = FloatTensor.of(created.build()).withValues(stored);
        ModelProto.Builder builder = model.toBuilder();
        GraphProto.Builder graphBuilder = builder.getGraphBuilder();
        graphBuilder.addInitializer(bias);
        NodeProto.Builder node = graphBuilder.getNodeBuilder(layer.index());
        if (node.getInputCount() > 2) {
            node.setInput(2, bias.getName());
        } else {
            node.addInput(bias.getName());
        }
        return builder.build();
    }

    private static int width(int dataType) {
        return dataType == TensorProto.DataType.FLOAT_VALUE ? 4 : dataType == TensorProto.DataType.DOUBLE_VALUE ? 8 : 2;
    }

    private static String freshName(ModelProto model, String base) {
        Set<String> taken = new HashSet<>();
        GraphProto graph = model.getGraph();
        graph.getInitializerList().forEach(t -> taken.add(t.getName()));
        graph.getInputList().forEach(v -> taken.add(v.getName()));
        graph.getOutputList().forEach(v -> taken.add(v.getName()));
        graph.getValueInfoList().forEach(v -> taken.add(v.getName()));
        for (NodeProto node : graph.getNodeList()) {
            taken.addAll(node.getInputList());
            taken.addAll(node.getOutputList());
        }
        String name = base;
        for (int i = 1; taken.contains(name); i++) {
            name = base + "_" + i;
        }
        return name;
    }
}
