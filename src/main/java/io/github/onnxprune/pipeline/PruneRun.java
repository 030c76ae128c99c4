package io.github.onnxprune.pipeline;

import io.github.onnxprune.eval.EvaluationException;
import io.github.onnxprune.eval.RuntimeUnavailableException;
import io.github.onnxprune.eval.ValidationDataException;
import io.github.onnxprune.onnx.InvalidModelException;
import io.github.onnxprune.onnx.OnnxModelReader;
import io.github.onnxprune.eval.EvaluationSetupException;
import io.github.onnxprune.report.FileSizes;
import io.github.onnxprune.report.ModelReport;
import io.github.onnxprune.report.HtmlReport;
import io.github.onnxprune.report.ReportJson;
import io.github.onnxprune.ship.ArchiveLayout;
import io.github.onnxprune.ship.AtomicFiles;
import io.github.onnxprune.ship.ChunksAhead;
import io.github.onnxprune.ship.ConfinedPaths;
import io.github.onnxprune.ship.JarRewriter;
import io.github.onnxprune.ship.OutputLock;
import io.github.onnxprune.ship.ShippingException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * A whole run over a project's models: process each, when every gate holds (or violations are only warnings)
 * write the pruned models and put them into the jar, then write report.json (with sizes read from the jar). When
 * nothing the result depends on changed since the last run ({@link RunFingerprint}), the stored result is used instead
 * of pruning and measuring again, and only the shipping is redone. A run holds the output folder's {@link OutputLock}
 * throughout, and leaves the jar holding exactly what this run ships: entries an earlier run pruned that this one does
 * not are given their original bytes back ({@link ShippedEntries}, {@link Shipping}).
 */
public final class PruneRun {

    /** How long a run waits for another build of the same module to release the output folder. */
    static final Duration LOCK_WAIT = Duration.ofMinutes(2);

    /** The output folder's subfolder where a re-fit keeps calibration values its heap has no room for. */
    static final String SCRATCH_FOLDER = "calibration-scratch";

    private PruneRun() {
    }

    /**
     * Deletes the scratch folder and what a killed run left in it (its files are written by one run only, under
     * the output lock). A file that cannot be deleted now stays for the next run to try: it fails no build.
     */
    private static void deleteScratch(Path folder) {
        if (!Files.isDirectory(folder)) {
            return;
        }
        try (java.util.stream.Stream<Path> files = Files.list(folder)) {
            for (Path file : files.toList()) {
                Files.deleteIfExists(file);
            }
            Files.deleteIfExists(folder);
        } catch (IOException e) {
            // Left for the next run.
        }
    }

    /** Runs every task, or reuses the last run's result; the caller decides how to report violations. */
    public static RunOutcome execute(List<ModelTask> tasks, RunSettings settings) throws IOException {
        // No stored result to reuse, so the run reads each model soon: their classes load meanwhile.
        Thread preload = settings.force() || !Files.isRegularFile(settings.outputDirectory()
                .resolve(RunCache.FILE_NAME)) ? OnnxModelReader.preload() : null;
        try {
            return run(tasks, settings);
        } finally {
            // Maven closes the plugin's class realm when the goal ends, even when it fails at once: a thread still
            // loading classes from it then would fail with NoClassDefFoundError.
            awaitEnd(preload);
        }
    }

