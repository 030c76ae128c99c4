package io.github.onnxprune.prune.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.onnx.ModelGraph;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class StagedActivationsTest {

    private static OnnxRuntimeEvaluator runtime;

    @BeforeAll
    static void load() {
        runtime = new OnnxRuntimeEvaluator(1);
    }

    @AfterAll
    static void close() {
        runtime.close();
    }

    /** X [n, 4] -> MatMul W1 -> Relu (h1) -> MatMul W2 -> Relu (h2) -> MatMul W3 -> Y. */
    private static ModelProto chain(float scale) {
        SplittableRandom random = new SplittableRandom(5);
        OnnxMl.GraphProto.Builder graph = OnnxMl.GraphProto.newBuilder().setName("chain")
                .addInput(NodeCompensationTest.value("X", 4));
        String input = "X";
        for (int layer = 1; layer <= 3; layer++) {
            float[] w = new float[16];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) random.nextGaussian() * (layer == 2 ? scale : 1);
            }
            graph.addInitializer(NodeCompensationTest.floats("W" + layer, new long[] {4, 4}, w));
            graph.addNode(OnnxMl.NodeProto.newBuilder().setOpType("MatMul").setName("fc" + layer).addInput(input)
                    .addInput("W" + layer).addOutput("m" + layer));
            String output = layer == 3 ? "Y" : "h" + layer;
            if (layer < 3) {
                graph.addNode(OnnxMl.NodeProto.newBuilder().setOpType("Relu").setName("relu" + layer)
                        .addInput("m" + layer).addOutput(output));
            } else {
                graph.getNodeBuilderList().get(graph.getNodeCount() - 1).setOutput(0, "Y");
            }
            input = output;
        }
        graph.addOutput(NodeCompensationTest.value("Y", 4));
        return ModelProto.newBuilder().setIrVersion(8)
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setVersion(13)).setGraph(graph).build();
    }

    private static ValidationData inputs() {
        SplittableRandom random = new SplittableRandom(9);
        float[] x = new float[40 * 4];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return new ValidationData(Map.of("X", Tensor.ofFloats(new long[] {40, 4}, x)), null, null, Path.of("x"));
    }

    @Test
    void eachStageRunsOnlyTheNodesAfterTheValuesAlreadyCollectedAndGivesTheSameValues() {
        ModelProto model = chain(1);
        ActivationCollector collector = new ActivationCollector(runtime, inputs(), 40, 16);
        StagedActivations staged = new StagedActivations(collector);

        Tensor h1 = staged.value(model, "h1");
        assertEquals(2, staged.lastRunNodes());
        Tensor h2 = staged.value(model, "h2");
        // Only fc2 and relu2: h1 is fed from the first run.
        assertEquals(2, staged.lastRunNodes());
        assertArrayEquals((float[]) collector.collect(model, List.of("h1")).get("h1").data(), (float[]) h1.data());
        assertArrayEquals((float[]) collector.collect(model, List.of("h2")).get("h2").data(), (float[]) h2.data());
        assertEquals(h2, staged.value(model, "h2"));
        assertEquals(0, staged.lastRunNodes());
    }

    @Test
    void aChangedWeightDropsTheValuesComputedFromItAndOnlyThose() {
        ModelProto model = chain(1);
        ActivationCollector collector = new ActivationCollector(runtime, inputs(), 40, 16);
        StagedActivations staged = new StagedActivations(collector);
        Tensor h1 = staged.value(model, "h1");
        Tensor before = collector.collect(model, List.of("h2")).get("h2");

        // As reconstruction does: layer 2's input collected, then its weight re-fitted.
        ModelProto changed = ModelGraph.of(model).withConstants(Map.of("W2",
                chain(-2).getGraph().getInitializer(1)));
        staged.changed("W2");
        Tensor after = staged.value(changed, "h2");

        // h2 is computed from h1, which W2 does not feed.
        assertEquals(2, staged.lastRunNodes());
        assertFalse(Arrays.equals((float[]) before.data(), (float[]) after.data()));
        assertArrayEquals((float[]) collector.collect(changed, List.of("h2")).get("h2").data(),
                (float[]) after.data());

        // W1 feeds both kept values: both go, and h2 is computed again from the model's input.
        ModelProto again = ModelGraph.of(changed).withConstants(Map.of("W1",
                chain(-2).getGraph().getInitializer(1).toBuilder().setName("W1").build()));
        staged.changed("W1");
        Tensor recomputed = staged.value(again, "h2");
        assertEquals(4, staged.lastRunNodes());
        assertArrayEquals((float[]) collector.collect(again, List.of("h2")).get("h2").data(),
                (float[]) recomputed.data());
        assertFalse(Arrays.equals((float[]) h1.data(), (float[]) staged.value(again, "h1").data()));
    }
}
