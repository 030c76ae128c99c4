package io.github.onnxprune.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.onnxprune.eval.Metric;
import io.github.onnxprune.gate.GateLimits;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.nodes.UnitImportance;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two builds of the same consumer project ship byte-identical jars: the example project's configuration (half the
 * units, then 60% of the weights left, global scope, re-fitted on its calibration set, int8) run twice from scratch,
 * each in its own folder, as two clean builds on two machines would.
 */
class ReproducibleBuildTest {

    /** The example consumer project, whose model and data the README's snippet describes. */
    private static final Path EXAMPLE = Path.of("examples/digits-classifier");

    /** What {@code project.build.outputTimestamp} gives the jar's entries. */
    private static final FileTime ENTRY_TIME = FileTime.from(Instant.parse("2026-01-01T00:00:00Z"));

    @TempDir
    Path folder;

    @Test
    void twoCleanBuildsOfTheExampleShipTheSameJarAndModelBytes() throws IOException {
        Path first = build(folder.resolve("first"));
        Path second = build(folder.resolve("second"));

        byte[] jar = Files.readAllBytes(first.resolve("app.jar"));
        assertArrayEquals(jar, Files.readAllBytes(second.resolve("app.jar")));
        byte[] model = Files.readAllBytes(first.resolve("onnx-prune/models/models/digits.onnx"));
        assertArrayEquals(model, Files.readAllBytes(second.resolve("onnx-prune/models/models/digits.onnx")));
        // The jar was rewritten with the int8 model, not left as jar:jar made it.
        assertFalse(Arrays.equals(jar, Files.readAllBytes(originalJar(folder.resolve("plain")))));
    }

    /** One clean build in {@code project}: jar:jar's jar of the original model, then the prune goal on it. */
    private static Path build(Path project) throws IOException {
        Path jar = originalJar(project);
        RunOutcome outcome = PruneRun.execute(List.of(task()), new RunSettings(project.resolve("onnx-prune"), jar,
                null, true, "1.2.3", 1, ENTRY_TIME, false));
        assertTrue(outcome.shipped());
        assertFalse(outcome.reused());
        return project;
    }

    /** A jar holding the example's original model, the same bytes each time, as jar:jar writes it. */
    private static Path originalJar(Path project) throws IOException {
        Files.createDirectories(project);
        Path jar = project.resolve("app.jar");
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(jar))) {
            ZipEntry entry = new ZipEntry("models/digits.onnx");
            entry.setLastModifiedTime(ENTRY_TIME);
            out.putNextEntry(entry);
            out.write(Files.readAllBytes(EXAMPLE.resolve("src/main/resources/models/digits.onnx")));
            out.closeEntry();
        }
        return jar;
    }

    /** The example's pom configuration as the goal turns it into a task. */
    private static ModelTask task() {
        return new ModelTask(EXAMPLE.resolve("src/main/resources/models/digits.onnx"), "models/digits.onnx",
                new PruningSettings(PruneMethod.WEIGHTS, 0.6, 0.5, Scope.GLOBAL, List.of(), TensorFilter.all(),
                        UnitImportance.L1, new Quantization("int8", List.of(), true)),
                new EvaluationSettings(EXAMPLE.resolve("src/validation/digits.npz"), null, Metric.ACCURACY, null, 64,
                        1, 3, true, new CalibrationSettings(true, EXAMPLE.resolve("src/calibration/digits.npz"),
                                CalibrationSettings.DEFAULT_SAMPLES, CalibrationSettings.DEFAULT_ROWS)),
                new GateLimits(0.95, 0.01));
    }
}
