package io.github.onnxprune.prune.nodes;

/**
 * A layer whose units were left in place because the analysis could not prove removing them safe.
 *
 * @param layer the node name, or the weight name when the node has none
 * @param reason why, in a sentence a user can act on
 */
public record SkippedLayer(String layer, String reason) {
}
