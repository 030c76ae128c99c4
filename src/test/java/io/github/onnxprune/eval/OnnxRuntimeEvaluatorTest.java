package io.github.onnxprune.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl;
import io.github.onnxprune.TestModels;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

class OnnxRuntimeEvaluatorTest {

    private static final int SAMPLES = 10;

    @AutoClose
    private static final OnnxRuntimeEvaluator evaluator = new OnnxRuntimeEvaluator(1);

    /** Ten samples {@code [i / 2, 1 - i]}: small dyadic numbers, so every product and sum is exact. */
    private static ValidationData samples() {
        float[] x = new float[SAMPLES * 2];
        for (int i = 0; i < SAMPLES; i++) {
            x[2 * i] = i * 0.5f;
            x[2 * i + 1] = 1 - i;
        }
        return new ValidationData(Map.of("X", Tensor.ofFloats(new long[] {SAMPLES, 2}, x)), null, null,
                Path.of("in-memory"));
    }

    private static float[][] expectedY() {
        float[][] rows = new float[SAMPLES][];
        for (int i = 0; i < SAMPLES; i++) {
            rows[i] = TestModels.expectedY(new float[] {i * 0.5f, 1 - i});
        }
        return rows;
    }

    @Test
    void runOutputsCollectsSeveralOutputsOverBatches() {
        byte[] model = TestModels.gemm(-1).toByteArray();

        Map<String, Tensor> outputs = evaluator.runOutputs(model, samples(), java.util.List.of("R", "Y"), 4);

        assertEquals(java.util.List.of("R", "Y"), java.util.List.copyOf(outputs.keySet()));
        float[][] expected = expectedY();
        float[] y = (float[]) outputs.get("Y").data();
        float[] r = (float[]) outputs.get("R").data();
        assertArrayEquals(new long[] {SAMPLES, 3}, outputs.get("Y").shape());
        for (int i = 0; i < SAMPLES; i++) {
            for (int o = 0; o < 3; o++) {
                assertEquals(expected[i][o], y[i * 3 + o]);
                assertEquals(Math.max(0f, expected[i][o]), r[i * 3 + o]);
            }
        }
        assertThrows(EvaluationSetupException.class,
                () -> evaluator.runOutputs(model, samples(), java.util.List.of("missing"), 4));
    }

    @Test
    void runsTheFirstOutputExactly() {
        byte[] model = TestModels.gemm(-1).toByteArray();

        ModelOutputs outputs = evaluator.run(model, samples(), ScoredOutput.first(), 4);

        assertEquals("Y", outputs.outputName());
        assertEquals(SAMPLES, outputs.sampleCount());
        assertEquals(3, outputs.width());
        // Sample 1 is [0.5, 0]: Y = [0.5 + 0.5, 0.25 - 0.5, 0 + 1].
        assertArrayEquals(new float[] {1f, -0.25f, 1f}, outputs.rows()[1]);
        assertArrayEquals(expectedY(), outputs.rows());
    }

    @Test
    void batchSizeDoesNotChangeResults() {
        byte[] model = TestModels.gemm(-1).toByteArray();

        ModelOutputs single = evaluator.run(model, samples(), ScoredOutput.named("Y"), 1);
        ModelOutputs sevens = evaluator.run(model, samples(), ScoredOutput.named("Y"), 7);
        ModelOutputs whole = evaluator.run(model, samples(), ScoredOutput.named("Y"), 64);

        assertEquals(single, sevens);
        assertEquals(single, whole);
    }

    @Test
    void collectsANamedOutput() {
        byte[] model = TestModels.gemm(-1).toByteArray();

        ModelOutputs relu = evaluator.run(model, samples(), ScoredOutput.named("R"), 3);

        float[][] expected = expectedY();
        for (float[] row : expected) {
            for (int j = 0; j < row.length; j++) {
                row[j] = Math.max(0f, row[j]);
            }
        }
        assertEquals("R", relu.outputName());
        assertArrayEquals(expected, relu.rows());
    }

