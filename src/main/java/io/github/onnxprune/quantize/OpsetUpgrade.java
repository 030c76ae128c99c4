package io.github.onnxprune.quantize;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import io.github.onnxprune.onnx.ModelGraph;
import java.util.Map;
import java.util.Optional;

/**
 * Whether a model's default-domain opset may be raised without changing what any of its nodes mean. The int8
 * forms need opset 11 (DynamicQuantizeLinear; MatMulInteger came in 10), 13 (per-axis QuantizeLinear and
 * DequantizeLinear) and 7 (the int8 Gather's broadcasting Mul). Raising is safe when every node's op is listed
 * here and none of its listed breaking versions lies between the model's opset and the target. Ops not listed
 * (including anything with a subgraph) block the raise: an unknown op is never assumed safe.
 */
final class OpsetUpgrade {

    /** The opset DynamicQuantizeLinear needs. */
    static final int DYNAMIC_MATMUL = 11;

    /** The opset the int8 Gather form needs (Cast with an integer {@code to}, Mul with broadcasting). */
    static final int INT8_GATHER = 7;

    /** The opset per-axis QuantizeLinear/DequantizeLinear need. */
    static final int QDQ_PER_AXIS = 13;

    private static final int[] NONE = {};

    /**
     * Per op, the opset versions up to 13 whose definition an older node may not satisfy: an attribute moved to
     * an input, removed or given another meaning (versions that only added types or relaxed constraints are
     * not listed). From the ONNX operator changelog.
     */
    private static final Map<String, int[]> BREAKING = Map.ofEntries(
            Map.entry("Abs", new int[] {6}), Map.entry("Neg", new int[] {6}), Map.entry("Ceil", new int[] {6}),
            Map.entry("Floor", new int[] {6}), Map.entry("Exp", new int[] {6}), Map.entry("Log", new int[] {6}),
            Map.entry("Sqrt", new int[] {6}), Map.entry("Reciprocal", new int[] {6}),
            Map.entry("Relu", new int[] {6}), Map.entry("Sigmoid", new int[] {6}), Map.entry("Tanh", new int[] {6}),
            Map.entry("Elu", new int[] {6}), Map.entry("Selu", new int[] {6}), Map.entry("LeakyRelu", new int[] {6}),
            Map.entry("HardSigmoid", new int[] {6}), Map.entry("PRelu", new int[] {6, 7}),
            Map.entry("Add", new int[] {6, 7}), Map.entry("Sub", new int[] {6, 7}), Map.entry("Mul", new int[] {6, 7}),
            Map.entry("Div", new int[] {6, 7}), Map.entry("Pow", new int[] {7}),
            Map.entry("Max", new int[] {6}), Map.entry("Min", new int[] {6}), Map.entry("Sum", new int[] {6}),
            Map.entry("Mean", new int[] {6}),
            Map.entry("Equal", new int[] {7}), Map.entry("Greater", new int[] {7}), Map.entry("Less", new int[] {7}),
            Map.entry("And", new int[] {7}), Map.entry("Or", new int[] {7}), Map.entry("Xor", new int[] {7}),
            Map.entry("Not", NONE), Map.entry("Where", NONE),
            Map.entry("BatchNormalization", new int[] {6, 7, 9}), Map.entry("InstanceNormalization", new int[] {6}),
            Map.entry("Gemm", new int[] {6, 7}), Map.entry("MatMul", NONE), Map.entry("Conv", NONE),
            Map.entry("ConvTranspose", NONE), Map.entry("MaxPool", NONE), Map.entry("AveragePool", NONE),
            Map.entry("GlobalAveragePool", NONE), Map.entry("GlobalMaxPool", NONE), Map.entry("LRN", NONE),
            Map.entry("Flatten", NONE), Map.entry("Transpose", NONE), Map.entry("Identity", NONE),
            Map.entry("Reshape", new int[] {5}), Map.entry("Concat", new int[] {4}), Map.entry("Cast", new int[] {6}),
            Map.entry("Gather", NONE), Map.entry("Shape", NONE), Map.entry("Size", NONE),
            Map.entry("Constant", NONE), Map.entry("ConstantOfShape", NONE), Map.entry("Expand", NONE),
            Map.entry("Tile", new int[] {6}), Map.entry("Erf", NONE), Map.entry("Softplus", NONE),
            Map.entry("Softsign", NONE), Map.entry("ArgMax", NONE), Map.entry("ArgMin", NONE),
            Map.entry("ReduceMean", NONE), Map.entry("ReduceMax", NONE), Map.entry("ReduceMin", NONE),
            Map.entry("ReduceProd", NONE), Map.entry("ReduceSum", new int[] {13}),
            Map.entry("Softmax", new int[] {13}), Map.entry("LogSoftmax", new int[] {13}),
            Map.entry("Hardmax", new int[] {13}), Map.entry("Squeeze", new int[] {13}),
            Map.entry("Unsqueeze", new int[] {13}), Map.entry("Split", new int[] {2, 13}),
            Map.entry("Slice", new int[] {10}), Map.entry("TopK", new int[] {10}), Map.entry("Pad", new int[] {2, 11}),
            Map.entry("Clip", new int[] {6, 11}), Map.entry("Dropout", new int[] {6, 7, 12}),
            Map.entry("Upsample", new int[] {7, 9, 10}), Map.entry("Resize", new int[] {11, 13}));

    private OpsetUpgrade() {
    }

    /** The model's default-domain opset (1 when it imports none, as the format says). */
    static int defaultOpset(ModelProto model) {
        for (OperatorSetIdProto opset : model.getOpsetImportList()) {
            if (ModelGraph.isDefaultDomain(opset.getDomain())) {
                return (int) opset.getVersion();
            }
        }
        return 1;
    }

    /**
     * Why the model's default opset cannot be raised from its current version to {@code target}, or empty when
     * it can (or needs no raise).
     */
    static Optional<String> blocker(ModelProto model, int target) {
        int from = defaultOpset(model);
        if (from >= target) {
            return Optional.empty();
        }
        for (NodeProto node : model.getGraph().getNodeList()) {
            if (!ModelGraph.isDefaultDomain(node.getDomain())) {
                continue;
            }
            int[] breaking = BREAKING.get(node.getOpType());
            if (breaking == null) {
                return Optional.of("the model's opset " + from + " is below " + target + " and its "
                        + node.getOpType() + " node '" + node.getName() + "' is not known to mean the same at opset "
                        + target);
            }
            for (int version : breaking) {
                if (version > from && version <= target) {
                    return Optional.of("the model's opset " + from + " is below " + target + " and "
                            + node.getOpType() + " changed at opset " + version + " (node '" + node.getName() + "')");
                }
            }
        }
        return Optional.empty();
    }

    /** The model with its default opset raised to {@code target} (and IR version to 7, which opset 13 needs). */
    static ModelProto raise(ModelProto model, int target) {
        if (defaultOpset(model) >= target) {
            return model;
        }
        ModelProto.Builder builder = model.toBuilder();
        boolean found = false;
        for (OperatorSetIdProto.Builder opset : builder.getOpsetImportBuilderList()) {
            if (ModelGraph.isDefaultDomain(opset.getDomain())) {
                opset.setVersion(target);
                found = true;
            }
        }
        if (!found) {
            builder.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(target));
        }
        if (builder.getIrVersion() < 7) {
            builder.setIrVersion(7);
        }
        return builder.build();
    }
}
