package io.github.onnxprune.pipeline;

import static io.github.onnxprune.Fixtures.fixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.onnxprune.gate.GateLimits;
import io.github.onnxprune.onnx.ModelBytes;
import io.github.onnxprune.report.ReportTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An unchanged rerun reuses the stored result; anything changed, missing or edited makes it run again. */
class PruneRunCacheTest {

    @TempDir
    Path folder;

    private Path jar;
    private Path output;

    @BeforeEach
    void buildJar() throws IOException {
        jar = folder.resolve("app.jar");
        output = folder.resolve("onnx-prune");
        writeJarWithOriginalModel();
    }

    private void writeJarWithOriginalModel() throws IOException {
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new ZipEntry("models/m.onnx"));
            out.write(Files.readAllBytes(fixture("digits-mlp/model.onnx")));
            out.closeEntry();
        }
    }

    private static ModelTask task(double sparsity) {
        return ModelPruningPipelineTest.task("digits-mlp/model.onnx", "digits-mlp/validation.npz", sparsity,
                new GateLimits(null, 0.05));
    }

    private RunOutcome run(ModelTask task, boolean force) throws IOException {
        return PruneRun.execute(List.of(task), new RunSettings(output, jar, null, true, "1.2.3", 1,
                FileTime.fromMillis(0), force));
    }

    private byte[] shipped() throws IOException {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            return zip.getInputStream(zip.getEntry("models/m.onnx")).readAllBytes();
        }
    }

    private byte[] stored() throws IOException {
        return Files.readAllBytes(output.resolve("models/models/m.onnx"));
    }

    @Test
    void anUnchangedRerunReusesTheStoredResultAndShipsTheSameBytes() throws Exception {
        RunOutcome first = run(task(0.5), false);
        byte[] report = Files.readAllBytes(first.report());
        byte[] jarBytes = Files.readAllBytes(jar);

        RunOutcome second = run(task(0.5), false);

        assertFalse(first.reused());
        assertTrue(second.reused());
        assertEquals(first.fingerprint(), second.fingerprint());
        assertTrue(second.shipped());
        assertFalse(second.jarChanged());
        // Latency differs between any two measurements: an identical report was not measured again.
        assertArrayEquals(report, Files.readAllBytes(second.report()));
        assertEquals(ReportTable.lines(List.of(first.results().get(0).report())),
                ReportTable.lines(List.of(second.results().get(0).report())));
        assertArrayEquals(ModelBytes.toArray(first.results().get(0).prunedBytes()),
                ModelBytes.toArray(second.results().get(0).prunedBytes()));
        assertArrayEquals(jarBytes, Files.readAllBytes(jar));
    }

    @Test
    void aJarRebuiltFromTheClassesGetsThePrunedModelsBack() throws Exception {
        run(task(0.5), false);
        writeJarWithOriginalModel();

        RunOutcome second = run(task(0.5), false);

        assertTrue(second.reused());
        assertTrue(second.jarChanged());
        assertArrayEquals(stored(), shipped());
    }

    @Test
    void forceAndAChangedSettingRunAgain() throws Exception {
        run(task(0.5), false);

        assertFalse(run(task(0.5), true).reused());
        assertTrue(run(task(0.5), false).reused());
        RunOutcome changed = run(task(0.6), false);
        assertFalse(changed.reused());
        assertEquals(0.6, changed.results().get(0).report().targetSparsity());
        // At 0.6 the gate fails: nothing of this run ships, and the jar no longer holds the 0.5 run's model either.
        assertEquals(1, changed.violations().size());
        assertFalse(changed.shipped());
        assertArrayEquals(Files.readAllBytes(fixture("digits-mlp/model.onnx")), shipped());
    }

    @Test
    void aMissingOrEditedStoredFileMeansRunningAgain() throws Exception {
        List<String> cases = List.of("fingerprint", "model", "report", "stored model", "fingerprint line");
        for (String damage : cases) {
            run(task(0.5), true);
            byte[] good = stored();
            switch (damage) {
                case "fingerprint" -> Files.delete(output.resolve("fingerprint"));
                case "model" -> {
                    byte[] edited = good.clone();
                    edited[edited.length - 1] ^= 1;
                    Files.write(output.resolve("models/models/m.onnx"), edited);
                }
                case "report" -> Files.writeString(output.resolve("report.json"),
                        Files.readString(output.resolve("report.json")).replace("\"violations\" : [ ]",
                                "\"violations\" : [ \"x\" ]"));
                case "stored model" -> Files.delete(output.resolve("models/models/m.onnx"));
                default -> Files.writeString(output.resolve("fingerprint"),
                        Files.readString(output.resolve("fingerprint")).replace("model ", "modell "));
            }

            RunOutcome again = run(task(0.5), false);

            assertFalse(again.reused(), damage);
            assertTrue(again.shipped(), damage);
            assertArrayEquals(good, stored(), damage);
            assertArrayEquals(good, shipped(), damage);
            assertTrue(run(task(0.5), false).reused(), damage);
        }
    }

    @Test
    void aFailedVerdictIsReusedAndFailsAgainWithTheSameViolations() throws Exception {
        ModelTask failing = ModelPruningPipelineTest.task("digits-mlp/model.onnx", "digits-mlp/validation.npz", 0.95,
                new GateLimits(0.9, null));
        byte[] jarBefore = Files.readAllBytes(jar);
        RunOutcome first = run(failing, false);

        RunOutcome second = run(failing, false);

        assertFalse(first.shipped());
        assertTrue(second.reused());
        assertFalse(second.shipped());
        assertEquals(1, second.violations().size());
        assertEquals(first.violations(), second.violations());
        assertArrayEquals(jarBefore, Files.readAllBytes(jar));
        // Violations as warnings need the models, which a failed run did not write: that run happens again.
        RunOutcome warned = PruneRun.execute(List.of(failing), new RunSettings(output, jar, null, false, "1.2.3", 1,
                FileTime.fromMillis(0)));
        assertFalse(warned.reused());
        assertTrue(warned.shipped());
    }
}
