package io.github.onnxprune.prune.distill;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.onnx.NodeInput;
import io.github.onnxprune.prune.distill.BlockParameters.Part;
import io.github.onnxprune.prune.nodes.BlockRoles;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where one encoder block's parameters live in an ONNX graph, found from node pruning's transformer analysis
 * ({@link BlockRoles}: the attention projections whose heads meet, and the feed-forward pair after them) and
 * then by following the graph from those MatMuls, never by name: which projection is Q, K or V comes from the
 * side of the score and context MatMuls it reaches; biases are the constant operand of the Add after each
 * MatMul; LayerNorm's gain, bias and epsilon from the decomposed form (ReduceMean, Sub, Pow, ReduceMean, Add,
 * Sqrt, Div, Mul, Add) or a LayerNormalization node; the head size from the split Reshape's shape.
 *
 * @param block the block's place, from 0
 * @param input the value the block reads (the residual stream before it)
 * @param output the value it writes (after its second LayerNorm)
 * @param names the constant holding each {@link Part}
 * @param heads attention heads
 * @param headSize features per head
 * @param scoreDivisor what the scores are divided by
 * @param attentionEpsilon the first LayerNorm's epsilon
 * @param outputEpsilon the second LayerNorm's epsilon
 */
record BlockTensors(int block, String input, String output, Map<Part, String> names, int heads, int headSize,
        double scoreDivisor, double attentionEpsilon, double outputEpsilon) {

    /** The encoder blocks of {@code graph} in order; empty for a graph without attention heads. */
    static List<BlockTensors> of(ModelGraph graph) {
        List<BlockRoles.Group> groups = BlockRoles.of(graph);
        List<BlockTensors> blocks = new ArrayList<>();
        for (int i = 0; i < groups.size(); i++) {
            BlockRoles.Group attention = groups.get(i);
            if (!attention.role().equals(BlockRoles.ATTENTION)) {
                continue;
            }
            if (i + 1 >= groups.size() || !groups.get(i + 1).role().equals(BlockRoles.FEED_FORWARD)
                    || groups.get(i + 1).block() != attention.block()) {
                throw new IllegalArgumentException("block " + attention.block() + " has no feed-forward pair");
            }
            blocks.add(find(graph, attention, groups.get(i + 1)));
        }
        return blocks;
    }

    private static BlockTensors find(ModelGraph graph, BlockRoles.Group attention, BlockRoles.Group feedForward) {
        Walker w = new Walker(graph);
        Map<Part, String> names = new EnumMap<>(Part.class);
        String query = null;
        String output = null;
        NodeProto scores = null;
        for (String weight : attention.tensors()) {
            NodeProto matMul = w.matMulReading(weight);
            String projection = w.afterBias(matMul, names, null);
            Optional<NodeInput> reached = w.attentionMatMul(projection);
            if (reached.isEmpty()) {
                names.put(Part.OUTPUT_WEIGHT, weight);
                w.afterBias(matMul, names, Part.OUTPUT_BIAS);
                output = weight;
                continue;
            }
            NodeProto target = reached.get().node();
            boolean context = w.producerOp(target.getInput(0)).equals("Softmax");
            Part part = context ? Part.VALUE_WEIGHT : reached.get().inputIndex() == 0 ? Part.QUERY_WEIGHT
                    : Part.KEY_WEIGHT;
            names.put(part, weight);
            w.afterBias(matMul, names, Part.values()[part.ordinal() + 1]);
            if (part == Part.QUERY_WEIGHT) {
                query = projection;
                scores = target;
            }
        }
        if (query == null || output == null || !names.containsKey(Part.KEY_WEIGHT)
                || !names.containsKey(Part.VALUE_WEIGHT)) {
            throw new IllegalArgumentException("block " + attention.block() + ": Q, K, V and output projections"
                    + " not all found among " + attention.tensors());
        }
        String input = w.matMulReading(names.get(Part.QUERY_WEIGHT)).getInput(0);
        NodeProto scale = w.only(scores.getOutput(0));
        double divisor = w.scalar(scale);
        if (scale.getOpType().equals("Mul")) {
            divisor = 1 / divisor;
        } else if (!scale.getOpType().equals("Div")) {
            throw new IllegalArgumentException("scores scaled by " + scale.getOpType());
        }
        int headSize = w.headSize(query);
        int projected = (int) w.dims(names.get(Part.QUERY_WEIGHT))[1];
        String attentionSum = w.residual(w.afterBias(w.matMulReading(output), names, null), input);
        double[] attentionEpsilon = new double[1];
        String attentionNormed = w.layerNorm(attentionSum, names, Part.ATTENTION_NORM_GAIN, attentionEpsilon);
        String first = feedForward.tensors().get(0);
        String second = feedForward.tensors().get(1);
        NodeProto firstMatMul = w.matMulReading(first);
        if (!firstMatMul.getInput(0).equals(attentionNormed)) {
            throw new IllegalArgumentException("feed-forward " + first + " does not read the attention's LayerNorm");
        }
        names.put(Part.INTERMEDIATE_WEIGHT, first);
        w.afterBias(firstMatMul, names, Part.INTERMEDIATE_BIAS);
        names.put(Part.FFN_OUTPUT_WEIGHT, second);
        if (!w.erfBetween(w.matMulReading(first), w.matMulReading(second))) {
            throw new IllegalArgumentException("feed-forward activation between " + first + " and " + second
                    + " is not GELU with Erf");
        }
        String outputSum = w.residual(w.afterBias(w.matMulReading(second), names, Part.FFN_OUTPUT_BIAS),
                attentionNormed);
        double[] outputEpsilon = new double[1];
        String blockOutput = w.layerNorm(outputSum, names, Part.OUTPUT_NORM_GAIN, outputEpsilon);
        return new BlockTensors(attention.block(), input, blockOutput, names, projected / headSize, headSize,
                divisor, attentionEpsilon[0], outputEpsilon[0]);
    }

    /** This block's parameters as they are in {@code graph} (which may be another model of the same graph). */
    BlockParameters read(ModelGraph graph) {
        long[] first = dims(graph, Part.INTERMEDIATE_WEIGHT);
        BlockParameters p = new BlockParameters((int) first[0], heads, headSize, (int) first[1], scoreDivisor,
                attentionEpsilon, outputEpsilon);
        for (Part part : Part.values()) {
            p.set(part, tensor(graph, part).values());
        }
        return p;
    }

    /** The constants that hold {@code p} in {@code graph}'s own types, for {@link ModelGraph#withConstants}. */
    Map<String, TensorProto> write(ModelGraph graph, BlockParameters p) {
        Map<String, TensorProto> tensors = new LinkedHashMap<>();
        for (Part part : Part.values()) {
            tensors.put(names.get(part), tensor(graph, part).withValues(p.get(part)));
        }
        return tensors;
    }

    private FloatTensor tensor(ModelGraph graph, Part part) {
        return FloatTensor.of(graph.constant(names.get(part)).orElseThrow(() -> new IllegalArgumentException(
                "no constant '" + names.get(part) + "' for " + part)).tensor());
    }

    private long[] dims(ModelGraph graph, Part part) {
        return tensor(graph, part).dims();
    }

    /** Steps along the graph from a block's MatMuls. */
    private record Walker(ModelGraph graph) {

        private static final Set<String> HEAD_MOVES = Set.of("Reshape", "Transpose");

        NodeProto matMulReading(String weight) {
            return graph.consumers(weight).stream().filter(c -> c.node().getOpType().equals("MatMul")
                    && c.inputIndex() == 1).map(NodeInput::node).findFirst().orElseThrow(
                            () -> new IllegalArgumentException("no MatMul reads " + weight));
        }

        /** The MatMul's output after its bias Add (whose constant is recorded as {@code bias}, when given). */
        String afterBias(NodeProto matMul, Map<Part, String> names, Part bias) {
            String value = matMul.getOutput(0);
            NodeProto add = only(value);
            String constant = constantOperand(add);
            if (!add.getOpType().equals("Add") || constant == null) {
                throw new IllegalArgumentException(matMul.getName() + " has no bias Add after it");
            }
            if (bias != null) {
                names.put(bias, constant);
            }
            return add.getOutput(0);
        }

        /** The MatMul of two run-time values a projection reaches through Reshape and Transpose. */
        Optional<NodeInput> attentionMatMul(String value) {
            for (int depth = 0; depth < 4; depth++) {
                for (NodeInput reader : graph.consumers(value)) {
                    String op = reader.node().getOpType();
                    if (op.equals("MatMul") && graph.constant(reader.node().getInput(1)).isEmpty()) {
                        return Optional.of(reader);
                    }
                }
                String next = null;
                for (NodeInput reader : graph.consumers(value)) {
                    if (HEAD_MOVES.contains(reader.node().getOpType()) && reader.inputIndex() == 0) {
                        next = reader.node().getOutput(0);
                    }
                }
                if (next == null) {
                    return Optional.empty();
                }
                value = next;
            }
            return Optional.empty();
        }

        /** Features per head: the last entry of the Reshape that splits the query projection. */
        int headSize(String projection) {
            NodeProto reshape = graph.consumers(projection).stream().map(NodeInput::node)
                    .filter(n -> n.getOpType().equals("Reshape")).findFirst().orElseThrow(
                            () -> new IllegalArgumentException("query " + projection + " is not split into heads"));
            String shape = reshape.getInput(1);
            Optional<long[]> constant = graph.constant(shape).map(c -> int64s(c.tensor()));
            if (constant.isEmpty()) {
                NodeProto concat = graph.nodes().get(graph.producer(shape).orElseThrow());
                String last = concat.getInput(concat.getInputCount() - 1);
                constant = graph.constant(last).map(c -> int64s(c.tensor()));
            }
            long[] entries = constant.orElseThrow(() -> new IllegalArgumentException("head size of " + projection
                    + " not a constant"));
            return (int) entries[entries.length - 1];
        }

        /** The residual Add of {@code value} and {@code stream}. */
        String residual(String value, String stream) {
            NodeProto add = only(value);
            if (!add.getOpType().equals("Add") || !add.getInputList().contains(stream)) {
                throw new IllegalArgumentException(value + " is not added to the residual stream " + stream);
            }
            return add.getOutput(0);
        }

        /** The LayerNorm reading {@code value}: records gain and bias (gain's Part, then the next) and epsilon. */
        String layerNorm(String value, Map<Part, String> names, Part gain, double[] epsilon) {
            Part bias = Part.values()[gain.ordinal() + 1];
            for (NodeInput reader : graph.consumers(value)) {
                if (reader.node().getOpType().equals("LayerNormalization")) {
                    NodeProto node = reader.node();
                    names.put(gain, node.getInput(1));
                    names.put(bias, node.getInput(2));
                    AttributeProto eps = node.getAttributeList().stream()
                            .filter(a -> a.getName().equals("epsilon")).findFirst().orElse(null);
                    epsilon[0] = eps == null ? 1e-5 : eps.getF();
                    return node.getOutput(0);
                }
            }
            NodeProto sub = graph.consumers(value).stream().map(NodeInput::node)
                    .filter(n -> n.getOpType().equals("Sub")).findFirst().orElseThrow(
                            () -> new IllegalArgumentException("no LayerNorm reads " + value));
            NodeProto div = graph.consumers(sub.getOutput(0)).stream().map(NodeInput::node)
                    .filter(n -> n.getOpType().equals("Div")).findFirst().orElseThrow(
                            () -> new IllegalArgumentException("no LayerNorm division after " + sub.getName()));
            NodeProto sqrt = graph.nodes().get(graph.producer(div.getInput(1)).orElseThrow());
            NodeProto addEpsilon = graph.nodes().get(graph.producer(sqrt.getInput(0)).orElseThrow());
            epsilon[0] = scalar(addEpsilon);
            NodeProto mul = only(div.getOutput(0));
            names.put(gain, constantOperand(mul));
            NodeProto add = only(mul.getOutput(0));
            names.put(bias, constantOperand(add));
            if (!mul.getOpType().equals("Mul") || !add.getOpType().equals("Add") || names.get(gain) == null
                    || names.get(bias) == null) {
                throw new IllegalArgumentException("LayerNorm after " + value + " has no constant gain and bias");
            }
            return add.getOutput(0);
        }

        /** Whether an Erf lies on the way from one MatMul to the next. */
        boolean erfBetween(NodeProto from, NodeProto to) {
            List<String> frontier = new ArrayList<>(List.of(from.getOutput(0)));
            boolean erf = false;
            for (int step = 0; step < 8 && !frontier.isEmpty(); step++) {
                List<String> next = new ArrayList<>();
                for (String value : frontier) {
                    for (NodeInput reader : graph.consumers(value)) {
                        NodeProto node = reader.node();
                        erf |= node.getOpType().equals("Erf");
                        if (node == to || node.equals(to)) {
                            return erf;
                        }
                        next.add(node.getOutput(0));
                    }
                }
                frontier = next;
            }
            return false;
        }

        NodeProto only(String value) {
            List<NodeInput> readers = graph.consumers(value);
            if (readers.size() != 1) {
                throw new IllegalArgumentException(value + " has " + readers.size() + " readers, one expected");
            }
            return readers.get(0).node();
        }

        String producerOp(String value) {
            return graph.producer(value).map(i -> graph.nodes().get(i).getOpType()).orElse("");
        }

        /** The input of a two-input node that is a constant, or null. */
        String constantOperand(NodeProto node) {
            for (String input : node.getInputList()) {
                if (graph.constant(input).isPresent()) {
                    return input;
                }
            }
            return null;
        }

        double scalar(NodeProto node) {
            String name = constantOperand(node);
            if (name == null) {
                throw new IllegalArgumentException(node.getName() + " has no constant operand");
            }
            return FloatTensor.of(graph.constant(name).get().tensor()).get(0);
        }

        long[] dims(String name) {
            return FloatTensor.of(graph.constant(name).orElseThrow().tensor()).dims();
        }

        private static long[] int64s(TensorProto tensor) {
            if (tensor.getInt64DataCount() > 0) {
                return tensor.getInt64DataList().stream().mapToLong(Long::longValue).toArray();
            }
            java.nio.ByteBuffer raw = tensor.getRawData().asReadOnlyByteBuffer()
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN);
            long[] values = new long[raw.remaining() / 8];
            for (int i = 0; i < values.length; i++) {
                values[i] = raw.getLong();
            }
            return values;
        }
    }
}
