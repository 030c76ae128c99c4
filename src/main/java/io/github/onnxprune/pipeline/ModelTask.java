package io.github.onnxprune.pipeline;

import io.github.onnxprune.gate.GateLimits;
import java.nio.file.Path;

/**
 * One model to prune, with every setting resolved.
 *
 * @param file the model file as the build produced it (never modified)
 * @param entryName its path inside the artifact, with forward slashes
 * @param pruning how to prune it
 * @param evaluation how to measure it
 * @param limits the accuracy it must keep
 */
public record ModelTask(Path file, String entryName, PruningSettings pruning, EvaluationSettings evaluation,
        GateLimits limits) {
}
