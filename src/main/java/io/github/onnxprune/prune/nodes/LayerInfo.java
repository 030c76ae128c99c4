package io.github.onnxprune.prune.nodes;

/** A weighted node (Gemm, MatMul with a constant weight, Conv) as the analysis found it. */
final class LayerInfo {

    final int nodeIndex;
    final String name;
    final String opType;
    final String weight;
    /** The axis of the weight that holds output units. */
    final int unitAxis;
    /** Output positions per sample that each weight element is used at (MACs = weights * positions), -1 unknown. */
    final long positions;
    String bias;
    /** Whether {@link #positions} counts an axis of run-time length (a sequence) once: MACs per token. */
    boolean perToken;
    /** Set when the layer cannot own a prunable group. */
    String skipReason;
    Space space;

    LayerInfo(int nodeIndex, String name, String opType, String weight, int unitAxis, long positions) {
        this.nodeIndex = nodeIndex;
        this.name = name;
        this.opType = opType;
        this.weight = weight;
        this.unitAxis = unitAxis;
        this.positions = positions;
    }
}
