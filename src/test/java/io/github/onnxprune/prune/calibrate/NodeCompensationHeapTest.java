package io.github.onnxprune.prune.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.prune.nodes.NodePruningResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Node compensation and fluctuation ranking collect their values stage by stage: whole on the heap when it has
 * room, in parts in scratch files when it has not, with the same results byte for byte, no scratch file left,
 * and each fit on at most the rows it is given.
 */
class NodeCompensationHeapTest {

    @Test
    void wholeValuesAndValuesInPartsCompensateToTheSameModelByteForByte(@TempDir Path scratch) throws Exception {
        ModelProto model = PrunedDigitsBert.model();
        ValidationData calibration = PrunedDigitsBert.calibration(model);
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            // 96 samples in batches of 16: six batches, so a value in parts is four of them.
            ActivationCollector collector = new ActivationCollector(runtime, calibration, 96, 16, null, scratch);
            NodePruningResult pruned = PrunedDigitsBert.halved(model, collector);
            List<String> wholeLines = new ArrayList<>();
            List<String> partLines = new ArrayList<>();

            NodeCompensation.Result whole = NodeCompensation.compensate(model, pruned, collector,
                    NodeCompensation.Options.defaults(), wholeLines::add, Long.MAX_VALUE);
            NodeCompensation.Result parts = NodeCompensation.compensate(model, pruned, collector,
                    NodeCompensation.Options.defaults(), partLines::add, 0);

            assertFalse(pruned.model().equals(whole.model()), "the layers were compensated");
            assertEquals(4, whole.layers().size(), "two output projections and two second feed-forward layers");
            assertArrayEquals(whole.model().toByteArray(), parts.model().toByteArray());
            assertEquals(whole.layers(), parts.layers());
            assertEquals(4, partLines.size());
            assertScratchEmpty(scratch);
        }
    }

    @Test
    void eachLayerIsFittedOnAtMostTheRowsItIsGiven() throws Exception {
        ModelProto model = PrunedDigitsBert.model();
        ValidationData calibration = PrunedDigitsBert.calibration(model);
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            ActivationCollector collector = new ActivationCollector(runtime, calibration, 96, 16);
            NodePruningResult pruned = PrunedDigitsBert.halved(model, collector);
            NodeCompensation.Result capped = NodeCompensation.compensate(model, pruned, collector,
                    NodeCompensation.Options.defaults().withMaxRows(100));
            NodeCompensation.Result all = NodeCompensation.compensate(model, pruned, collector,
                    NodeCompensation.Options.defaults());
            for (LayerReconstruction layer : capped.layers()) {
                // A fit that wins is made on all 100 rows; a layer kept as it was reports the 80 rows the first
                // fit learned from, every 5th of the 100 held back.
                assertEquals(layer.method().startsWith("least squares") ? 100 : 80, layer.rows(), layer.toString());
            }
            long tokens = calibration.inputs().get("attention_mask").shape()[1];
            for (LayerReconstruction layer : all.layers()) {
                assertTrue(layer.rows() > 100 && layer.rows() <= 96 * tokens, layer.toString());
            }
        }
    }

    @Test
    void fluctuationsVariancesAreTheSameFromValuesInParts(@TempDir Path scratch) throws Exception {
        ModelProto model = PrunedDigitsBert.model();
        ValidationData calibration = PrunedDigitsBert.calibration(model);
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            ActivationCollector collector = new ActivationCollector(runtime, calibration, 96, 16, null, scratch);
            String value = "/layers.0/Mul_1_output_0";
            double[] whole;
            double[] parts;
            try (FeatureVariances variances = new FeatureVariances(collector, model, Long.MAX_VALUE)) {
                whole = variances.of(value);
            }
            try (FeatureVariances variances = new FeatureVariances(collector, model, 0)) {
                parts = variances.of(value);
                try (Stream<Path> files = Files.list(scratch)) {
                    assertTrue(files.count() > 0, "the value waits in scratch files");
                }
            }
            assertEquals(128, whole.length);
            assertArrayEquals(whole, parts);
            assertScratchEmpty(scratch);
        }
    }

    private static void assertScratchEmpty(Path scratch) throws Exception {
        if (Files.exists(scratch)) {
            try (Stream<Path> left = Files.list(scratch)) {
                assertEquals(0, left.count());
            }
        }
    }
}
