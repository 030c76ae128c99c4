package io.github.onnxprune.prune.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StagedActivationsTest {

    @AutoClose
    private static final OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1);

    /** Where the values in parts go; JUnit deletes whatever a failed test leaves there. */
    @TempDir
    Path scratch;

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
        ActivationCollector collector = new ActivationCollector(runtime, inputs(), 40, 16, null, scratch);
        StagedActivations staged = new StagedActivations(collector);

        StagedValue h1 = staged.value(model, "h1");
        assertEquals(2, staged.lastRunNodes());
        // Read before h2 is asked for: once fc2, h1's only reader, has run, h1 is let go.
        assertArrayEquals((float[]) collector.collect(model, List.of("h1")).get("h1").data(), floats(h1));
        StagedValue h2 = staged.value(model, "h2");
        // Only fc2 and relu2: h1 is fed from the first run.
        assertEquals(2, staged.lastRunNodes());
        assertArrayEquals((float[]) collector.collect(model, List.of("h2")).get("h2").data(), floats(h2));
        assertEquals(h2, staged.value(model, "h2"));
        assertEquals(0, staged.lastRunNodes());
    }

    @Test
    void inPartsEachValueIsWrittenToScratchFilesReadBackAsComputedAndDeletedOnceItsReadersHaveRun()
            throws java.io.IOException {
        ModelProto model = chain(1);
        ActivationCollector collector = new ActivationCollector(runtime, inputs(), 40, 16, null, scratch);
        float[] expected = (float[]) collector.collect(model, List.of("h2")).get("h2").data();
        try (StagedActivations staged = new StagedActivations(collector)) {
            staged.value(model, "h1");
            // 40 samples in batches of 16: three parts, one file each, none on the heap.
            assertEquals(3, staged.scratchFiles());
            assertEquals(3, fileCount(scratch));

            StagedValue h2 = staged.value(model, "h2");
            assertArrayEquals(new long[] {40, 4}, h2.shape());
            StagedValue.Elements elements = h2.elements();
            float[] read = new float[expected.length];
            for (int sample = 0; sample < 40; sample++) {
                elements.release(sample * 4L);
                elements.get(sample * 4L, read, sample * 4, 4);
            }
            assertArrayEquals(expected, read);
            // Parts wholly before a released index are let go: reading one again is an error, not a silent re-read.
            assertThrows(IllegalStateException.class, () -> elements.get(0));
            // h1's only reader (fc2) has run, so its files are gone; h2's stay, and asked again it runs nothing.
            assertEquals(3, staged.scratchFiles());
            assertEquals(h2, staged.value(model, "h2"));
            assertEquals(0, staged.lastRunNodes());
            assertArrayEquals(expected, floats(h2));
        }
        assertEquals(0, fileCount(scratch));
    }

    private static long fileCount(Path folder) throws java.io.IOException {
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(folder)) {
            return files.count();
        }
    }

    @Test
    void withRoomForWholeValuesTheyAreHeldOnTheHeapInAPartPerCoreWithTheSameValues() {
        ModelProto model = chain(1);
        ActivationCollector collector = new ActivationCollector(runtime, inputs(), 40, 16, null, scratch);
        StagedActivations inParts = new StagedActivations(collector);
        StagedActivations whole = new StagedActivations(collector, true);

        // 40 samples in batches of 16: three batches, so three parts on a small heap, and with room one per core
        // (computed side by side).
        int perCore = Math.min(3, StagedActivations.CONCURRENT_PARTS);
        assertEquals(3, inParts.value(model, "h1").parts().size());
        StagedValue h1 = whole.value(model, "h1");
        assertEquals(perCore, h1.parts().size());
        StagedValue h2 = whole.value(model, "h2");
        assertEquals(perCore, h2.parts().size());
        assertArrayEquals(floats(inParts.value(model, "h2")), floats(h2));
        assertEquals(0, whole.scratchFiles());
        assertEquals(h2, whole.value(model, "h2"));
        assertEquals(0, whole.lastRunNodes());
        inParts.close();
    }

    @Test
    void aChangedWeightDropsTheValuesComputedFromItAndOnlyThose() {
        ModelProto model = chain(1);
        ActivationCollector collector = new ActivationCollector(runtime, inputs(), 40, 16, null, scratch);
        StagedActivations staged = new StagedActivations(collector);
        float[] h1 = floats(staged.value(model, "h1"));
        Tensor before = collector.collect(model, List.of("h2")).get("h2");

        // As reconstruction does: layer 2's input collected, then its weight re-fitted.
        ModelProto changed = ModelGraph.of(model).withConstants(Map.of("W2",
                chain(-2).getGraph().getInitializer(1)));
        staged.changed("W2");
        StagedValue after = staged.value(changed, "h2");

        // h2 is computed from h1, which W2 does not feed.
        assertEquals(2, staged.lastRunNodes());
        assertFalse(Arrays.equals((float[]) before.data(), floats(after)));
        assertArrayEquals((float[]) collector.collect(changed, List.of("h2")).get("h2").data(),
                floats(after));

        // W1 feeds both kept values: both go, and h2 is computed again from the model's input.
        ModelProto again = ModelGraph.of(changed).withConstants(Map.of("W1",
                chain(-2).getGraph().getInitializer(1).toBuilder().setName("W1").build()));
        staged.changed("W1");
        StagedValue recomputed = staged.value(again, "h2");
        assertEquals(4, staged.lastRunNodes());
        assertArrayEquals((float[]) collector.collect(again, List.of("h2")).get("h2").data(),
                floats(recomputed));
        assertFalse(Arrays.equals(h1, floats(staged.value(again, "h1"))));
    }

    @Test
    void paddedSentencesRunCutToTheirBatchsLongestAndKeepOnlyTheirRealTokensWithTheSameValues() {
        ModelProto model = io.github.onnxprune.onnx.OnnxModelReader.read(
                io.github.onnxprune.Fixtures.ROOT.resolve("digits-bert/model.onnx"));
        ValidationData calibration = io.github.onnxprune.eval.ValidationDataReader.read(
                io.github.onnxprune.Fixtures.ROOT.resolve("digits-bert/calibration.npz"),
                io.github.onnxprune.eval.ModelSignature.of(model), "labels");
        ActivationCollector collector = new ActivationCollector(runtime, calibration, 96, 16, null, scratch);
        ModelGraph graph = ModelGraph.of(model);
        List<String> inputs = graph.nodes().stream().filter(n -> n.getOpType().equals("MatMul")
                && graph.constant(n.getInput(1)).isPresent())
                .map(n -> n.getInput(0)).distinct().toList();
        // 96 sentences of 25 to 41 real tokens padded to 48.
        TokenRows rows = collector.trimmedRows(model);
        assertEquals(48, rows.tokens());
        int real = (int) rows.rowStarts()[96];
        try (StagedActivations staged = new StagedActivations(collector)) {
            int compared = 0;
            for (String name : inputs) {
                StagedValue value = staged.value(model, name);
                Tensor padded = collector.collect(model, List.of(name)).get(name);
                assertEquals(rows, value.layout(), name);
                long[] shape = padded.shape();
                assertArrayEquals(shape, value.shape());
                // Each part holds only its sentences' real tokens: a third fewer rows than positions here.
                assertEquals(real, value.parts().stream().mapToLong(p -> p.shape()[0]).sum());
                int[] positions = collector.keptPositions(shape);
                int width = (int) shape[2];
                float[] expected = (float[]) padded.data();
                float[] read = new float[width];
                StagedValue.Elements elements = value.elements();
                for (int position : positions) {
                    elements.get((long) position * width, read, 0, width);
                    assertArrayEquals(Arrays.copyOfRange(expected, position * width, (position + 1) * width), read,
                            name + " at position " + position);
                }
                // Padding reads zero.
                assertEquals(0f, elements.get(((long) 47) * width));
                compared++;
            }
            assertEquals(8, compared);
        }
    }

    @Test
    void aValueThatIsNotATokenSequenceRunsOnWholeSentencesOnTheSameSessionsWithTheSameValues() throws Exception {
        ModelProto model = io.github.onnxprune.onnx.OnnxModelReader.read(
                io.github.onnxprune.Fixtures.ROOT.resolve("digits-bert/model.onnx"));
        ValidationData calibration = io.github.onnxprune.eval.ValidationDataReader.read(
                io.github.onnxprune.Fixtures.ROOT.resolve("digits-bert/calibration.npz"),
                io.github.onnxprune.eval.ModelSignature.of(model), "labels");
        // The classifier's input, the mean over the tokens: [sentences, 32], no token axis.
        String pooled = "/Div_output_0";
        for (boolean whole : new boolean[] {false, true}) {
            ActivationCollector collector = new ActivationCollector(runtime, calibration, 96, 16, null, scratch);
            assertEquals(48, collector.trimmedRows(model).tokens());
            Tensor expected = collector.collect(model, List.of(pooled)).get(pooled);
            int before = collector.sessions();
            try (StagedActivations staged = new StagedActivations(collector, whole)) {
                StagedValue value = staged.value(model, pooled);

                // One session per part (96 sentences in batches of 16: three parts of two batches), each running
                // the sentences whole once the first cut batch showed the value is not a token sequence; not three
                // more sessions to start again.
                int parts = collector.partStarts(model, ActivationCollector.PARTS).length - 1;
                assertEquals(3, parts);
                assertEquals(parts, collector.sessions() - before, "whole " + whole);
                assertEquals(null, value.layout());
                assertArrayEquals(new long[] {96, 32}, value.shape());
                assertArrayEquals((float[]) expected.data(), floats(value), "whole " + whole);
            }
        }
        // The models ONNX Runtime read (the model with the value as an output, the stage) are deleted after.
        try (java.util.stream.Stream<Path> left = java.nio.file.Files.list(scratch)) {
            assertEquals(List.of(), left.filter(f -> f.toString().endsWith(".onnx")).toList());
        }
    }

    /** All parts' elements in order. */
    private static float[] floats(StagedValue value) {
        int count = value.parts().stream().mapToInt(Tensor::elementCount).sum();
        float[] all = new float[count];
        int offset = 0;
        for (Tensor part : value.parts()) {
            float[] values = (float[]) part.data();
            System.arraycopy(values, 0, all, offset, values.length);
            offset += values.length;
        }
        return all;
    }
}
