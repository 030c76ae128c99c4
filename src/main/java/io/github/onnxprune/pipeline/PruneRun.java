package io.github.onnxprune.pipeline;

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

/**
 * A whole run over a project's models: process each, write report.json, and when every gate holds (or
 * violations are only warnings) write the pruned models and put them into the jar.
 */
public final class PruneRun {

    private PruneRun() {
    }

    /** Runs every task; the caller decides how to report violations. */
    public static RunOutcome execute(List<ModelTask> tasks, RunSettings settings) throws IOException {
        List<ModelResult> results = new ArrayList<>();
        try (ModelPruningPipeline pipeline = new ModelPruningPipeline(settings.pluginVersion(),
                settings.intraOpThreads())) {
            for (ModelTask task : tasks) {
                results.add(pipeline.process(task));
            }
        }
        List<ModelReport> reports = results.stream().map(ModelResult::report).toList();
        Path report = settings.outputDirectory().resolve("report.json");
        AtomicFiles.write(report, ReportJson.toBytes(settings.pluginVersion(), reports));

        boolean violated = results.stream().anyMatch(r -> !r.passed());
        if (violated && settings.failOnViolation()) {
            return new RunOutcome(results, report, false, false);
        }
        Map<String, byte[]> entries = new LinkedHashMap<>();
        Path models = settings.outputDirectory().resolve("models");
        for (ModelResult result : results) {
            Path target = models.resolve(result.task().entryName());
            if (!Files.exists(target) || !Arrays.equals(Files.readAllBytes(target), result.prunedBytes())) {
                AtomicFiles.write(target, result.prunedBytes());
            }
            entries.put(result.task().entryName(), result.prunedBytes());
        }
        boolean jarChanged = false;
        if (settings.jar() != null) {
            Path target = settings.classifiedArtifact() != null ? settings.classifiedArtifact() : settings.jar();
            jarChanged = JarRewriter.rewrite(settings.jar(), target, entries);
        } else if (settings.classifiedArtifact() != null) {
            ModelArchive.write(settings.classifiedArtifact(), entries, settings.entryTime());
        }
        return new RunOutcome(results, report, true, jarChanged);
    }
}
