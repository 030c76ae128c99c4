package io.github.onnxprune.quantize;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.github.onnxprune.onnx.ConstantTensor;
import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.onnx.NodeInput;
import io.github.onnxprune.prune.NamePattern;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.IntToDoubleFunction;

/**
 * Finds the MatMul, Gemm, Conv and table-lookup Gather nodes of a model and decides, per node, its int8 form or
 * why it stays float.
 */
final class LayerPlanner {

    private LayerPlanner() {
    }

    /**
     * One candidate layer: either a plan ({@link MatMulLayer} or {@link ConvLayer}) or the reason it stays float.
     *
     * @param nodeIndex the node's position in the graph
     * @param layer the node's name in the report
     * @param opType MatMul, Gemm or Conv
     * @param floatBytes bytes of its weight as stored
     * @param plan what to emit, or null
     * @param reason why not, or null
     */
    record Candidate(int nodeIndex, String layer, String opType, long floatBytes, LayerPlan plan, String reason) {

        Candidate keptFloat(String why) {
            return new Candidate(nodeIndex, layer, opType, floatBytes, null, why);
        }

        QuantizedLayer asFloatLayer() {
            return QuantizedLayer.keptFloat(layer, opType, reason, floatBytes);
        }
    }

    /** Every MatMul, Gemm, Conv and Gather from a constant table of the default domain, in graph order. */
    static List<Candidate> plan(ModelGraph graph, QuantizationSettings settings, boolean calibrated) {
        List<Candidate> candidates = new ArrayList<>();
        List<NodeProto> nodes = graph.nodes();
        for (int i = 0; i < nodes.size(); i++) {
            NodeProto node = nodes.get(i);
            String op = node.getOpType();
            if (!ModelGraph.isDefaultDomain(node.getDomain()) || !(op.equals("MatMul") || op.equals("Gemm")
                    || op.equals("Conv") || isTableLookup(graph, node))) {
                continue;
            }
            String layer = QuantizedLayer.nameOf(node);
            int weightInput = op.equals("Gather") ? 0 : 1;
            Optional<ConstantTensor> weight = node.getInputCount() > 1 ? graph.constant(node.getInput(weightInput))
                    : Optional.empty();
            long floatBytes = weight.map(w -> storedBytes(w.tensor())).orElse(0L);
            Candidate float_ = new Candidate(i, layer, op, floatBytes, null, null);
            String excluded = settings.excludes().stream().filter(p -> p.matches(node.getName()))
                    .map(NamePattern::glob).findFirst().orElse(null);
            String reason = excluded != null ? "matches the exclude pattern '" + excluded + "'"
                    : settings.keepFloat().contains(layer) ? "kept float by the accuracy fallback"
                    : weightProblem(graph, node.getInput(weightInput), weight);
            if (reason == null && op.equals("Conv") && !calibrated) {
                reason = "needs calibration data (static activation ranges)";
            }
            if (reason != null) {
                candidates.add(float_.keptFloat(reason));
                continue;
            }
            LayerPlan plan;
            try {
                plan = op.equals("Conv") ? conv(graph, node, layer, weight.get().tensor())
                        : op.equals("Gather") ? gather(node, layer, weight.get().tensor(), settings.tableBits(layer))
                        : matMul(graph, node, layer, weight.get().tensor());
            } catch (Unsupported e) {
                candidates.add(float_.keptFloat(e.getMessage()));
                continue;
            }
            candidates.add(new Candidate(i, layer, op, floatBytes, plan, null));
        }
        return candidates;
    }

    /**
     * A Gather from a constant float32 table: an embedding. Gathers from computed values (shape arithmetic) are
     * not layers and are not listed at all.
     */
    private static boolean isTableLookup(ModelGraph graph, NodeProto node) {
        return node.getOpType().equals("Gather") && node.getInputCount() == 2
                && graph.constant(node.getInput(0)).map(ConstantTensor::tensor)
                        .filter(t -> t.getDataType() == TensorProto.DataType.FLOAT_VALUE && t.getDimsCount() == 2)
                        .isPresent();
    }

    private static GatherLayer gather(NodeProto node, String layer, TensorProto table, int bits)
            throws Unsupported {
        if (Protos.intAttribute(node, "axis", 0) != 0) {
            throw new Unsupported("it gathers along axis " + Protos.intAttribute(node, "axis", 0)
                    + "; only row lookups (axis 0) are quantized");
        }
        return new GatherLayer(node, layer, node.getInput(1), FloatTensor.of(table)::get,
                (int) table.getDims(0), (int) table.getDims(1), node.getOutput(0), bits);
    }

