package io.github.onnxprune.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtEnvironment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs one after another feed their inputs through the same direct buffers instead of new ones each. */
class InputBuffersTest {

    private final OrtSessions sessions = new OrtSessions(OrtEnvironment.getEnvironment(), 1);

    @Test
    void aRunThatEndedLendsItsBuffersToTheNextAndRunsAtOnceNeverShareOne() {
        ByteBuffer ids;
        ByteBuffer mask;
        try (OrtSessions.InputBuffers first = sessions.inputBuffers()) {
            ids = first.forInput("input_ids", 1000);
            mask = first.forInput("attention_mask", 1000);
            assertNotSame(ids, mask);
            // The same input in the next batch of the same run: the same buffer, cleared.
            ids.position(10);
            assertSame(ids, first.forInput("input_ids", 800));
            assertEquals(0, ids.position());
        }
        // Both buffers are equal in content and size (a buffer's equals compares contents): each is lent once.
        try (OrtSessions.InputBuffers second = sessions.inputBuffers();
                OrtSessions.InputBuffers third = sessions.inputBuffers()) {
            ByteBuffer a = second.forInput("input_ids", 1000);
            ByteBuffer b = third.forInput("input_ids", 1000);
            assertNotSame(a, b);
            assertTrue(a == ids || a == mask, "a spare buffer is lent");
            assertTrue(b == ids || b == mask, "the other spare buffer is lent");
            ByteBuffer c = third.forInput("attention_mask", 1000);
            assertTrue(c != a && c != b, "none is left to lend: a new one");
        }
    }

    @Test
    void aRunGivesItsInputBuffersBackAndReleasingThemLeavesNone() {
        try (OnnxRuntimeEvaluator evaluator = new OnnxRuntimeEvaluator(1)) {
            float[] x = new float[8 * 2];
            ValidationData data = new ValidationData(java.util.Map.of("X", Tensor.ofFloats(new long[] {8, 2}, x)),
                    null, null, java.nio.file.Path.of("in-memory"));
            evaluator.runOutputs(io.github.onnxprune.TestModels.gemm(-1).toByteArray(), data, List.of("Y"), 4);
            // The one input's buffer, kept for the next run.
            assertEquals(1, evaluator.spareBufferCount());
            evaluator.releaseSpareBuffers();
            assertEquals(0, evaluator.spareBufferCount());
        }
    }

    @Test
    void droppingTheSpareBuffersFreesTheirMemoryAtOnceNotAtTheNextCollection() {
        OrtSessions own = new OrtSessions(OrtEnvironment.getEnvironment(), 1);
        int bytes = 32 << 20;
        try (OrtSessions.InputBuffers run = own.inputBuffers()) {
            run.forInput("fed", bytes);
        }
        assertEquals(1, own.spareBufferCount());
        long before = directMemoryUsed();
        own.dropSpareBuffers();
        long freed = before - directMemoryUsed();
        assertEquals(0, own.spareBufferCount());
        // Left to the collector, nothing would be freed here: no collection runs in between.
        assertTrue(freed >= bytes, "freed " + freed + " bytes of direct memory, expected " + bytes);
    }

    private static long directMemoryUsed() {
        return java.lang.management.ManagementFactory.getPlatformMXBeans(java.lang.management.BufferPoolMXBean.class)
                .stream().filter(pool -> pool.getName().equals("direct")).findFirst().orElseThrow().getMemoryUsed();
    }

    @Test
    void batchesThatGrowOneByOneTakeBuffersThatDoubleAndSparesStayFew() {
        List<ByteBuffer> seen = new ArrayList<>();
        try (OrtSessions.InputBuffers run = sessions.inputBuffers()) {
            for (int bytes = 1000; bytes <= 1100; bytes += 10) {
                ByteBuffer buffer = run.forInput("fed", bytes);
                if (seen.stream().noneMatch(b -> b == buffer)) {
                    seen.add(buffer);
                }
            }
        }
        // 1000 bytes, then 2000 (twice the first) for every length up to 1100.
        assertEquals(2, seen.size());
        assertEquals(2000, seen.get(1).capacity());
        List<OrtSessions.InputBuffers> open = new ArrayList<>();
        for (int i = 0; i < OrtSessions.SPARE_BUFFERS + 5; i++) {
            OrtSessions.InputBuffers run = sessions.inputBuffers();
            run.forInput("x", 100 + i);
            open.add(run);
        }
        open.forEach(OrtSessions.InputBuffers::close);
        assertEquals(OrtSessions.SPARE_BUFFERS, sessions.spareBufferCount());
    }
}
