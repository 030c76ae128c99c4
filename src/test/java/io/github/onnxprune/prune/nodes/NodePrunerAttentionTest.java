package io.github.onnxprune.prune.nodes;

import static io.github.onnxprune.prune.nodes.Checks.dims;
import static io.github.onnxprune.prune.nodes.Checks.tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import io.github.onnxprune.Fixtures;
import io.github.onnxprune.eval.ModelSignature;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.eval.ValidationDataReader;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.onnx.OnnxModelReader;
import io.github.onnxprune.prune.Scope;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Attention heads of the BERT-style fixture (2 layers, hidden 32, 4 heads of 8, feed-forward 128, exported by
 * torch.onnx.export with head shapes computed at run time): whole heads leave Q, K, V and the output projection,
 * the head counts of the run-time shapes follow, and the model runs in ONNX Runtime at every fraction.
 */
class NodePrunerAttentionTest {

    private static final Path MODEL = Fixtures.ROOT.resolve("digits-bert/model.onnx");
    private static final Path DATA = Fixtures.ROOT.resolve("digits-bert/validation.npz");
    private static final String[] QKV = {"query", "key", "value"};

    @Test
    void zeroFractionReturnsTheModelByteForByte() throws Exception {
        ModelProto model = OnnxModelReader.read(MODEL);
        for (Scope scope : Scope.values()) {
            NodePruningResult result = NodePruner.prune(model, NodePruningSettings.of(0.0, scope));
            assertSame(model, result.model());
            assertArrayEquals(Files.readAllBytes(MODEL), result.model().toByteArray());
        }
    }

    @Test
    void halfTheHeadsAndUnitsGoFromEveryLayer() throws Exception {
        ModelProto model = OnnxModelReader.read(MODEL);
        NodePruningResult result = NodePruner.prune(model, NodePruningSettings.of(0.5, Scope.LAYERWISE));
        ModelProto pruned = result.model();
        for (int layer = 0; layer < 2; layer++) {
            String prefix = "layers." + layer + ".attention.";
            for (String projection : QKV) {
                assertEquals(List.of(16L), dims(pruned, prefix + projection + ".bias"), prefix + projection);
                assertEquals(List.of(32L, 16L), dims(pruned, weightOf(pruned, prefix + projection)));
            }
            // The output projection loses the rows of the removed heads and keeps its 32 outputs.
            assertEquals(List.of(16L, 32L), dims(pruned, weightOf(pruned, "layers." + layer + ".attention_output")));
            assertEquals(List.of(64L), dims(pruned, "layers." + layer + ".intermediate.bias"));
            assertEquals(List.of(64L, 32L), dims(pruned, weightOf(pruned, "layers." + layer + ".output")));
        }
        // Q, K and V keep the same two heads of each layer: the same columns (multiples of the head size).
        for (int layer = 0; layer < 2; layer++) {
            int[] query = result.kept(weightOf(model, "layers." + layer + ".attention.query"), 1);
            assertEquals(16, query.length);
            for (String projection : QKV) {
                assertArrayEquals(query, result.kept(weightOf(model, "layers." + layer + ".attention." + projection),
                        1));
            }
            for (int i = 0; i < query.length; i += 8) {
                assertEquals(0, query[i] % 8);
                for (int j = 1; j < 8; j++) {
                    assertEquals(query[i] + j, query[i + j]);
                }
            }
        }
        assertEquals(List.of(2L, 2L, 2L, 2L, 2L, 2L), headCounts(pruned));
        assertEquals(List.of(16L, 16L), mergedWidths(pruned));
        // The residual stream (LayerNorm'd) stays whole: exactly the four projections writing into it and the
        // classifier are reported, none of Q, K, V or the first feed-forward layer.
        assertEquals(List.of("/layers.0/attention_output/MatMul", "/layers.0/output/MatMul",
                "/layers.1/attention_output/MatMul", "/layers.1/output/MatMul", "/classifier/Gemm"),
                result.skipped().stream().map(SkippedLayer::layer).toList());
        assertTrue(result.skipped().get(0).reason().startsWith("combined by Add '/layers.0/Add' with"),
                result.skipped().get(0).reason());
    }

