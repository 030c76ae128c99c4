package io.github.onnxprune.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class MeasuredAllocationTest {

    private static List<Long> zeros(MeasuredAllocation.Result result) {
        return result.shares().stream().map(MeasuredAllocation.Share::zeros).toList();
    }

    @Test
    void equalLayersKeepTheUniformCount() {
        MeasuredAllocation.Result result = MeasuredAllocation.allocate(List.of(
                new MeasuredAllocation.Layer("a", 1000, 0.01, 0.02),
                new MeasuredAllocation.Layer("b", 1000, 0.01, 0.02)), 0.5, 0.6);
        assertEquals(List.of(500L, 500L), zeros(result));
        assertTrue(result.informative());
        assertEquals(0.02, result.uniformLoss(), 1e-12);
        assertEquals(0.02, result.predictedLoss(), 1e-9);
    }

    @Test
    void theCostlierLayerGivesZerosToTheCheaperOneAndTheTotalStaysExact() {
        // Same slope ln 2 / 0.1: the optimum moves ln(4) / (2 a) = 0.1 of each layer's weights across.
        MeasuredAllocation.Result result = MeasuredAllocation.allocate(List.of(
                new MeasuredAllocation.Layer("costly", 1000, 0.04, 0.08),
                new MeasuredAllocation.Layer("cheap", 1000, 0.01, 0.02)), 0.5, 0.6);
        assertEquals(List.of(400L, 600L), zeros(result));
        assertEquals(0.05, result.uniformLoss(), 1e-12);
        assertEquals(0.04, result.predictedLoss(), 1e-6);
        assertEquals(Math.log(2) / 0.1, result.shares().get(0).slope(), 1e-9);
    }

    @Test
    void aFragileLayerAndACheapOneStopAtTheBoundsAndTheFreeLayerTakesTheRest() {
        MeasuredAllocation.Result result = MeasuredAllocation.allocate(List.of(
                new MeasuredAllocation.Layer("fragile", 101, 10, 1000),
                new MeasuredAllocation.Layer("free", 303, 1e-9, 1e-9),
                new MeasuredAllocation.Layer("mid", 77, 0.001, 0.002)), 0.5, 0.6);
        // floor(0.5 n) per tensor: 50 + 151 + 38 = 239 zeros in all.
        assertEquals(239, zeros(result).stream().mapToLong(Long::longValue).sum());
        // Bounds [0.25, 0.75] of each tensor, rounded to whole weights: fragile and mid at their lowest
        // (round(25.25), round(19.25)); the free layer takes the remaining 239 - 44 zeros, below its 227 highest.
        assertEquals(List.of(25L, 195L, 19L), zeros(result));
        assertEquals(40.0, result.shares().get(0).slope(), 0);
        assertEquals(2.0, result.shares().get(1).slope(), 0);
        assertEquals(Math.log(2) / 0.1, result.shares().get(2).slope(), 1e-9);
    }

    @Test
    void overrideFractionsFloorToTheCountExactly() {
        for (long size : new long[] {1, 3, 320, 1536 * 384, 147456}) {
            for (long zeros = 0; zeros < Math.min(size, 50); zeros++) {
                MeasuredAllocation.Share share = new MeasuredAllocation.Share("t", size, zeros, 2);
                assertEquals(zeros, Sparsity.countToRemove(share.overrideFraction(), size));
            }
        }
    }

    @Test
    void aMeasurementWhereNothingMovedKeepsEveryLayerAtTheTarget() {
        MeasuredAllocation.Result result = MeasuredAllocation.allocate(List.of(
                new MeasuredAllocation.Layer("a", 10, 0, 0), new MeasuredAllocation.Layer("b", 31, -0.01, 0)),
                0.7, 0.8);
        assertFalse(result.informative());
        assertEquals(List.of(7L, 21L), zeros(result));
        assertThrows(IllegalArgumentException.class, () -> MeasuredAllocation.allocate(List.of(), 0.5, 0.5));
    }
}
