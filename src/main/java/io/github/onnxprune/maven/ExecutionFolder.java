package io.github.onnxprune.maven;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The output folder of one {@code prune} execution. Executions must not share one: each keeps its own report,
 * fingerprint, shipped record and lock, so a second execution (say, one with a classifier) neither overwrites the
 * first's result nor forces it to run again. The default execution keeps {@code target/onnx-prune}, as before;
 * any other gets the sibling {@code target/onnx-prune-<execution id>} (a sibling, not a subfolder, so that no
 * execution's clean-up of temporary files reaches into a folder another execution holds the lock of).
 */
final class ExecutionFolder {

    /** The folder name of the default execution, and the prefix of every other one's. */
    static final String BASE_NAME = "onnx-prune";

    private ExecutionFolder() {
    }

    /**
     * {@code configured} when the user set {@code <outputDirectory>}; otherwise the execution's own folder under
     * {@code buildDirectory}.
     */
    static Path of(File configured, String buildDirectory, String executionId) {
        if (configured != null) {
            return configured.toPath();
        }
        return Path.of(buildDirectory, isDefault(executionId) ? BASE_NAME : BASE_NAME + "-" + safeName(executionId));
    }

    /** Whether the id is one Maven gives an execution the user did not name ({@code default}, {@code default-cli}). */
    static boolean isDefault(String executionId) {
        return executionId == null || executionId.isBlank() || executionId.equals("default")
                || executionId.equals("default-cli");
    }

    /**
     * The folders executions with the default output folder left in {@code buildDirectory}: target/onnx-prune
     * first, then target/onnx-prune-&lt;id&gt; by name; none when the build directory does not exist.
     */
    static List<Path> existing(Path buildDirectory) throws IOException {
        if (!Files.isDirectory(buildDirectory)) {
            return List.of();
        }
        try (Stream<Path> children = Files.list(buildDirectory)) {
            return children.filter(Files::isDirectory)
                    .filter(folder -> {
                        String name = folder.getFileName().toString();
                        return name.equals(BASE_NAME) || name.startsWith(BASE_NAME + "-");
                    })
                    .sorted(Comparator.comparing((Path folder) -> !folder.getFileName().toString().equals(BASE_NAME))
                            .thenComparing(folder -> folder.getFileName().toString()))
                    .toList();
        }
    }

    /** The execution id as a file name: letters, digits, '.', '_' and '-' kept, anything else '_'. */
    static String safeName(String executionId) {
        String name = executionId.replaceAll("[^A-Za-z0-9._-]", "_");
        return name.startsWith(".") ? "_" + name.substring(1) : name;
    }
}
