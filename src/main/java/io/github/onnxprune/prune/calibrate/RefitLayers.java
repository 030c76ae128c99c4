package io.github.onnxprune.prune.calibrate;

import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.onnx.NodeInput;
import java.util.ArrayList;
import java.util.List;

/** Which layers a re-fit can handle, and whether the heap holds their inputs whole. */
final class RefitLayers {

    private RefitLayers() {
    }

    /**
     * The node indices, in graph order, of the layers whose weights are among {@code tensors} and that can be
     * re-fitted; those that cannot are reported into {@code reports} as skipped.
     */
    static List<Integer> of(ModelGraph denseGraph, List<String> tensors, WeightReconstruction.Options options,
            List<LayerReconstruction> reports) {
        List<Integer> layers = new ArrayList<>();
        for (String name : tensors) {
            List<NodeInput> readers = denseGraph.consumers(name);
            if (readers.size() != 1 || readers.get(0).inputIndex() != 1) {
                continue;
            }
            LinearLayer layer = LinearLayer.of(denseGraph, readers.get(0).nodeIndex());
            if (layer == null) {
                continue;
            }
            if (layer.opType().equals("Conv") && !options.reselect()) {
                reports.add(LayerReconstruction.skipped(layer, "Conv weights are not re-fitted"));
                continue;
            }
            if (layer.opType().equals("Conv") && layer.conv() == null) {
                reports.add(LayerReconstruction.skipped(layer, "its padding is not given explicitly"));
                continue;
            }
            layers.add(layer.index());
        }
        layers.sort(Integer::compare);
        return layers;
    }

    /**
     * Whether a heap of {@code heapBytes} holds the layers' inputs whole
     * ({@link WeightReconstruction#WHOLE_VALUES_HEAP_FACTOR}).
     */
    static boolean wholeValues(ModelGraph denseGraph, List<Integer> layers, ActivationCollector collector,
            long heapBytes) {
        int widest = 0;
        for (int index : layers) {
            widest = Math.max(widest, LinearLayer.of(denseGraph, index).features());
        }
        return heapBytes / WeightReconstruction.WHOLE_VALUES_HEAP_FACTOR
                >= collector.valueBytesAtMost(denseGraph.model(), widest);
    }
}