    @Test
    void everyFractionRunsWithConsistentShapes() throws Exception {
        ModelProto model = OnnxModelReader.read(MODEL);
        ValidationData data = ValidationDataReader.read(DATA, ModelSignature.of(model), "labels");
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator()) {
            Map<String, Tensor> original = runtime.runOutputs(model.toByteArray(), data,
                    List.of("last_hidden_state", "logits"), 64);
            double accuracyBefore = accuracy(original.get("logits"), data.labels());
            for (Scope scope : Scope.values()) {
                for (double fraction : new double[] {0.25, 0.5, 0.75}) {
                    NodePruningResult result = NodePruner.prune(model, NodePruningSettings.of(fraction, scope));
                    String what = scope.id() + " " + fraction;
                    assertTrue(result.paramsAfter() < result.paramsBefore(), what);
                    Map<String, Tensor> after = runtime.runOutputs(result.model().toByteArray(), data,
                            List.of("last_hidden_state", "logits"), 64);
                    assertArrayEquals(original.get("last_hidden_state").shape(),
                            after.get("last_hidden_state").shape(), what);
                    assertArrayEquals(original.get("logits").shape(), after.get("logits").shape(), what);
                    double accuracy = accuracy(after.get("logits"), data.labels());
                    assertTrue(accuracy > 0.1 && accuracy <= 1.0, what + ": " + accuracy + " of " + accuracyBefore);
                }
            }
        }
    }

    @Test
    void fluctuationKeepsTheHeadWhoseOutputVariesMost() throws Exception {
        ModelProto model = OnnxModelReader.read(MODEL);
        ModelGraph graph = ModelGraph.of(model);
        String context = null;
        for (NodeProto node : graph.nodes()) {
            if (node.getInputList().contains(weightOf(model, "layers.0.attention_output"))) {
                context = node.getInput(0);
            }
        }
        String layer0Context = context;
        // Head 2 of layer 0 (features 16..23 of the context the output projection reads) varies most; every other
        // feature of every layer varies alike, so the weights' row norms decide elsewhere.
        NodePruner.FeatureVariance variance = value -> {
            double[] v = new double[value.contains("intermediate") || value.contains("Erf") || value.contains("Mul")
                    ? 128 : 32];
            java.util.Arrays.fill(v, 1.0);
            if (value.equals(layer0Context)) {
                java.util.Arrays.fill(v, 16, 24, 1e6);
            }
            return v;
        };
        NodePruningSettings settings = new NodePruningSettings(0.75, Scope.LAYERWISE, List.of(), List.of(),
                UnitImportance.FLUCTUATION);
        NodePruningResult result = NodePruner.prune(model, settings, variance);
        int[] kept = result.kept(weightOf(model, "layers.0.attention.query"), 1);
        assertArrayEquals(java.util.stream.IntStream.range(16, 24).toArray(), kept);
        // By weight norms alone another head stays.
        NodePruningResult byNorms = NodePruner.prune(model, NodePruningSettings.of(0.75, Scope.LAYERWISE));
        assertEquals(8, byNorms.kept(weightOf(model, "layers.0.attention.query"), 1).length);
        assertTrue(byNorms.kept(weightOf(model, "layers.0.attention.query"), 1)[0] != 16);
    }

    @Test
    void aSharedHeadCountConstantBlocksOnlyThatAttentionBlock() throws Exception {
        ModelProto model = OnnxModelReader.read(MODEL);
        // Let the query's head-count constant of layer 0 also feed the key's shape: one edit would change both.
        ModelGraph graph = ModelGraph.of(model);
        List<String> headConstants = headCountConstants(graph);
        ModelProto.Builder builder = model.toBuilder();
        for (int n = 0; n < builder.getGraph().getNodeCount(); n++) {
            NodeProto node = builder.getGraph().getNode(n);
            int index = node.getInputList().indexOf(headConstants.get(1));
            if (node.getOpType().equals("Concat") && index >= 0) {
                builder.getGraphBuilder().getNodeBuilder(n).setInput(index, headConstants.get(0));
            }
        }
        NodePruningResult result = NodePruner.prune(builder.build(), NodePruningSettings.of(0.5, Scope.LAYERWISE));
        assertEquals(List.of(32L), dims(result.model(), "layers.0.attention.query.bias"));
        assertEquals(List.of(16L), dims(result.model(), "layers.1.attention.query.bias"));
        assertTrue(result.skipped().stream().anyMatch(s -> s.reason().contains("'" + headConstants.get(0)
                + "' is read by other nodes too")), result.skipped().toString());
    }

    @Test
    void aSoftmaxAcrossHeadsOrAMaskPerHeadKeepsThatBlockWhole() throws Exception {
        ModelProto model = OnnxModelReader.read(MODEL);
        ModelProto.Builder softmaxOverHeads = model.toBuilder();
        ModelProto.Builder maskPerHead = model.toBuilder();
        boolean first = true;
        for (int n = 0; n < model.getGraph().getNodeCount(); n++) {
            NodeProto node = model.getGraph().getNode(n);
            if (node.getOpType().equals("Softmax") && first) {
                first = false;
                softmaxOverHeads.getGraphBuilder().getNodeBuilder(n).getAttributeBuilder(0).setI(1);
                // The scores plus themselves transposed over (heads, tokens): no longer the same for every head.
                String scores = node.getInput(0);
                NodeProto add = model.getGraph().getNodeList().stream()
                        .filter(a -> a.getOutputList().contains(scores)).findFirst().orElseThrow();
                int index = model.getGraph().getNodeList().indexOf(add);
                String mask = add.getInput(1);
                maskPerHead.getGraphBuilder().getNodeBuilder(index).setInput(1, "mask_per_head");
                maskPerHead.getGraphBuilder().addNode(index, NodeProto.newBuilder().setOpType("Expand")
                        .addInput(mask).addInput(shapeOf(model)).addOutput("mask_per_head").build());
            }
        }
        NodePruningSettings half = NodePruningSettings.of(0.5, Scope.LAYERWISE);
        NodePruningResult softmax = NodePruner.prune(softmaxOverHeads.build(), half);
        assertEquals(List.of(32L), dims(softmax.model(), "layers.0.attention.query.bias"));
        assertEquals(List.of(16L), dims(softmax.model(), "layers.1.attention.query.bias"));
        assertTrue(softmax.skipped().stream().anyMatch(s -> s.reason().contains("across its heads")),
                softmax.skipped().toString());
        NodePruningResult mask = NodePruner.prune(maskPerHead.build(), half);
        assertEquals(List.of(32L), dims(mask.model(), "layers.0.attention.query.bias"));
        assertEquals(List.of(16L), dims(mask.model(), "layers.1.attention.query.bias"));
        assertTrue(mask.skipped().stream().anyMatch(s -> s.reason().contains("not known to be the same for every"
                + " head")), mask.skipped().toString());
    }

    /** Any shape value of the graph (the Expand's second input only has to exist for the analysis). */
    private static String shapeOf(ModelProto model) {
        return model.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("Shape")).findFirst()
                .orElseThrow().getOutput(0);
    }

    /** The head count (entry 2) of every split shape, in graph order. */
    private static List<Long> headCounts(ModelProto model) {
        List<Long> counts = new ArrayList<>();
        ModelGraph graph = ModelGraph.of(model);
        for (String name : headCountConstants(graph)) {
            counts.add(TensorOps.int64Values(graph.constant(name).orElseThrow().tensor())[0]);
        }
        return counts;
    }

    /** The constant pieces [heads] of the run-time shapes that split projections into heads. */
    private static List<String> headCountConstants(ModelGraph graph) {
        List<String> names = new ArrayList<>();
        for (NodeProto node : graph.nodes()) {
            if (node.getOpType().equals("Concat") && node.getInputCount() == 4) {
                names.add(node.getInput(2));
            }
        }
        return names;
    }

    /** The last entry of every merge shape ([batch, tokens, heads * dim]). */
    private static List<Long> mergedWidths(ModelProto model) {
        List<Long> widths = new ArrayList<>();
        ModelGraph graph = ModelGraph.of(model);
        for (NodeProto node : graph.nodes()) {
            if (node.getOpType().equals("Concat") && node.getInputCount() == 3
                    && node.getInput(2).contains("attention")) {
                widths.add(TensorOps.int64Values(graph.constant(node.getInput(2)).orElseThrow().tensor())[0]);
            }
        }
        return widths;
    }

    /** The weight of the MatMul whose following Add has the bias {@code module + ".bias"}. */
    private static String weightOf(ModelProto model, String module) {
        ModelGraph graph = ModelGraph.of(model);
        for (NodeProto node : graph.nodes()) {
            if (node.getOpType().equals("Add") && node.getInputList().contains(module + ".bias")) {
                String product = node.getInput(0).equals(module + ".bias") ? node.getInput(1) : node.getInput(0);
                NodeProto matMul = graph.nodes().get(graph.producer(product).orElseThrow());
                tensor(model, matMul.getInput(1));
                return matMul.getInput(1);
            }
        }
        throw new AssertionError("no layer " + module);
    }

    private static double accuracy(Tensor logits, long[] labels) {
        float[] values = (float[]) logits.data();
        int classes = (int) logits.shape()[1];
        int correct = 0;
        for (int i = 0; i < labels.length; i++) {
            int best = 0;
            for (int c = 1; c < classes; c++) {
                best = values[i * classes + c] > values[i * classes + best] ? c : best;
            }
            correct += best == labels[i] ? 1 : 0;
        }
        return (double) correct / labels.length;
    }
}
