package io.github.onnxprune.pipeline;

import java.util.function.Consumer;

/**
 * Where the lines a run writes while it works go, apart from the report the caller logs after it.
 *
 * @param results one-off findings a user reads whatever the build's length (the global scope's choice of shares,
 *     the measured scope's allocation, a search's share-choice cost): the build log shows them at INFO
 * @param progress one line per unit of long work (a layer re-fitted, a group ranked, a candidate measured), with
 *     its elapsed time and estimate: shown at INFO only once the run has gone on long enough to matter
 *     ({@link ProgressThrottle}), else at DEBUG
 * @param debug details for the build's debug log (-X): which way a model was written, and why
 */
public record RunLog(Consumer<String> results, Consumer<String> progress, Consumer<String> debug) {

    /** Replaces an absent consumer by one that drops the lines. */
    public RunLog {
        results = results == null ? line -> { } : results;
        progress = progress == null ? line -> { } : progress;
        debug = debug == null ? line -> { } : debug;
    }

    /** Results and progress both to {@code lines}, in the order written, and nothing for debug. */
    public static RunLog allTo(Consumer<String> lines) {
        return new RunLog(lines, lines, null);
    }
}
