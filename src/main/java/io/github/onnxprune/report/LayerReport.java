package io.github.onnxprune.report;

/**
 * What node pruning did to one layer.
 *
 * @param layer the node's name (or its weight's when unnamed)
 * @param opType the operator
 * @param unitsBefore neurons or channels before
 * @param unitsAfter neurons or channels after
 * @param parametersBefore parameters of the layer before
 * @param parametersAfter parameters after
 * @param macsBefore multiply-accumulates per sample before, -1 when the shapes are unknown
 * @param macsAfter multiply-accumulates per sample after, -1 when unknown
 */
public record LayerReport(String layer, String opType, int unitsBefore, int unitsAfter, long parametersBefore,
        long parametersAfter, long macsBefore, long macsAfter) {
}
