package io.github.onnxprune.pipeline;

import io.github.onnxprune.eval.EvaluationSetupException;
import io.github.onnxprune.report.ModelReport;
import io.github.onnxprune.report.ReportJson;
import io.github.onnxprune.ship.AtomicFiles;
import io.github.onnxprune.ship.JarRewriter;
import io.github.onnxprune.ship.ModelArchive;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A whole run over a project's models: process each, write report.json, and when every gate holds (or
 * violations are only warnings) write the pruned models and put them into the jar. When nothing the result
 * depends on changed since the last run ({@link RunFingerprint}), the stored result is used instead of
 * pruning and measuring again, and only the shipping is redone.
 */
public final class PruneRun {

    private PruneRun() {
    }

    /** Runs every task, or reuses the last run's result; the caller decides how to report violations. */
    public static RunOutcome execute(List<ModelTask> tasks, RunSettings settings) throws IOException {
        Path output = settings.outputDirectory();
        Path report = output.resolve("report.json");
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
                settings.intraOpThreads())) {
            for (ModelTask task : tasks) {
                try {
                    results.add(pipeline.process(task));
                } catch (EvaluationSetupException e) {
                    // The evaluator knows the output and the data, not which of the project's models it ran.
                    throw new EvaluationSetupException("Model " + task.entryName() + ": " + e.getMessage(), e);
                }
            }
        }
        List<ModelReport> reports = results.stream().map(ModelResult::report).toList();
        byte[] reportBytes = ReportJson.toBytes(settings.pluginVersion(), reports);
        AtomicFiles.write(report, reportBytes);
        RunOutcome outcome = ship(results, report, settings, fingerprint, false);
        if (fingerprint != null) {
            RunCache.store(output, fingerprint, results, reportBytes);
        }
        return outcome;
    }

    private static String fingerprint(List<ModelTask> tasks, RunSettings settings) {
        try {
            return RunFingerprint.of(tasks, settings);
        } catch (IOException e) {
            // The run itself will report the unreadable file with a clear message; it just cannot be reused.
            return null;
        }
    }

    /** Writes the models and puts them into the jar, unless a gate failed and that fails the build. */
    private static RunOutcome ship(List<ModelResult> results, Path report, RunSettings settings, String fingerprint,
            boolean reused) throws IOException {
        boolean violated = results.stream().anyMatch(r -> !r.passed());
        if (violated && settings.failOnViolation()) {
            return new RunOutcome(results, report, false, false, fingerprint, reused);
        }
        Map<String, byte[]> entries = new LinkedHashMap<>();
        for (ModelResult result : results) {
            Path target = RunCache.modelFile(settings.outputDirectory(), result.task());
            if (!Files.exists(target) || !Arrays.equals(Files.readAllBytes(target), result.prunedBytes())) {
                AtomicFiles.write(target, result.prunedBytes());
            }
            entries.put(result.task().entryName(), result.prunedBytes());
        }
        boolean jarChanged = false;
        if (settings.jar() != null) {
            // jar:jar may have rebuilt the jar from target/classes since the last run: rewriting is what puts the
            // pruned models back, and does nothing when the jar already holds them.
            Path target = settings.classifiedArtifact() != null ? settings.classifiedArtifact() : settings.jar();
            jarChanged = JarRewriter.rewrite(settings.jar(), target, entries);
        } else if (settings.classifiedArtifact() != null) {
            ModelArchive.write(settings.classifiedArtifact(), entries, settings.entryTime());
        }
        return new RunOutcome(results, report, true, jarChanged, fingerprint, reused);
    }
}
