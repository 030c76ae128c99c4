package io.github.onnxprune.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import io.github.onnxprune.Fixtures;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.onnx.FloatTensor;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.prune.MagnitudePruner;
import io.github.onnxprune.prune.PrunableTensor;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.WeightPruningSettings;
import io.github.onnxprune.prune.WeightSelector;
import io.github.onnxprune.prune.calibrate.ActivationCollector;
import io.github.onnxprune.search.TensorGroup;
import java.nio.FloatBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class OutputErrorsTest {

    @Test
    void theSignalIsTheLayersRelativeOutputErrorThatOnnxRuntimeMeasuresWithTheLayerPrunedAlone() {
        Fixtures.Loaded fixture = Fixtures.load("digits-mlp");
        ModelGraph graph = ModelGraph.of(fixture.model());
        List<PrunableTensor> tensors = WeightSelector.select(graph, TensorFilter.all()).tensors();
        List<TensorGroup> groups = ProfileGroups.of(graph, tensors);
        assertEquals(List.of("fc1.weight", "fc2.weight", "fc3.weight"), groups.stream().map(TensorGroup::name)
                .toList());
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            double[][] errors = OutputErrors.of(graph, groups, runtime, fixture.data(), 64, null);
            ActivationCollector collector = new ActivationCollector(runtime, fixture.data(), OutputErrors.SAMPLES,
                    64);
            for (int g = 0; g < groups.size(); g++) {
                // Measured independently: the Gemm's output in the dense model and in one with only this weight
                // pruned, on the same 64 samples (fewer rows than the cap, so every row counts).
                PrunableTensor tensor = tensors.get(g);
                NodeProto gemm = graph.consumers(tensor.name()).get(0).node();
                double[] bias = FloatTensor.of(graph.constant(gemm.getInput(2)).orElseThrow().tensor()).values();
                for (int level = 0; level < 4; level++) {
                    double sparsity = List.of(0.25, 0.5, 0.75, 0.9).get(level);
                    ModelProto pruned = MagnitudePruner.prune(graph, List.of(tensor),
                            new WeightPruningSettings(sparsity, Scope.LAYERWISE, List.of())).model();
                    FloatBuffer dense = collector.collect(fixture.model(), List.of(gemm.getOutput(0)))
                            .get(gemm.getOutput(0)).floatView();
                    Tensor after = collector.collect(pruned, List.of(gemm.getOutput(0))).get(gemm.getOutput(0));
                    FloatBuffer changed = after.floatView();
                    double error = 0;
                    double energy = 0;
                    for (int i = 0; i < after.elementCount(); i++) {
                        double y0 = dense.get(i) - bias[i % bias.length];
                        error += Math.pow(changed.get(i) - dense.get(i), 2);
                        energy += y0 * y0;
                    }
                    assertEquals(error / energy, errors[g][level], 1e-4 * error / energy,
                            tensor.name() + " at " + sparsity);
                }
            }
        }
    }

    @Test
    void aGroupIsTheSumOfItsTensorsAndConvolutionsHaveNoSignal() {
        ModelProto bert = io.github.onnxprune.onnx.OnnxModelReader.read(
                Fixtures.fixture("digits-bert/model.onnx"));
        ModelGraph graph = ModelGraph.of(bert);
        List<PrunableTensor> tensors = WeightSelector.select(graph, TensorFilter.all()).tensors();
        List<TensorGroup> groups = ProfileGroups.of(graph, tensors);
        List<TensorGroup> singles = tensors.stream().map(t -> TensorGroup.single(t.name(),
                FloatTensor.of(t.constant().tensor()).size())).toList();
        io.github.onnxprune.eval.ValidationData data = io.github.onnxprune.eval.ValidationDataReader.read(
                Fixtures.fixture("digits-bert/validation.npz"), io.github.onnxprune.eval.ModelSignature.of(bert),
                "labels");
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            double[][] grouped = OutputErrors.of(graph, groups, runtime, data, 64, null);
            double[][] alone = OutputErrors.of(graph, singles, runtime, data, 64, null);
            // block 0 attention: its four projections' errors added up.
            double sum = 0;
            for (String tensor : groups.get(0).tensors()) {
                sum += alone[singles.stream().map(TensorGroup::name).toList().indexOf(tensor)][1];
            }
            assertEquals(4, groups.get(0).tensors().size());
            assertEquals(sum, grouped[0][1], 1e-12);
            for (double[] levels : grouped) {
                for (int l = 1; l < levels.length; l++) {
                    assertTrue(levels[l] > levels[l - 1] && levels[0] > 0, java.util.Arrays.toString(levels));
                }
            }
            Fixtures.Loaded cnn = Fixtures.load("digits-cnn-folded");
            ModelGraph cnnGraph = ModelGraph.of(cnn.model());
            List<PrunableTensor> cnnTensors = WeightSelector.select(cnnGraph, TensorFilter.all()).tensors();
            double[][] cnnErrors = OutputErrors.of(cnnGraph, ProfileGroups.of(cnnGraph, cnnTensors), runtime,
                    cnn.data(), 64, null);
            long convolutions = cnnTensors.stream().filter(t -> cnnGraph.consumers(t.name()).get(0).node()
                    .getOpType().equals("Conv")).count();
            assertTrue(convolutions > 0);
            assertEquals(convolutions, java.util.Arrays.stream(cnnErrors).filter(e -> Double.isNaN(e[0])).count());
        }
    }
}
