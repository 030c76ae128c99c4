package io.github.onnxprune.prune.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.Fixtures;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.eval.ValidationDataReader;
import io.github.onnxprune.eval.ModelSignature;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.onnx.OnnxModelReader;
import io.github.onnxprune.prune.MagnitudePruner;
import io.github.onnxprune.prune.PrunableTensor;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.WeightPruningSettings;
import io.github.onnxprune.prune.WeightSelector;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Calibration holds its values whole on the heap when it has room, and in parts written to scratch files when it
 * has not: the re-fitted model is the same, byte for byte, and no scratch file is left behind.
 */
class HeapPathsTest {

    @Test
    void wholeValuesAndValuesInPartsGiveTheSameModelByteForByte(@TempDir Path scratch) throws Exception {
        ModelProto dense = OnnxModelReader.read(Fixtures.ROOT.resolve("digits-bert/model.onnx"));
        ValidationData calibration = ValidationDataReader.read(
                Fixtures.ROOT.resolve("digits-bert/calibration.npz"), ModelSignature.of(dense), "labels");
        ModelGraph graph = ModelGraph.of(dense);
        List<PrunableTensor> tensors = WeightSelector.select(graph, TensorFilter.all()).tensors();
        List<String> names = tensors.stream().map(PrunableTensor::name).toList();
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            // 96 samples in batches of 16: six batches, so a value in parts is four of them.
            ActivationCollector collector = new ActivationCollector(runtime, calibration, 96, 16, null, scratch);
            List<String> wholeLines = new java.util.ArrayList<>();
            List<String> partLines = new java.util.ArrayList<>();

            WeightReconstruction.Result whole = WeightReconstruction.reconstruct(dense,
                    new AtomicReference<>(pruned(graph, tensors)), names, collector,
                    WeightReconstruction.Options.defaults(), wholeLines::add, Long.MAX_VALUE);
            WeightReconstruction.Result parts = WeightReconstruction.reconstruct(dense,
                    new AtomicReference<>(pruned(graph, tensors)), names, collector,
                    WeightReconstruction.Options.defaults(), partLines::add, 0);

            assertEquals(names.size(), whole.layers().size());
            assertFalse(pruned(graph, tensors).equals(whole.model()), "the layers were re-fitted");
            assertArrayEquals(whole.model().toByteArray(), parts.model().toByteArray());
            assertEquals(whole.layers(), parts.layers());
            assertEquals(wholeLines.size(), partLines.size());
            try (java.util.stream.Stream<Path> left = java.nio.file.Files.list(scratch)) {
                assertEquals(0, left.count());
            }
        }
    }

    @Test
    void theLargestValueIsEstimatedFromTheRealTokensWhenSentencesRunCutElseFromEverySamplesPositions() {
        ModelProto dense = OnnxModelReader.read(Fixtures.ROOT.resolve("digits-bert/model.onnx"));
        ValidationData calibration = ValidationDataReader.read(
                Fixtures.ROOT.resolve("digits-bert/calibration.npz"), ModelSignature.of(dense), "labels");
        Tensor mask = calibration.inputs().get("attention_mask");
        long tokens = mask.shape()[1];
        long real = Arrays.stream((long[]) mask.rows(0, 96).data()).filter(m -> m != 0).count();
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            // 96 sentences of 25 to 41 real tokens padded to 48: the values keep only the real tokens' rows.
            ActivationCollector collector = new ActivationCollector(runtime, calibration, 96, 16);
            assertEquals(real * 128 * Float.BYTES, collector.valueBytesAtMost(dense, 128));
            assertTrue(real < 96L * tokens * 3 / 4, real + " real tokens");
            // Without a mask to cut the sentences by, every position is kept.
            ActivationCollector unmasked = new ActivationCollector(runtime, calibration, 96, 16, "no_such_input");
            assertEquals(96L * tokens * 128 * Float.BYTES, unmasked.valueBytesAtMost(dense, 128));
        }
    }

    private static ModelProto pruned(ModelGraph graph, List<PrunableTensor> tensors) {
        return MagnitudePruner.prune(graph, tensors, new WeightPruningSettings(0.5, Scope.LAYERWISE, List.of()))
                .model();
    }
}
