package io.github.onnxprune.prune;

/**
 * A weight that was found but left unpruned, with why, for the report.
 *
 * @param name the tensor name
 * @param reason a short sentence
 */
public record SkippedTensor(String name, String reason) {
}