    private static String weightProblem(ModelGraph graph, String name, Optional<ConstantTensor> weight) {
        if (weight.isEmpty()) {
            return "its weight is not a constant";
        }
        if (graph.replaceableAtRunTime(name)) {
            return "its weight is a graph input that callers may replace";
        }
        TensorProto tensor = weight.get().tensor();
        if (tensor.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            return "its weight is stored in an external data file";
        }
        if (tensor.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
            return "its weight is " + TensorProto.DataType.forNumber(tensor.getDataType()).name().toLowerCase()
                    + "; only float32 weights are quantized";
        }
        return null;
    }

    private static MatMulLayer matMul(ModelGraph graph, NodeProto node, String layer, TensorProto weight)
            throws Unsupported {
        if (weight.getDimsCount() != 2) {
            throw new Unsupported("its weight has " + weight.getDimsCount() + " dimensions; only 2-D weights are "
                    + "quantized");
        }
        boolean gemm = node.getOpType().equals("Gemm");
        boolean transA = gemm && Protos.intAttribute(node, "transA", 0) != 0;
        boolean transB = gemm && Protos.intAttribute(node, "transB", 0) != 0;
        float alpha = gemm ? Protos.floatAttribute(node, "alpha", 1f) : 1f;
        FloatTensor stored = FloatTensor.of(weight);
        int storedRows = (int) weight.getDims(0);
        int storedColumns = (int) weight.getDims(1);
        int rows = transB ? storedColumns : storedRows;
        int columns = transB ? storedRows : storedColumns;
        // Read from the stored tensor when quantized, not copied here: a plan covers every layer at once, and
        // doubles of all of a transformer's weights would be twice the model on the heap.
        IntToDoubleFunction effective = index -> {
            int r = index / columns;
            int c = index % columns;
            double value = transB ? stored.get(c * storedColumns + r) : stored.get(r * storedColumns + c);
            return alpha * value;
        };
        MatMulLayer.Bias bias = null;
        if (gemm && node.getInputCount() > 2 && !node.getInput(2).isEmpty()) {
            String c = node.getInput(2);
            float beta = Protos.floatAttribute(node, "beta", 1f);
            Optional<ConstantTensor> constant = graph.constant(c);
            if (constant.isPresent() && !graph.replaceableAtRunTime(c)) {
                TensorProto tensor = constant.get().tensor();
                if (tensor.getDataType() != TensorProto.DataType.FLOAT_VALUE
                        || !FloatTensor.isSupported(tensor)) {
                    throw new Unsupported("its bias C is not an inline float32 tensor");
                }
                double[] values = FloatTensor.of(tensor).values();
                float[] floats = new float[values.length];
                for (int i = 0; i < floats.length; i++) {
                    floats[i] = (float) values[i];
                }
                bias = new MatMulLayer.Bias(c, floats,
                        tensor.getDimsList().stream().mapToLong(Long::longValue).toArray(), beta);
            } else {
                bias = new MatMulLayer.Bias(c, null, null, beta);
            }
        }
        return new MatMulLayer(node, layer, node.getInput(0), transA, effective, rows, columns, bias,
                node.getOutput(0));
    }

