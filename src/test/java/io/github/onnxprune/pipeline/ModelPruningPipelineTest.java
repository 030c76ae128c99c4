package io.github.onnxprune.pipeline;

import static io.github.onnxprune.Fixtures.fixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import io.github.onnxprune.eval.Metric;
import io.github.onnxprune.gate.GateLimits;
import io.github.onnxprune.onnx.ModelBytes;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.nodes.UnitImportance;
import io.github.onnxprune.search.SearchSettings;
import java.nio.file.Files;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelPruningPipelineTest {

    @TempDir
    Path folder;

    static ModelTask task(String model, String data, double sparsity, GateLimits limits) {
        return new ModelTask(fixture(model), "models/m.onnx",
                new PruningSettings(PruneMethod.WEIGHTS, sparsity, 0, Scope.LAYERWISE, List.of(), TensorFilter.all(),
                        UnitImportance.L2),
                new EvaluationSettings(data == null ? null : fixture(data), null, Metric.ACCURACY, null, 64, 1, 3,
                        data != null),
                limits);
    }

    /**
     * {@code task} with the sensitivity profile asked for and no search, as {@code <sensitivity>true</sensitivity>}.
     */
    static ModelTask profiled(ModelTask task) {
        PruningSettings p = task.pruning();
        return new ModelTask(task.file(), task.entryName(), new PruningSettings(p.method(), p.sparsity(),
                p.nodeSparsity(), p.scope(), p.overrides(), p.filter(), p.importance(), p.quantization(),
                SearchSettings.OFF.withProfile(true), p.tableSparsity()), task.evaluation(), task.limits());
    }

    /** Each task processed in turn by one pipeline (one ONNX Runtime environment), results in the same order. */
    static List<ModelResult> processed(ModelTask... tasks) throws IOException {
        List<ModelResult> results = new java.util.ArrayList<>();
        try (ModelPruningPipeline pipeline = new ModelPruningPipeline("1.2.3", 1)) {
            for (ModelTask task : tasks) {
                results.add(pipeline.process(task));
            }
        }
        return results;
    }

    @Test
    void measuresBothModelsStampsMetadataAndIsReproducible() throws Exception {
        ModelTask task = task("digits-mlp/model.onnx", "digits-mlp/validation.npz", 0.5, new GateLimits(null, 0.05));
        ModelResult first;
        ModelResult second;
        try (ModelPruningPipeline pipeline = new ModelPruningPipeline("1.2.3", 1)) {
            first = pipeline.process(task);
            second = pipeline.process(task);
        }
        assertArrayEquals(ModelBytes.toArray(first.prunedBytes()), ModelBytes.toArray(second.prunedBytes()));
        // The model to ship is held outside the heap, read-only, until the jar rewrite streams it.
        assertTrue(first.prunedBytes().isDirect());
        assertTrue(first.prunedBytes().isReadOnly());
        assertEquals(350 / 360.0, first.report().measurement().baseline(), 1e-12);
        assertEquals(336 / 360.0, first.report().measurement().pruned(), 1e-12);
        assertEquals(360, first.report().measurement().samples());
        assertTrue(first.passed());
        assertEquals(3, first.report().latency().runs());
        Map<String, String> metadata = metadata(ModelProto.parseFrom(ModelBytes.toArray(first.prunedBytes())));
        assertEquals(Map.of("onnx-prune.method", "weights", "onnx-prune.sparsity", "0.5000",
                "onnx-prune.metric", "accuracy", "onnx-prune.baseline", "0.9722", "onnx-prune.pruned", "0.9333",
                "onnx-prune.version", "1.2.3"), metadata);
        assertEquals(Files.size(fixture("digits-mlp/model.onnx")), first.report().sizes().before());
        assertTrue(first.report().sizes().deflatedAfter() < first.report().sizes().deflatedBefore() * 0.7);
    }

    @Test
    void aModelThisPluginAlreadyPrunedIsShippedUnchanged() throws Exception {
        byte[] shipped;
        try (ModelPruningPipeline pipeline = new ModelPruningPipeline("1.2.3", 1)) {
            shipped = ModelBytes.toArray(pipeline.process(task("digits-mlp/model.onnx", null, 0.5,
                    new GateLimits(null, null))).prunedBytes());
            Path again = folder.resolve("again.onnx");
            Files.write(again, shipped);
            ModelTask second = new ModelTask(again, "m.onnx", task("digits-mlp/model.onnx", null, 0.5,
                    new GateLimits(null, null)).pruning(), task("digits-mlp/model.onnx", null, 0.5,
                    new GateLimits(null, null)).evaluation(), new GateLimits(null, null));
            ModelResult result = pipeline.process(second);
            assertTrue(result.alreadyPruned());
            assertArrayEquals(shipped, ModelBytes.toArray(result.prunedBytes()));
            assertEquals("none", result.report().method());
        }
    }

    @Test
    void aModelWithNothingToPruneIsShippedUnchangedWithAWarning() throws Exception {
        ModelTask plain = task("digits-mlp/model.onnx", "digits-mlp/validation.npz", 0.5, new GateLimits(null, 0.01));
        // Only ConvTranspose weights may be pruned, and the MLP has none: what an int8 model looks like too.
        ModelTask nothing = new ModelTask(plain.file(), plain.entryName(), new PruningSettings(PruneMethod.WEIGHTS,
                0.5, 0, Scope.LAYERWISE, List.of(), new TensorFilter(java.util.Set.of("ConvTranspose"), List.of(),
                        List.of(), 0), UnitImportance.L1), plain.evaluation(), plain.limits());
        ModelResult result;
        try (ModelPruningPipeline pipeline = new ModelPruningPipeline("1.2.3", 1)) {
            result = pipeline.process(nothing);
        }
        assertArrayEquals(Files.readAllBytes(plain.file()), ModelBytes.toArray(result.prunedBytes()));
        // Shipped as mapped from the file: no copy of an unchanged model is made.
        assertTrue(result.prunedBytes().isDirect());
        assertTrue(metadata(ModelProto.parseFrom(ModelBytes.toArray(result.prunedBytes()))).isEmpty());
        assertEquals(List.of("Model models/m.onnx: nothing was pruned (weights: no weight of ConvTranspose that it"
                + " may change); it is shipped unchanged, without onnx-prune metadata."), result.report().warnings());
        assertTrue(result.passed());
        assertEquals(result.report().measurement().baseline(), result.report().measurement().pruned());
        String json = new String(io.github.onnxprune.report.ReportJson.toBytes("1.2.3", List.of(result.report())),
                java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(json.contains("\"warnings\" : [ \"Model models/m.onnx: nothing was pruned"), json);
    }

    @Test
    void aBrokenGateShipsNothingButWritesTheReport() throws Exception {
        Path jar = folder.resolve("app.jar");
        Files.copy(fixture("digits-mlp/model.onnx"), folder.resolve("model.onnx"));
        try (var out = new java.util.zip.ZipOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new java.util.zip.ZipEntry("models/m.onnx"));
            out.write(Files.readAllBytes(fixture("digits-mlp/model.onnx")));
            out.closeEntry();
        }
        byte[] jarBefore = Files.readAllBytes(jar);
        Path output = folder.resolve("out");
        RunOutcome outcome = PruneRun.execute(List.of(task("digits-mlp/model.onnx", "digits-mlp/validation.npz",
                0.95, new GateLimits(0.9, null))), new RunSettings(output, jar, null, true, "1.2.3", 1,
                FileTime.fromMillis(0)));
        assertFalse(outcome.shipped());
        assertEquals(1, outcome.violations().size());
        assertTrue(outcome.violations().get(0).startsWith("Model models/m.onnx: accuracy is "));
        assertArrayEquals(jarBefore, Files.readAllBytes(jar));
        assertFalse(Files.exists(output.resolve("models")));
        assertTrue(Files.readString(output.resolve("report.json"))
                .contains("\"violations\" : [ \"Model models/m.onnx"));
    }

    @Test
    void aGateMessageSaysWhenTheMetricSawTheReFitsOwnSamples() throws Exception {
        ModelTask plain = task("digits-mlp/model.onnx", "digits-mlp/validation.npz", 0.97, new GateLimits(0.95, null));
        ModelTask refitted = new ModelTask(plain.file(), plain.entryName(), plain.pruning(),
                new EvaluationSettings(fixture("digits-mlp/validation.npz"), null, Metric.ACCURACY, null, 64, 1, 3,
                        true, CalibrationSettings.defaults()), plain.limits());
        try (ModelPruningPipeline pipeline = new ModelPruningPipeline("1.2.3", 1)) {
            String unflagged = pipeline.process(plain).report().violations().get(0);
            String flagged = pipeline.process(refitted).report().violations().get(0);
            assertTrue(unflagged.contains("after pruning weights to sparsity 0.97 (layerwise) (the original"),
                    unflagged);
            assertTrue(flagged.contains("after pruning weights to sparsity 0.97 (layerwise) and re-fitting on the"
                    + " validation data itself (the original model scores 0.9722)"), flagged);
        }
    }

    @Test
    void withoutAJarAClassifierGetsAZipOfThePrunedModels() throws Exception {
        Path output = folder.resolve("out");
        Path zip = folder.resolve("app-pruned.zip");
        RunOutcome outcome = PruneRun.execute(List.of(task("digits-mlp/model.onnx", null, 0.5,
                new GateLimits(null, null))), new RunSettings(output, null, zip, true, "1.2.3", 1,
                FileTime.fromMillis(315_532_802_000L)));
        assertTrue(outcome.shipped());
        byte[] model = Files.readAllBytes(output.resolve("models/models/m.onnx"));
        try (ZipFile archive = new ZipFile(zip.toFile())) {
            assertArrayEquals(model, archive.getInputStream(archive.getEntry("models/m.onnx")).readAllBytes());
            assertEquals(1, archive.size());
        }
        byte[] once = Files.readAllBytes(zip);
        PruneRun.execute(List.of(task("digits-mlp/model.onnx", null, 0.5, new GateLimits(null, null))),
                new RunSettings(output, null, zip, true, "1.2.3", 1, FileTime.fromMillis(315_532_802_000L)));
        assertArrayEquals(once, Files.readAllBytes(zip));
    }

    private static Map<String, String> metadata(ModelProto model) {
        return model.getMetadataPropsList().stream()
                .collect(Collectors.toMap(StringStringEntryProto::getKey, StringStringEntryProto::getValue));
    }
}