    @Test
    void runsAFixedBatchOfOneSampleBySample() {
        byte[] fixed = TestModels.gemm(1).toByteArray();

        ModelOutputs outputs = evaluator.run(fixed, samples(), ScoredOutput.first(), 7);

        assertArrayEquals(expectedY(), outputs.rows());
    }

    @Test
    void unknownOutputNameListsTheOutputs() {
        byte[] model = TestModels.gemm(-1).toByteArray();

        EvaluationSetupException error = assertThrows(EvaluationSetupException.class,
                () -> evaluator.run(model, samples(), ScoredOutput.named("logits"), 8));

        assertEquals("The model has no output named 'logits'. Its outputs are: 'Y', 'R'. Set <outputName> to one "
                + "of them.", error.getMessage());
    }

    @Test
    void invalidModelBecomesAnEvaluationException() {
        OnnxMl.ModelProto valid = TestModels.gemm(-1);
        // A weight matrix whose inner dimension no longer matches the input: what a broken pruning leaves.
        OnnxMl.TensorProto narrowed = valid.getGraph().getInitializer(0).toBuilder()
                .clearDims().addDims(3).addDims(1).clearFloatData().addFloatData(1).addFloatData(2).addFloatData(3)
                .build();
        byte[] broken = valid.toBuilder().setGraph(valid.getGraph().toBuilder().setInitializer(0, narrowed))
                .build().toByteArray();

        EvaluationException error = assertThrows(EvaluationException.class,
                () -> evaluator.run(broken, samples(), ScoredOutput.first(), 4));

        assertTrue(error.getMessage().startsWith("ONNX Runtime "), error.getMessage());
        assertTrue(error.getMessage().contains("If this is a pruned model"), error.getMessage());
    }

    @Test
    void garbageBytesBecomeAnEvaluationException() {
        EvaluationException error = assertThrows(EvaluationException.class,
                () -> evaluator.run(new byte[] {1, 2, 3}, samples(), ScoredOutput.first(), 4));

        assertTrue(error.getMessage().startsWith("ONNX Runtime could not load the model (3 bytes): "),
                error.getMessage());
    }

    @Test
    void aModelInADirectBufferOrAMappedFileRunsExactlyAsItsBytesDo(@org.junit.jupiter.api.io.TempDir Path folder)
            throws java.io.IOException {
        byte[] bytes = TestModels.gemm(-1).toByteArray();
        Path file = java.nio.file.Files.write(folder.resolve("gemm.onnx"), bytes);
        java.nio.ByteBuffer mapped = io.github.onnxprune.onnx.ModelBytes.map(file);
        java.nio.ByteBuffer serialized = io.github.onnxprune.onnx.ModelBytes.serialize(TestModels.gemm(-1));
        // A position left at the end (as after a put or a read) must not hide the model.
        serialized.position(serialized.limit());

        ModelOutputs fromBytes = evaluator.run(bytes, samples(), ScoredOutput.named("Y"), 4);
        ModelOutputs fromFile = evaluator.run(mapped, samples(), ScoredOutput.named("Y"), 4);
        ModelOutputs fromSerialized = evaluator.run(serialized, samples(), ScoredOutput.named("Y"), 4);

        assertArrayEquals(expectedY(), fromBytes.rows());
        assertEquals(fromBytes, fromFile);
        assertEquals(fromBytes, fromSerialized);
        assertEquals(7, evaluator.measureLatency(mapped, samples(), 1, 7).runs());
        assertEquals(3, evaluator.measureBatchLatency(mapped, samples(), 4, 0, 3).orElseThrow().passes());
        assertEquals(serialized.limit(), serialized.position(), "the caller's buffer is left as it was");
    }

    @Test
    void aModelOnTheHeapInABufferIsRefusedNotCopied() {
        java.nio.ByteBuffer heap = java.nio.ByteBuffer.wrap(TestModels.gemm(-1).toByteArray());

        assertThrows(IllegalArgumentException.class,
                () -> evaluator.run(heap, samples(), ScoredOutput.first(), 4));
    }