    private static ConvLayer conv(ModelGraph graph, NodeProto node, String layer, TensorProto weight)
            throws Unsupported {
        if (weight.getDimsCount() != 4) {
            throw new Unsupported("its weight has " + weight.getDimsCount() + " dimensions; only 2-D convolutions "
                    + "(4-D weights) are quantized");
        }
        double[] bias = null;
        if (node.getInputCount() > 2 && !node.getInput(2).isEmpty()) {
            Optional<ConstantTensor> constant = graph.constant(node.getInput(2));
            if (constant.isEmpty() || graph.replaceableAtRunTime(node.getInput(2))
                    || constant.get().tensor().getDataType() != TensorProto.DataType.FLOAT_VALUE
                    || !FloatTensor.isSupported(constant.get().tensor())) {
                throw new Unsupported("its bias is not a constant float32 tensor");
            }
            bias = FloatTensor.of(constant.get().tensor()).values();
        }
        double[] values = FloatTensor.of(weight).values();
        long[] dims = weight.getDimsList().stream().mapToLong(Long::longValue).toArray();
        List<NodeProto> absorbed = new ArrayList<>();
        List<Integer> absorbedIndices = new ArrayList<>();
        String output = node.getOutput(0);
        Optional<NodeInput> norm = foldableNorm(graph, node);
        if (norm.isPresent()) {
            // ONNX Runtime folds an inference BatchNormalization into the float Conv before running it; between
            // QDQ nodes it could not, and would run it in float after QLinearConv. Folding it here first keeps
            // the int8 model as lean as the float one, and quantizes the weights the kernel really uses.
            NodeProto bn = norm.get().node();
            double[] gamma = constantValues(graph, bn.getInput(1));
            double[] beta = constantValues(graph, bn.getInput(2));
            double[] mean = constantValues(graph, bn.getInput(3));
            double[] variance = constantValues(graph, bn.getInput(4));
            double epsilon = Protos.floatAttribute(bn, "epsilon", 1e-5f);
            int channels = (int) dims[0];
            int block = values.length / channels;
            double[] folded = new double[values.length];
            double[] shift = new double[channels];
            for (int c = 0; c < channels; c++) {
                double scale = gamma[c] / Math.sqrt(variance[c] + epsilon);
                for (int i = c * block; i < (c + 1) * block; i++) {
                    folded[i] = values[i] * scale;
                }
                shift[c] = ((bias == null ? 0 : bias[c]) - mean[c]) * scale + beta[c];
            }
            values = folded;
            bias = shift;
            absorbed.add(bn);
            absorbedIndices.add(norm.get().nodeIndex());
            output = bn.getOutput(0);
        }
        // A Relu right after goes before the output QuantizeLinear: its range starts at 0, so the uint8 zero point
        // is 0 and ONNX Runtime drops the Relu into QLinearConv instead of running it in float between the
        // DequantizeLinear and the next QuantizeLinear (and the 256 codes cover only the values Relu keeps).
        Optional<NodeInput> relu = soleReader(graph, output).filter(r -> r.node().getOpType().equals("Relu")
                && ModelGraph.isDefaultDomain(r.node().getDomain()) && r.node().getOutputCount() == 1);
        if (relu.isPresent()) {
            absorbed.add(relu.get().node());
            absorbedIndices.add(relu.get().nodeIndex());
            output = relu.get().node().getOutput(0);
        }
        return new ConvLayer(node, layer, node.getInput(0), values, dims, bias, output, List.copyOf(absorbed),
                List.copyOf(absorbedIndices), relu.isPresent());
    }

    /** The node that alone reads {@code value}, which is not a graph output. */
    private static Optional<NodeInput> soleReader(ModelGraph graph, String value) {
        List<NodeInput> readers = graph.consumers(value);
        if (readers.size() != 1 || graph.graphOutputs().contains(value) || readers.get(0).inputIndex() < 0) {
            return Optional.empty();
        }
        return Optional.of(readers.get(0));
    }

    /**
     * The inference BatchNormalization that alone reads the Conv's output, with constant float32 parameters
     * of one value per channel, if there is one.
     */
    private static Optional<NodeInput> foldableNorm(ModelGraph graph, NodeProto conv) {
        Optional<NodeInput> sole = soleReader(graph, conv.getOutput(0));
        if (sole.isEmpty()) {
            return Optional.empty();
        }
        NodeInput reader = sole.get();
        NodeProto bn = reader.node();
        if (!bn.getOpType().equals("BatchNormalization") || !ModelGraph.isDefaultDomain(bn.getDomain())
                || reader.inputIndex() != 0 || bn.getInputCount() != 5 || bn.getOutputCount() != 1
                || Protos.intAttribute(bn, "training_mode", 0) != 0) {
            return Optional.empty();
        }
        for (int i = 1; i < 5; i++) {
            String name = bn.getInput(i);
            Optional<ConstantTensor> constant = graph.constant(name);
            if (constant.isEmpty() || graph.replaceableAtRunTime(name)
                    || constant.get().tensor().getDataType() != TensorProto.DataType.FLOAT_VALUE
                    || !FloatTensor.isSupported(constant.get().tensor())
                    || FloatTensor.of(constant.get().tensor()).size() != weightChannels(graph, conv)) {
                return Optional.empty();
            }
        }
        return Optional.of(reader);
    }

    private static int weightChannels(ModelGraph graph, NodeProto conv) {
        return (int) graph.constant(conv.getInput(1)).orElseThrow().tensor().getDims(0);
    }

    private static double[] constantValues(ModelGraph graph, String name) {
        return FloatTensor.of(graph.constant(name).orElseThrow().tensor()).values();
    }

    private static long storedBytes(TensorProto tensor) {
        long elements = 1;
        for (long dim : tensor.getDimsList()) {
            elements *= dim;
        }
        int width = switch (TensorProto.DataType.forNumber(tensor.getDataType())) {
            case DOUBLE, INT64, UINT64 -> 8;
            case FLOAT16, BFLOAT16, INT16, UINT16 -> 2;
            case INT8, UINT8, BOOL -> 1;
            default -> 4;
        };
        return elements * width;
    }

    /** A layer this quantizer has no int8 form for; the message is the report's reason. */
    static final class Unsupported extends Exception {
        private static final long serialVersionUID = 1L;

        Unsupported(String reason) {
            super(reason);
        }
    }
}
