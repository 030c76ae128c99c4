package io.github.onnxprune.pipeline;

import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.function.Consumer;

/**
 * Where a run writes and ships its results.
 *
 * @param outputDirectory the plugin's folder under target, for pruned models and report.json
 * @param jar the project's built jar, or null when the project has none
 * @param classifiedArtifact where to write a copy of the jar with pruned models instead of replacing the
 *     jar's models (or, without a jar, a zip of the pruned models); null to replace them in place
 * @param failOnViolation whether a broken limit stops shipping (the caller then fails the build)
 * @param pluginVersion stamped into each shipped model
 * @param intraOpThreads ONNX Runtime threads per session
 * @param entryTime the time stamped on entries of a zip this run creates, for reproducible output
 * @param force whether to prune and measure even when the stored result's fingerprint matches
 * @param otherArchives further archives built from target/classes that ship the models too and are rewritten in
 *     place like the jar (an attached Spring Boot or shaded jar, the {@code .original} copies those plugins leave);
 *     one that holds none of the models is left alone
 * @param info receives the lines the build log shows at INFO while the run works: its results (the global scope's
 *     choice, the measured scope's allocation), and a line per finished unit of long work (a layer re-fitted, a
 *     search's candidate) once the run has gone on long enough to matter ({@link ProgressThrottle}); the other
 *     progress lines go to {@code debug}
 * @param debug receives lines for the build's debug log (-X): which way a model was written, and why, and the
 *     progress lines not shown at INFO
 */
public record RunSettings(Path outputDirectory, Path jar, Path classifiedArtifact, boolean failOnViolation,
        String pluginVersion, int intraOpThreads, FileTime entryTime, boolean force, List<Path> otherArchives,
        Consumer<String> info, Consumer<String> debug) {

    /** Copies the archive list and replaces absent values by none. */
    public RunSettings {
        otherArchives = otherArchives == null ? List.of() : List.copyOf(otherArchives);
        info = info == null ? line -> { } : info;
        debug = debug == null ? line -> { } : debug;
    }

    /** Settings that log nothing at debug level. */
    public RunSettings(Path outputDirectory, Path jar, Path classifiedArtifact, boolean failOnViolation,
            String pluginVersion, int intraOpThreads, FileTime entryTime, boolean force, List<Path> otherArchives,
            Consumer<String> info) {
        this(outputDirectory, jar, classifiedArtifact, failOnViolation, pluginVersion, intraOpThreads, entryTime,
                force, otherArchives, info, null);
    }

    /** Settings that ship into the jar alone and log nothing while the run works. */
    public RunSettings(Path outputDirectory, Path jar, Path classifiedArtifact, boolean failOnViolation,
            String pluginVersion, int intraOpThreads, FileTime entryTime, boolean force) {
        this(outputDirectory, jar, classifiedArtifact, failOnViolation, pluginVersion, intraOpThreads, entryTime,
                force, List.of(), null, null);
    }

    /** Settings that reuse an unchanged stored result. */
    public RunSettings(Path outputDirectory, Path jar, Path classifiedArtifact, boolean failOnViolation,
            String pluginVersion, int intraOpThreads, FileTime entryTime) {
        this(outputDirectory, jar, classifiedArtifact, failOnViolation, pluginVersion, intraOpThreads, entryTime,
                false);
    }
}