    @Test
    void measuresLatency() {
        byte[] model = TestModels.gemm(-1).toByteArray();

        LatencyStats stats = evaluator.measureLatency(model, samples(), 3, 25);

        assertEquals(25, stats.runs());
        assertTrue(stats.medianMicros() > 0, stats::toString);
        assertTrue(stats.p95Micros() >= stats.medianMicros(), stats::toString);
    }

    @Test
    void measuresBatchedLatencyPerSampleWhenTheBatchDimensionIsDynamic() {
        byte[] model = TestModels.gemm(-1).toByteArray();

        BatchLatencyStats stats = evaluator.measureBatchLatency(model, samples(), 4, 1, 3).orElseThrow();

        assertEquals(4, stats.batchSize());
        assertEquals(SAMPLES, stats.samples());
        assertEquals(3, stats.passes());
        assertTrue(stats.medianMicrosPerSample() > 0, stats::toString);
    }

    @Test
    void batchedLatencyOverItsTimeBudgetStopsAtThreePasses() {
        byte[] model = TestModels.gemm(-1).toByteArray();

        BatchLatencyStats spent = evaluator.measureBatchLatency(model, samples(), 4, 2, 9, 0).orElseThrow();
        BatchLatencyStats ample = evaluator.measureBatchLatency(model, samples(), 4, 2, 9, Long.MAX_VALUE)
                .orElseThrow();

        assertEquals(3, spent.passes());
        assertEquals(9, ample.passes());
    }

    @Test
    void batchedLatencyUsesAtMostTheAvailableSamples() {
        byte[] model = TestModels.gemm(-1).toByteArray();

        BatchLatencyStats stats = evaluator.measureBatchLatency(model, samples(), 64, 0, 1).orElseThrow();

        assertEquals(SAMPLES, stats.batchSize());
        assertEquals(SAMPLES, stats.samples());
    }

    @Test
    void noBatchedLatencyForAFixedBatchDimensionOrBatchesOfOne() {
        assertTrue(evaluator.measureBatchLatency(TestModels.gemm(1).toByteArray(), samples(), 4, 1, 3).isEmpty());
        assertTrue(evaluator.measureBatchLatency(TestModels.gemm(2).toByteArray(), samples(), 4, 1, 3).isEmpty());
        assertTrue(evaluator.measureBatchLatency(TestModels.gemm(-1).toByteArray(), samples(), 1, 1, 3).isEmpty());
    }

    @Test
    void closedEvaluatorRefusesWork() {
        OnnxRuntimeEvaluator closed = new OnnxRuntimeEvaluator();
        closed.close();

        assertThrows(IllegalStateException.class,
                () -> closed.run(TestModels.gemm(-1).toByteArray(), samples(), ScoredOutput.first(), 1));
    }

    @Test
    void rejectsInvalidArguments() {
        byte[] model = TestModels.gemm(-1).toByteArray();
        assertThrows(IllegalArgumentException.class, () -> evaluator.run(model, samples(), ScoredOutput.first(), 0));
        assertThrows(IllegalArgumentException.class, () -> evaluator.measureLatency(model, samples(), 0, 0));
        assertThrows(IllegalArgumentException.class, () -> evaluator.measureBatchLatency(model, samples(), 0, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> evaluator.measureBatchLatency(model, samples(), 4, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new OnnxRuntimeEvaluator(-1));
    }

    @Test
    void unavailableMessageNamesThePlatformAndTheCause() {
        String message = OnnxRuntimeEvaluator.unavailableMessage(
                new ExceptionInInitializerError(new UnsatisfiedLinkError("no onnxruntime in java.library.path")));

        assertTrue(message.startsWith("ONNX Runtime could not load its native library on "
                + System.getProperty("os.name") + " " + System.getProperty("os.arch")
                + " (UnsatisfiedLinkError: no onnxruntime in java.library.path)."), message);
        assertTrue(message.contains("Linux x64 and aarch64"), message);
    }
}
