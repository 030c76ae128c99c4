package io.github.onnxprune.pipeline;

import static io.github.onnxprune.Fixtures.fixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.onnxprune.eval.Metric;
import io.github.onnxprune.eval.ScoredOutput;
import io.github.onnxprune.gate.GateLimits;
import io.github.onnxprune.prune.NamePattern;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.SparsityOverride;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.nodes.UnitImportance;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunFingerprintTest {

    @TempDir
    Path folder;

    private Path model;
    private Path validation;
    private Path calibration;

    @BeforeEach
    void copyInputs() throws Exception {
        model = folder.resolve("model.onnx");
        Files.copy(fixture("digits-mlp/model.onnx"), model);
        validation = folder.resolve("validation.npz");
        Files.copy(fixture("digits-mlp/validation.npz"), validation);
        calibration = folder.resolve("calibration");
        Files.createDirectories(calibration.resolve("sub"));
        Files.copy(fixture("digits-mlp/npy/input.npy"), calibration.resolve("input.npy"));
        Files.copy(fixture("digits-mlp/npy/labels.npy"), calibration.resolve("sub/labels.npy"));
    }

    private ModelTask task() {
        return new ModelTask(model, "models/m.onnx",
                new PruningSettings(PruneMethod.WEIGHTS, 0.5, 0, Scope.LAYERWISE,
                        List.of(SparsityOverride.parse("fc1*=0.3")),
                        new TensorFilter(new LinkedHashSet<>(List.of("Gemm", "MatMul")), List.of(),
                                List.of(new NamePattern("fc3*")), 0),
                        UnitImportance.L1),
                new EvaluationSettings(validation, null, Metric.ACCURACY, null, 64, 5, 50, true,
                        new CalibrationSettings(true, calibration, 512)),
                new GateLimits(0.9, 0.01));
    }

    private static RunSettings settings() {
        return new RunSettings(Path.of("target/onnx-prune"), null, null, true, "1.2.3", 1, FileTime.fromMillis(0));
    }

    private String fingerprint() throws Exception {
        return RunFingerprint.of(List.of(task()), settings());
    }

    private String fingerprint(UnaryOperator<ModelTask> change) throws Exception {
        return RunFingerprint.of(List.of(change.apply(task())), settings());
    }

    @Test
    void theSameInputsGiveTheSameFingerprint() throws Exception {
        String first = fingerprint();

        assertEquals(64, first.length());
        assertTrue(first.matches("[0-9a-f]+"), first);
        assertEquals(first, fingerprint());
        // Where the result is shipped to, and when, does not change the result.
        assertEquals(first, RunFingerprint.of(List.of(task()), new RunSettings(Path.of("elsewhere"),
                Path.of("app.jar"), Path.of("app-pruned.jar"), true, "1.2.3", 1, FileTime.fromMillis(5), true)));
    }

    @Test
    void setsAreDescribedInAStableOrder() {
        TensorFilter oneOrder = new TensorFilter(new LinkedHashSet<>(List.of("Gemm", "MatMul", "Conv")), List.of(),
                List.of(), 0);
        TensorFilter otherOrder = new TensorFilter(new LinkedHashSet<>(List.of("Conv", "MatMul", "Gemm")),
                List.of(), List.of(), 0);

        assertEquals(RunFingerprint.describe(oneOrder), RunFingerprint.describe(otherOrder));
        assertEquals("TensorFilter(opTypes={4:\"Conv\", 4:\"Gemm\", 6:\"MatMul\"}, includes=[], excludes=[],"
                + " minSize=0)",
                RunFingerprint.describe(oneOrder));
    }

    @Test
    void everyPruningSettingChangesIt() throws Exception {
        String base = fingerprint();
        List<UnaryOperator<PruningSettings>> changes = List.of(
                p -> new PruningSettings(PruneMethod.NODES, p.sparsity(), p.nodeSparsity(), p.scope(), p.overrides(),
                        p.filter(), p.importance()),
                p -> new PruningSettings(p.method(), 0.6, p.nodeSparsity(), p.scope(), p.overrides(), p.filter(),
                        p.importance()),
                p -> new PruningSettings(p.method(), p.sparsity(), 0.25, p.scope(), p.overrides(), p.filter(),
                        p.importance()),
                p -> new PruningSettings(p.method(), p.sparsity(), p.nodeSparsity(), Scope.GLOBAL, p.overrides(),
                        p.filter(), p.importance()),
                p -> new PruningSettings(p.method(), p.sparsity(), p.nodeSparsity(), p.scope(),
                        List.of(SparsityOverride.parse("fc1*=0.4")), p.filter(), p.importance()),
                p -> new PruningSettings(p.method(), p.sparsity(), p.nodeSparsity(), p.scope(),
                        List.of(SparsityOverride.parse("fc2*=0.3")), p.filter(), p.importance()),
                p -> new PruningSettings(p.method(), p.sparsity(), p.nodeSparsity(), p.scope(), p.overrides(),
                        new TensorFilter(Set.of("Gemm"), p.filter().includes(), p.filter().excludes(),
                                p.filter().minSize()), p.importance()),
                p -> new PruningSettings(p.method(), p.sparsity(), p.nodeSparsity(), p.scope(), p.overrides(),
                        new TensorFilter(p.filter().opTypes(), List.of(new NamePattern("fc*")),
                                p.filter().excludes(), p.filter().minSize()), p.importance()),
                p -> new PruningSettings(p.method(), p.sparsity(), p.nodeSparsity(), p.scope(), p.overrides(),
                        new TensorFilter(p.filter().opTypes(), p.filter().includes(), List.of(),
                                p.filter().minSize()), p.importance()),
                p -> new PruningSettings(p.method(), p.sparsity(), p.nodeSparsity(), p.scope(), p.overrides(),
                        new TensorFilter(p.filter().opTypes(), p.filter().includes(), p.filter().excludes(), 100),
                        p.importance()),
                p -> new PruningSettings(p.method(), p.sparsity(), p.nodeSparsity(), p.scope(), p.overrides(),
                        p.filter(), UnitImportance.L2),
                p -> p.withQuantization(new Quantization("int8", List.of(), true)),
                p -> p.withQuantization(new Quantization("int8", List.of(new NamePattern("/fc3/*")), true)),
                p -> p.withQuantization(new Quantization("int8", List.of(), false)));
        assertAllDiffer(base, changes.stream().<UnaryOperator<ModelTask>>map(change -> t -> new ModelTask(t.file(),
                t.entryName(), change.apply(t.pruning()), t.evaluation(), t.limits())).toList());
    }

    @Test
    void everyEvaluationAndGateSettingChangesIt() throws Exception {
        String base = fingerprint();
        Path otherData = folder.resolve("other.npz");
        Files.copy(validation, otherData);
        List<UnaryOperator<EvaluationSettings>> changes = List.of(
                e -> new EvaluationSettings(otherData, e.labelName(), e.metric(), e.outputName(), e.batchSize(),
                        e.warmupRuns(), e.latencyRuns(), e.requireValidation(), e.calibration()),
                e -> new EvaluationSettings(e.validationData(), "y", e.metric(), e.outputName(), e.batchSize(),
                        e.warmupRuns(), e.latencyRuns(), e.requireValidation(), e.calibration()),
                e -> new EvaluationSettings(e.validationData(), e.labelName(), Metric.TOP5, e.outputName(),
                        e.batchSize(), e.warmupRuns(), e.latencyRuns(), e.requireValidation(), e.calibration()),
                e -> new EvaluationSettings(e.validationData(), e.labelName(), e.metric(), ScoredOutput.named("logits"),
                        e.batchSize(), e.warmupRuns(), e.latencyRuns(), e.requireValidation(), e.calibration()),
                e -> new EvaluationSettings(e.validationData(), e.labelName(), e.metric(), e.outputName(), 32,
                        e.warmupRuns(), e.latencyRuns(), e.requireValidation(), e.calibration()),
                e -> new EvaluationSettings(e.validationData(), e.labelName(), e.metric(), e.outputName(),
                        e.batchSize(), 6, e.latencyRuns(), e.requireValidation(), e.calibration()),
                e -> new EvaluationSettings(e.validationData(), e.labelName(), e.metric(), e.outputName(),
                        e.batchSize(), e.warmupRuns(), 51, e.requireValidation(), e.calibration()),
                e -> new EvaluationSettings(e.validationData(), e.labelName(), e.metric(), e.outputName(),
                        e.batchSize(), e.warmupRuns(), e.latencyRuns(), false, e.calibration()),
                e -> new EvaluationSettings(e.validationData(), e.labelName(), e.metric(), e.outputName(),
                        e.batchSize(), e.warmupRuns(), e.latencyRuns(), e.requireValidation(),
                        new CalibrationSettings(false, calibration, 512)),
                e -> new EvaluationSettings(e.validationData(), e.labelName(), e.metric(), e.outputName(),
                        e.batchSize(), e.warmupRuns(), e.latencyRuns(), e.requireValidation(),
                        new CalibrationSettings(true, null, 512)),
                e -> new EvaluationSettings(e.validationData(), e.labelName(), e.metric(), e.outputName(),
                        e.batchSize(), e.warmupRuns(), e.latencyRuns(), e.requireValidation(),
                        new CalibrationSettings(true, calibration, 256)));
        List<UnaryOperator<ModelTask>> taskChanges = new java.util.ArrayList<>(changes.stream()
                .<UnaryOperator<ModelTask>>map(change -> t -> new ModelTask(t.file(), t.entryName(), t.pruning(),
                        change.apply(t.evaluation()), t.limits())).toList());
        taskChanges.add(t -> new ModelTask(t.file(), t.entryName(), t.pruning(), t.evaluation(),
                new GateLimits(0.95, 0.01)));
        taskChanges.add(t -> new ModelTask(t.file(), t.entryName(), t.pruning(), t.evaluation(),
                new GateLimits(0.9, null)));
        taskChanges.add(t -> new ModelTask(t.file(), "models/other.onnx", t.pruning(), t.evaluation(),
                t.limits()));
        assertAllDiffer(base, taskChanges);
    }

    @Test
    void runSettingsThatChangeTheResultChangeIt() throws Exception {
        String base = fingerprint();
        RunSettings s = settings();
        assertNotEquals(base, RunFingerprint.of(List.of(task()), new RunSettings(s.outputDirectory(), null, null,
                false, s.pluginVersion(), s.intraOpThreads(), s.entryTime())));
        assertNotEquals(base, RunFingerprint.of(List.of(task()), new RunSettings(s.outputDirectory(), null, null,
                true, "1.2.4", s.intraOpThreads(), s.entryTime())));
        assertNotEquals(base, RunFingerprint.of(List.of(task()), new RunSettings(s.outputDirectory(), null, null,
                true, s.pluginVersion(), 2, s.entryTime())));
        assertNotEquals(base, RunFingerprint.of(List.of(task(), task()), s));
    }

    @Test
    void anyModelByteChangesIt() throws Exception {
        String base = fingerprint();
        flipLastByte(model);
        assertNotEquals(base, fingerprint());
        flipLastByte(model);
        assertEquals(base, fingerprint());
    }

    @Test
    void anyValidationDataByteChangesIt() throws Exception {
        String base = fingerprint();
        flipLastByte(validation);
        assertNotEquals(base, fingerprint());
    }

    @Test
    void anyByteFileOrNameOfADataFolderChangesIt() throws Exception {
        Map<String, String> seen = new LinkedHashMap<>();
        seen.put("base", fingerprint());
        flipLastByte(calibration.resolve("sub/labels.npy"));
        seen.put("changed byte", fingerprint());
        flipLastByte(calibration.resolve("sub/labels.npy"));
        assertEquals(seen.get("base"), fingerprint());
        Files.writeString(calibration.resolve("notes.txt"), "x");
        seen.put("added file", fingerprint());
        Files.move(calibration.resolve("notes.txt"), calibration.resolve("sub/notes.txt"));
        seen.put("moved file", fingerprint());
        Files.delete(calibration.resolve("sub/notes.txt"));
        assertEquals(seen.get("base"), fingerprint());
        Files.delete(calibration.resolve("input.npy"));
        seen.put("deleted file", fingerprint());
        assertEquals(seen.size(), Set.copyOf(seen.values()).size(), seen::toString);
    }

    private void assertAllDiffer(String base, List<UnaryOperator<ModelTask>> changes) throws Exception {
        Set<String> fingerprints = new java.util.HashSet<>();
        fingerprints.add(base);
        for (int i = 0; i < changes.size(); i++) {
            assertTrue(fingerprints.add(fingerprint(changes.get(i))), "change " + i + " kept the fingerprint");
        }
    }

    private static void flipLastByte(Path file) throws Exception {
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 1] ^= 1;
        Files.write(file, bytes);
    }
}
