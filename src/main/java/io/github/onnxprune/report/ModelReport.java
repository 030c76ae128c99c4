package io.github.onnxprune.report;

import io.github.onnxprune.prune.SkippedTensor;
import io.github.onnxprune.prune.TensorChange;
import java.util.List;

/**
 * Everything measured about one model: what was pruned, the metric, latency and size before and after, and
 * the gate's verdict. Fields are null where that step did not run.
 *
 * @param model the model's path inside the artifact
 * @param method what was done ("weights", "nodes" or "nodes+weights"), or "none" for an already pruned model
 * @param targetSparsity the sparsity asked for
 * @param tensors per-tensor weight pruning
 * @param skippedTensors weights found but left alone, with why
 * @param layers per-layer node pruning
 * @param skippedLayers layers node pruning left alone, with why
 * @param parametersBefore constant parameters of the whole model before
 * @param parametersAfter constant parameters after (fewer only when nodes were removed)
 * @param measurement the metric before and after, or null without validation data
 * @param latency inference time before and after, or null without validation data
 * @param sizes file sizes
 * @param violations the gate's broken limits, empty when it passed or did not run
 * @param reconstruction how pruning was compensated from calibration data, or null when it was not
 */
public record ModelReport(String model, String method, double targetSparsity, List<TensorChange> tensors,
        List<SkippedTensor> skippedTensors, List<LayerReport> layers, List<SkippedTensor> skippedLayers,
        long parametersBefore, long parametersAfter, Measurement measurement, Latency latency, FileSizes sizes,
        List<String> violations, Reconstruction reconstruction) {

    /** A report without reconstruction. */
    public ModelReport(String model, String method, double targetSparsity, List<TensorChange> tensors,
            List<SkippedTensor> skippedTensors, List<LayerReport> layers, List<SkippedTensor> skippedLayers,
            long parametersBefore, long parametersAfter, Measurement measurement, Latency latency, FileSizes sizes,
            List<String> violations) {
        this(model, method, targetSparsity, tensors, skippedTensors, layers, skippedLayers, parametersBefore,
                parametersAfter, measurement, latency, sizes, violations, null);
    }

    public ModelReport {
        tensors = List.copyOf(tensors);
        skippedTensors = List.copyOf(skippedTensors);
        layers = List.copyOf(layers);
        skippedLayers = List.copyOf(skippedLayers);
        violations = List.copyOf(violations);
    }

    /** Elements in the pruned weight tensors. */
    public long prunedWeights() {
        return tensors.stream().mapToLong(TensorChange::size).sum();
    }

    /** Zero elements in the pruned weight tensors after pruning. */
    public long zeroWeights() {
        return tensors.stream().mapToLong(TensorChange::zerosAfter).sum();
    }

    /** The fraction of zeros over all pruned weight tensors, as measured after pruning. */
    public double sparsityReached() {
        long total = prunedWeights();
        return total == 0 ? 0.0 : (double) zeroWeights() / total;
    }

    /** The fraction of units node pruning removed over the layers it changed. */
    public double unitsRemoved() {
        long before = layers.stream().mapToLong(LayerReport::unitsBefore).sum();
        long after = layers.stream().mapToLong(LayerReport::unitsAfter).sum();
        return before == 0 ? 0.0 : (double) (before - after) / before;
    }
}