    private static void awaitEnd(Thread thread) {
        if (thread == null) {
            return;
        }
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static RunOutcome run(List<ModelTask> tasks, RunSettings settings) throws IOException {
        List<ShipTarget> targets = checkBeforeWriting(tasks, settings);
        Path output = settings.outputDirectory();
        // The originals' chunks are deflated while they are pruned, for the jar rewrite to take those left unchanged.
        try (OutputLock lock = OutputLock.acquire(output, LOCK_WAIT);
                ChunksAhead ahead = settings.jar() != null ? ChunksAhead.forRun() : ChunksAhead.NONE) {
            deleteStaleTemporaries(settings);
            Path report = ConfinedPaths.resolve(output, "report.json");
            KnownDigests known = KnownDigests.read(output);
            FutureTask<String> fingerprinting = new FutureTask<>(() -> fingerprint(tasks, settings, known));
            List<ModelResult> results = new ArrayList<>();
            try {
                // A stored result can only be reused when one exists (never after mvn clean).
                boolean lookUp = !settings.force() && Files.isRegularFile(output.resolve(RunCache.FILE_NAME));
                if (lookUp) {
                    fingerprinting.run();
                    ModelDigests digests = new ModelDigests();
                    Optional<List<ModelResult>> stored = RunCache.load(output, await(fingerprinting), tasks,
                            settings.failOnViolation(), known, digests);
                    if (stored.isPresent()) {
                        RunOutcome reused = Shipping.ship(stored.get(), report, settings, targets,
                                await(fingerprinting), true, digests, known, ChunksAhead.NONE);
                        known.write(output);
                        return reused;
                    }
                } else {
                    // Nothing is looked up by it, so the model's SHA-256 is hashed on a second core while the
                    // first prunes; it is needed only to store the result for the next run.
                    Thread hashing = new Thread(fingerprinting, "onnx-prune-fingerprint");
                    hashing.setDaemon(true);
                    hashing.start();
                }
                RunCache.invalidate(output);
                deleteScratch(output.resolve(SCRATCH_FOLDER));
                // Calibration values without room on the heap wait in the execution's own folder, not in /tmp.
                try (ModelPruningPipeline pipeline = new ModelPruningPipeline(settings.pluginVersion(),
                        settings.intraOpThreads(), settings.progress(), output.resolve(SCRATCH_FOLDER),
                        settings.debug())) {
                    // The jar as jar:jar built it already holds each original deflated: its entry gives that size.
                    ShipTarget builtJar = settings.jar() != null ? targets.get(0) : null;
                    for (ModelTask task : tasks) {
                        results.add(process(pipeline, task, builtJar, ahead));
                    }
                } finally {
                    deleteScratch(output.resolve(SCRATCH_FOLDER));
                }
            } catch (IOException | RuntimeException | Error e) {
                // A run that failed leaves no thread reading the project's files.
                fingerprinting.cancel(true);
                throw e;
            }
            ModelDigests digests = new ModelDigests();
            // Shipped before the report is written: the jar rewrite deflates each pruned model anyway, so the
            // report reads the pruned model's deflated size from the entry written instead of deflating the
            // model a second time. A run stopped in between
            // leaves no stale report to trust: the cache was invalidated above, so the next run redoes it all.
            // The fingerprint is only stored, after the report: the shipping does not wait for its hashing.
            RunOutcome shipped;
            try {
                shipped = Shipping.ship(results, report, settings, targets, null, false, digests, known, ahead);
            } catch (IOException | RuntimeException | Error e) {
                fingerprinting.cancel(true);
                throw e;
            }
            String fingerprint = await(fingerprinting);
            settings.debug().accept(ahead.startedChunks() + " chunks were deflated ahead (the originals' while they"
                    + " were pruned, then the shipped models'), " + ahead.takenChunks() + " used in the archives'"
                    + " entries");
            results = withPrunedDeflatedSizes(results, settings, targets);
            List<ModelReport> reports = results.stream().map(ModelResult::report).toList();
            byte[] reportBytes = ReportJson.toBytes(settings.pluginVersion(), reports);
            AtomicFiles.write(report, reportBytes);
            // Drawn from report.json as written, so the page never shows a figure the JSON does not hold.
            AtomicFiles.write(ConfinedPaths.resolve(output, "report.html"),
                    HtmlReport.toBytes(settings.pluginVersion(), ReportJson.read(reportBytes)));
            if (fingerprint != null) {
                RunCache.store(output, fingerprint, results, reportBytes, digests);
            }
            known.write(output);
            return new RunOutcome(results, shipped.report(), shipped.shipped(), shipped.jarChanged(),
                    fingerprint, shipped.reused(), shipped.targets());
        }
    }

    /**
     * For a run that prunes nothing (skip, no model found): gives every archive entry an earlier run replaced its
     * original bytes back. Writes nothing at all, not even the lock, when no earlier run replaced any.
     *
     * @param jar the project's archive as built now, or null; its folder's stale temporary files are removed
     * @return whether an archive was rewritten
     */
    public static boolean restoreOriginals(Path outputDirectory, Path jar) throws IOException {
        if (!Files.isRegularFile(outputDirectory.resolve(ShippedEntries.FILE_NAME))) {
            return false;
        }
        try (OutputLock lock = OutputLock.acquire(outputDirectory, LOCK_WAIT)) {
            AtomicFiles.deleteStale(outputDirectory, true);
            Set<Path> folders = new LinkedHashSet<>();
            if (jar != null) {
                folders.add(jar.toAbsolutePath().getParent());
            }
            ShippedEntries.read(ConfinedPaths.resolve(outputDirectory, ShippedEntries.FILE_NAME)).archives()
                    .forEach(archive -> folders.add(archive.getParent()));
            for (Path folder : folders) {
                if (Files.isDirectory(folder)) {
                    AtomicFiles.deleteStale(folder, false);
                }
            }
            KnownDigests known = KnownDigests.read(outputDirectory);
            boolean changed = Shipping.reconcile(outputDirectory, List.of(), Map.of(), Map.of(), new ModelDigests(),
                    known, ChunksAhead.NONE);
            known.write(outputDirectory);
            return changed;
        }
    }

    /**
     * Refuses, before anything is written, entry names that could lead outside the output folder, one entry
     * twice, and a jar or war that lacks an entry it should get.
     *
     * @return the archives to ship into in place: the jar (under whichever root holds the models) and every other
     *     archive that holds them all
     */
    private static List<ShipTarget> checkBeforeWriting(List<ModelTask> tasks, RunSettings settings)
            throws IOException {
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
        List<ShipTarget> targets = new ArrayList<>();
        if (settings.jar() != null) {
            Optional<String> root = ArchiveLayout.rootOf(settings.jar(), names);
            if (root.isEmpty()) {
                List<String> missing = JarRewriter.missingEntries(settings.jar(), names);
                throw new ShippingException("The jar " + settings.jar() + " has no entry " + String.join(", ", missing)
                        + ", so the pruned model could not be shipped; nothing was written. onnx-prune replaces a"
                        + " model in the jar by its path under <modelDirectory>, which must be the jar's content"
                        + " root (${project.build.outputDirectory}, the default), found at the jar's root, under"
                        + " BOOT-INF/classes/ (Spring Boot) or under WEB-INF/classes/ (war). Leave <modelDirectory>"
                        + " at its default, or check that the jar's <includes>/<excludes> keep the model.");
            }
            targets.add(new ShipTarget(settings.jar(), root.get()));
        }
        for (Path archive : settings.otherArchives()) {
            if (Files.isRegularFile(archive) && targets.stream().noneMatch(t -> t.archive()
                    .equals(archive.toAbsolutePath().normalize()))) {
                Optional<String> root = ArchiveLayout.rootOf(archive, names);
                if (root.isPresent()) {
                    targets.add(new ShipTarget(archive, root.get()));
                }
            }
        }
        return targets;
    }

    private static void deleteStaleTemporaries(RunSettings settings) throws IOException {
        AtomicFiles.deleteStale(settings.outputDirectory(), true);
        Set<Path> folders = new LinkedHashSet<>();
        List<Path> artifacts = new ArrayList<>(settings.otherArchives());
        artifacts.add(settings.jar());
        artifacts.add(settings.classifiedArtifact());
        for (Path artifact : artifacts) {
            if (artifact != null) {
                folders.add(artifact.toAbsolutePath().getParent());
            }
        }
        for (Path folder : folders) {
            AtomicFiles.deleteStale(folder, false);
        }
    }

    /**
     * Fills in each pruned model's deflated size the pipeline left for shipping: the compressed size of the
     * entry that holds exactly those bytes in the jar (or its classified copy), which the jar rewrite deflated
     * just as {@link FileSizes#deflatedSize} does; a model that was not shipped (a failed
     * gate) or whose entry is stored is deflated here.
     */
    private static List<ModelResult> withPrunedDeflatedSizes(List<ModelResult> results, RunSettings settings,
            List<ShipTarget> targets) throws IOException {
        List<ModelResult> filled = new ArrayList<>();
        for (ModelResult result : results) {
            FileSizes sizes = result.report().sizes();
            if (sizes.deflatedAfter() != FileSizes.NOT_YET_DEFLATED) {
                filled.add(result);
                continue;
            }
            String name = result.task().entryName();
            OptionalLong deflated = OptionalLong.empty();
            String root = targets.isEmpty() ? "" : targets.get(0).root();
            for (Path archive : Arrays.asList(settings.jar(), settings.classifiedArtifact())) {
                if (deflated.isEmpty() && archive != null && Files.isRegularFile(archive)) {
                    deflated = JarRewriter.compressedSize(archive, root + name, result.prunedBytes());
                }
            }
            long size = deflated.isPresent() ? deflated.getAsLong() : FileSizes.deflatedSize(result.prunedBytes());
            filled.add(new ModelResult(result.task(), result.prunedBytes(),
                    result.report().withSizes(sizes.withDeflatedAfter(size)), result.alreadyPruned()));
        }
        return filled;
    }

    /** Lets the failures every check words for the user through; anything else names the model. */
    private static ModelResult process(ModelPruningPipeline pipeline, ModelTask task, ShipTarget builtJar,
            ChunksAhead ahead) throws IOException {
        try {
            return pipeline.process(task, builtJar, ahead);
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
        } catch (OutOfMemoryError e) {
            // The arrays that filled the heap are unreachable once the stack has unwound, so wording it is safe.
            throw new HeapExhaustedException(task, Runtime.getRuntime().maxMemory(), e);
        }
    }

    /** The fingerprint hashed by {@code fingerprinting}, which has run or is running; null when it was cancelled. */
    private static String await(FutureTask<String> fingerprinting) {
        try {
            return fingerprinting.get();
        } catch (CancellationException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (ExecutionException e) {
            // An Error while hashing (OutOfMemoryError, a mapped file's InternalError) stays itself, as in
            // ModelDigests.
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw e.getCause() instanceof RuntimeException runtime ? runtime : new IllegalStateException(e.getCause());
        }
    }

    private static String fingerprint(List<ModelTask> tasks, RunSettings settings, KnownDigests known) {
        try {
            return RunFingerprint.of(tasks, settings, known);
        } catch (IOException e) {
            // The run itself will report the unreadable file with a clear message; it just cannot be reused.
            return null;
        }
    }
}
