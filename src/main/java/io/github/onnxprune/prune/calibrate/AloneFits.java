package io.github.onnxprune.prune.calibrate;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.github.onnxprune.onnx.ModelGraph;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Each pruned layer re-fitted alone, on the dense model's inputs, at several sparsities: what a measured
 * allocation scores by putting one layer's re-fit at a time into the dense model. With every other layer dense,
 * a layer's input is the dense model's, so all layers and all levels are fitted in one pass over the calibration
 * values, and the levels of one layer share its input's products ({@code X^T X}, made once); only the mask and
 * the fit are made per level. The fit is {@link WeightReconstruction}'s, with the same options.
 */
public final class AloneFits {

    private AloneFits() {
    }

    /**
     * One layer re-fitted alone at one level.
     *
     * @param layer its position among the layers fitted, from 0
     * @param layers how many layers are fitted
     * @param tensor its weight's name
     * @param level the index of the level in the list given
     * @param replacements the tensors that replace its weight (and bias) in the dense model, or null when the
     *     layer could not be re-fitted ({@code report} says why)
     * @param report what the fit did
     */
    public record Fit(int layer, int layers, String tensor, int level, Map<String, TensorProto> replacements,
            LayerReconstruction report) {
    }

    /**
     * Re-fits each layer whose weight is among {@code tensors} alone, once per model of {@code levels} (each a
     * copy of {@code dense} whose weights among {@code tensors} are pruned to one level), handing each fit to
     * {@code each} as it is made, layer by layer in graph order and level by level.
     */
    public static void fit(ModelProto dense, List<ModelProto> levels, List<String> tensors,
            ActivationCollector collector, WeightReconstruction.Options options, Consumer<Fit> each) {
        ModelGraph denseGraph = ModelGraph.of(dense);
        List<Integer> layers = RefitLayers.of(denseGraph, tensors, options, new ArrayList<>());
        if (layers.isEmpty()) {
            return;
        }
        try (StagedActivations values = new StagedActivations(collector,
                RefitLayers.wholeValues(denseGraph, layers, collector, Runtime.getRuntime().maxMemory()))) {
            fit(dense, levels, layers, denseGraph, values, collector, options, each);
        }
    }

    private static void fit(ModelProto dense, List<ModelProto> levels, List<Integer> layers, ModelGraph denseGraph,
            StagedActivations values, ActivationCollector collector, WeightReconstruction.Options options,
            Consumer<Fit> each) {
        List<ModelGraph> levelGraphs = levels.stream().map(ModelGraph::of).toList();
        InputStatistics[] shared = new InputStatistics[1];
        for (int position = 0; position < layers.size(); position++) {
            int index = layers.get(position);
            LinearLayer was = LinearLayer.of(denseGraph, index);
            for (int level = 0; level < levels.size(); level++) {
                ModelGraph graph = levelGraphs.get(level);
                LinearLayer is = LinearLayer.of(graph, index);
                // Outputs still to be fitted on this input, counting every level: the last fit may let it go.
                int sharing = (levels.size() - level) * was.outputs();
                for (int other = position + 1; other < layers.size(); other++) {
                    LinearLayer reader = LinearLayer.of(denseGraph, layers.get(other));
                    sharing += reader.input().equals(was.input()) ? levels.size() * reader.outputs() : 0;
                }
                // Every other layer dense: the dense model's values are both this layer's inputs and the target's.
                WeightReconstruction.Refitted refitted = WeightReconstruction.layer(was, is, denseGraph, graph,
                        dense, dense, values, values, collector, options, shared, sharing, line -> { });
                each.accept(new Fit(position, layers.size(), was.weight(), level, refitted.written(),
                        refitted.layer()));
            }
        }
    }
}
