package io.github.onnxprune.pipeline;

import io.github.onnxprune.eval.EvaluationException;
import io.github.onnxprune.eval.RuntimeUnavailableException;
import io.github.onnxprune.eval.ValidationDataException;
import io.github.onnxprune.onnx.InvalidModelException;
import io.github.onnxprune.eval.EvaluationSetupException;
import io.github.onnxprune.report.ModelReport;
import io.github.onnxprune.report.HtmlReport;
import io.github.onnxprune.report.ReportJson;
import io.github.onnxprune.ship.AtomicFiles;
import io.github.onnxprune.ship.ConfinedPaths;
import io.github.onnxprune.ship.JarRewriter;
import io.github.onnxprune.ship.ModelArchive;
import io.github.onnxprune.ship.OutputLock;
import io.github.onnxprune.ship.ShippingException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A whole run over a project's models: process each, write report.json, and when every gate holds (or
 * violations are only warnings) write the pruned models and put them into the jar. When nothing the result
 * depends on changed since the last run ({@link RunFingerprint}), the stored result is used instead of
 * pruning and measuring again, and only the shipping is redone. A run holds the output folder's
 * {@link OutputLock} throughout, and leaves the jar holding exactly what this run ships: entries an earlier run
 * pruned that this one does not are given their original bytes back ({@link ShippedEntries}).
 */
public final class PruneRun {

    /** How long a run waits for another build of the same module to release the output folder. */
    static final Duration LOCK_WAIT = Duration.ofMinutes(2);

    private PruneRun() {
    }

    /** Runs every task, or reuses the last run's result; the caller decides how to report violations. */
    public static RunOutcome execute(List<ModelTask> tasks, RunSettings settings) throws IOException {
        checkBeforeWriting(tasks, settings);
        Path output = settings.outputDirectory();
        try (OutputLock lock = OutputLock.acquire(output, LOCK_WAIT)) {
            deleteStaleTemporaries(settings);
            Path report = ConfinedPaths.resolve(output, "report.json");
            String fingerprint = fingerprint(tasks, settings);
            if (!settings.force()) {
                Optional<List<ModelResult>> stored = RunCache.load(output, fingerprint, tasks,
                        settings.failOnViolation());
                if (stored.isPresent()) {
                    return ship(stored.get(), report, settings, fingerprint, true);
                }
            }
            RunCache.invalidate(output);
            List<ModelResult> results = new ArrayList<>();
            try (ModelPruningPipeline pipeline = new ModelPruningPipeline(settings.pluginVersion(),
                    settings.intraOpThreads(), settings.progress())) {
                for (ModelTask task : tasks) {
                    results.add(process(pipeline, task));
                }
            }
            List<ModelReport> reports = results.stream().map(ModelResult::report).toList();
            byte[] reportBytes = ReportJson.toBytes(settings.pluginVersion(), reports);
            AtomicFiles.write(report, reportBytes);
            // Drawn from report.json as written, so the page never shows a figure the JSON does not hold.
            AtomicFiles.write(ConfinedPaths.resolve(output, "report.html"),
                    HtmlReport.toBytes(settings.pluginVersion(), ReportJson.read(reportBytes)));
            RunOutcome outcome = ship(results, report, settings, fingerprint, false);
            if (fingerprint != null) {
                RunCache.store(output, fingerprint, results, reportBytes);
            }
            return outcome;
        }
    }

    /**
     * For a run that prunes nothing (skip, no model found): gives every jar entry an earlier run replaced its
     * original bytes back. Writes nothing at all, not even the lock, when no earlier run replaced any.
     *
     * @return whether the jar was rewritten
     */
    public static boolean restoreOriginals(Path outputDirectory, Path jar) throws IOException {
        if (jar == null || !Files.isRegularFile(outputDirectory.resolve(ShippedEntries.FILE_NAME))) {
            return false;
        }
        try (OutputLock lock = OutputLock.acquire(outputDirectory, LOCK_WAIT)) {
            AtomicFiles.deleteStale(outputDirectory, true);
            AtomicFiles.deleteStale(jar.toAbsolutePath().getParent(), false);
            return reconcile(outputDirectory, jar, Map.of(), Map.of());
        }
    }

    /**
     * Refuses, before anything is written, entry names that could lead outside the output folder, one entry
     * twice, and a jar that lacks an entry it should get.
     */
    private static void checkBeforeWriting(List<ModelTask> tasks, RunSettings settings) throws IOException {
        Set<String> names = new HashSet<>();
        for (ModelTask task : tasks) {
            Optional<String> problem = ConfinedPaths.problem(task.entryName());
            if (problem.isPresent()) {
                throw new ShippingException("The model name '" + task.entryName() + "' " + problem.get()
                        + ": a model is named by its relative path inside the jar, e.g. models/classifier.onnx.");
            }
            if (!names.add(task.entryName())) {
                throw new ShippingException("The model " + task.entryName() + " is configured twice; give each"
                        + " model once.");
            }
        }
        if (settings.jar() != null) {
            List<String> missing = JarRewriter.missingEntries(settings.jar(), names);
            if (!missing.isEmpty()) {
                throw new ShippingException("The jar " + settings.jar() + " has no entry " + String.join(", ", missing)
                        + ", so the pruned model could not be shipped; nothing was written. onnx-prune replaces a"
                        + " model in the jar by its path under <modelDirectory>, which must be the jar's content"
                        + " root (${project.build.outputDirectory}, the default). Leave <modelDirectory> at its"
                        + " default, or check that the jar's <includes>/<excludes> keep the model.");
            }
        }
    }

