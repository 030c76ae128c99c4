package io.github.onnxprune.prune.nodes;

/**
 * The effect of node pruning on one weighted layer (Gemm, MatMul with a constant weight, Conv), pruned or not.
 *
 * @param layer the node name, or the weight name when the node has none
 * @param opType the node's op type
 * @param weight the weight tensor's name
 * @param unitsBefore output units (neurons or channels) before
 * @param unitsAfter output units after
 * @param paramsBefore elements of the weight and its bias (Gemm C, Conv B, or the constant of an Add right
 *     after a MatMul) before
 * @param paramsAfter the same after
 * @param macsBefore multiply-accumulates per sample before (per token when {@code macsPerToken}), or -1 when the
 *     shapes needed are unknown
 * @param macsAfter the same after
 * @param macsPerToken whether the input has an axis of run-time length (a transformer's sequence) that the MACs
 *     count once, so they are per token rather than per sample
 */
public record LayerChange(String layer, String opType, String weight, int unitsBefore, int unitsAfter,
        long paramsBefore, long paramsAfter, long macsBefore, long macsAfter, boolean macsPerToken) {

    /** A layer whose MACs are per sample. */
    public LayerChange(String layer, String opType, String weight, int unitsBefore, int unitsAfter,
            long paramsBefore, long paramsAfter, long macsBefore, long macsAfter) {
        this(layer, opType, weight, unitsBefore, unitsAfter, paramsBefore, paramsAfter, macsBefore, macsAfter, false);
    }

    /** Whether the layer lost output units or input features. */
    public boolean changed() {
        return paramsAfter != paramsBefore;
    }
}