    private static void deleteStaleTemporaries(RunSettings settings) throws IOException {
        AtomicFiles.deleteStale(settings.outputDirectory(), true);
        for (Path artifact : new Path[] {settings.jar(), settings.classifiedArtifact()}) {
            if (artifact != null) {
                AtomicFiles.deleteStale(artifact.toAbsolutePath().getParent(), false);
            }
        }
    }

    /** Lets the failures every check words for the user through; anything else names the model. */
    private static ModelResult process(ModelPruningPipeline pipeline, ModelTask task) throws IOException {
        try {
            return pipeline.process(task);
        } catch (InvalidModelException | ValidationDataException | RuntimeUnavailableException e) {
            throw e;
        } catch (EvaluationSetupException e) {
            // The evaluator knows the output and the data, not which of the project's models it ran.
            throw e.getMessage().contains(task.entryName()) ? e
                    : new EvaluationSetupException("Model " + task.entryName() + ": " + e.getMessage(), e);
        } catch (EvaluationException e) {
            // ONNX Runtime's words do not say which of several models it was running.
            throw e.getMessage().contains(task.entryName()) ? e
                    : new EvaluationException("Model " + task.entryName() + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new UnexpectedModelException(task, e);
        }
    }

    private static String fingerprint(List<ModelTask> tasks, RunSettings settings) {
        try {
            return RunFingerprint.of(tasks, settings);
        } catch (IOException e) {
            // The run itself will report the unreadable file with a clear message; it just cannot be reused.
            return null;
        }
    }

    /**
     * Writes the models and puts them into the jar, unless a gate failed and that fails the build; either way the
     * main jar ends up holding only what this run ships.
     */
    private static RunOutcome ship(List<ModelResult> results, Path report, RunSettings settings, String fingerprint,
            boolean reused) throws IOException {
        boolean violated = results.stream().anyMatch(r -> !r.passed());
        Path output = settings.outputDirectory();
        if (violated && settings.failOnViolation()) {
            if (settings.jar() != null) {
                reconcile(output, settings.jar(), Map.of(), Map.of());
            }
            return new RunOutcome(results, report, false, false, fingerprint, reused);
        }
        Map<String, byte[]> entries = new LinkedHashMap<>();
        Map<String, Path> originals = new LinkedHashMap<>();
        for (ModelResult result : results) {
            Path target = RunCache.modelFile(output, result.task());
            if (!Files.exists(target) || !Arrays.equals(Files.readAllBytes(target), result.prunedBytes())) {
                AtomicFiles.write(target, result.prunedBytes());
            }
            entries.put(result.task().entryName(), result.prunedBytes());
            originals.put(result.task().entryName(), result.task().file());
        }
        boolean jarChanged = false;
        if (settings.jar() != null) {
            // jar:jar may have rebuilt the jar from target/classes since the last run: rewriting is what puts the
            // pruned models back, and does nothing when the jar already holds them.
            if (settings.classifiedArtifact() != null) {
                reconcile(output, settings.jar(), Map.of(), Map.of());
                jarChanged = JarRewriter.rewrite(settings.jar(), settings.classifiedArtifact(), entries);
            } else {
                jarChanged = reconcile(output, settings.jar(), entries, originals);
            }
        } else if (settings.classifiedArtifact() != null) {
            ModelArchive.write(settings.classifiedArtifact(), entries, settings.entryTime());
        }
        return new RunOutcome(results, report, true, jarChanged, fingerprint, reused);
    }

    /**
     * Rewrites {@code jar} once so that it holds {@code pruned} and, for every entry an earlier run replaced and
     * this one does not, the original bytes again. The record of replaced entries covers both the old and the new
     * bytes while the rewrite is under way, so a run killed at any point leaves a record the next run can act on.
     *
     * @return whether the jar changed
     */
    private static boolean reconcile(Path output, Path jar, Map<String, byte[]> pruned, Map<String, Path> originals)
            throws IOException {
        Path recordFile = ConfinedPaths.resolve(output, ShippedEntries.FILE_NAME);
        ShippedEntries previous = ShippedEntries.read(recordFile, jar);
        Map<String, byte[]> replacements = new LinkedHashMap<>(pruned);
        for (ShippedEntries.Entry entry : previous.entries()) {
            if (pruned.containsKey(entry.name()) || replacements.containsKey(entry.name())) {
                continue;
            }
            byte[] current = JarRewriter.read(jar, entry.name());
            if (current == null || !RunFingerprint.sha256(current).equals(entry.sha256())) {
                continue;
            }
            if (!Files.isRegularFile(entry.original())) {
                throw new ShippingException("The jar " + jar + " still holds the model " + entry.name()
                        + " as an earlier onnx-prune run pruned it, and its original " + entry.original()
                        + " no longer exists to put back. Run mvn clean package to rebuild the jar.");
            }
            replacements.put(entry.name(), Files.readAllBytes(entry.original()));
        }
        List<ShippedEntries.Entry> now = new ArrayList<>();
        for (Map.Entry<String, byte[]> model : pruned.entrySet()) {
            now.add(new ShippedEntries.Entry(model.getKey(), RunFingerprint.sha256(model.getValue()),
                    originals.get(model.getKey())));
        }
        if (replacements.isEmpty()) {
            new ShippedEntries(jar, now).write(recordFile);
            return false;
        }
        List<ShippedEntries.Entry> during = new ArrayList<>(previous.entries());
        during.addAll(now);
        new ShippedEntries(jar, during).write(recordFile);
        boolean changed = JarRewriter.rewrite(jar, jar, replacements);
        new ShippedEntries(jar, now).write(recordFile);
        return changed;
    }
}
