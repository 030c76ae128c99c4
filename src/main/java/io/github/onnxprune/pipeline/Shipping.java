package io.github.onnxprune.pipeline;

import io.github.onnxprune.onnx.ModelBytes;
import io.github.onnxprune.ship.AtomicFiles;
import io.github.onnxprune.ship.ChunksAhead;
import io.github.onnxprune.ship.ConfinedPaths;
import io.github.onnxprune.ship.JarRewriter;
import io.github.onnxprune.ship.KeptArchives;
import io.github.onnxprune.ship.ModelArchive;
import io.github.onnxprune.ship.ShippingException;
import io.github.onnxprune.ship.TaskResults;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * A run's shipping, under its output lock: the models written to the output folder and put into every archive
 * that ships them, and the originals put back into entries an earlier run replaced and this one does not.
 */
final class Shipping {

    private Shipping() {
    }

    /**
     * Writes the models and puts them into the archives, unless a gate failed and that fails the build; either way
     * the archives end up holding only what this run ships. The entries are deflated with the chunks {@code ahead}
     * deflated from the originals while they were pruned ({@link ChunksAhead#NONE}: none).
     */
    static RunOutcome ship(List<ModelResult> results, Path report, RunSettings settings,
            List<ShipTarget> targets, String fingerprint, boolean reused, ModelDigests digests, KnownDigests known,
            ChunksAhead ahead) throws IOException {
        boolean violated = results.stream().anyMatch(r -> !r.passed());
        Path output = settings.outputDirectory();
        if (violated && settings.failOnViolation()) {
            reconcile(output, targets, Map.of(), Map.of(), digests, known, ahead);
            return new RunOutcome(results, report, false, false, fingerprint, reused, List.of());
        }
        Map<String, ByteBuffer> entries = new LinkedHashMap<>();
        Map<String, Path> originals = new LinkedHashMap<>();
        for (ModelResult result : results) {
            entries.put(result.task().entryName(), result.prunedBytes());
            originals.put(result.task().entryName(), result.task().file());
        }
        // The models' SHA-256 and their files are done on other threads while the jar entries are deflated: the
        // jar rewrite needs the digests only for the record it writes just before it replaces the jar.
        digests.computeBeside(entries.values());
        FutureTask<Void> writing = new FutureTask<>(() -> {
            writeModelFiles(results, output, digests, known);
            return null;
        });
        Thread writer = new Thread(writing, "onnx-prune-model-files");
        writer.setDaemon(true);
        writer.start();
        try {
            RunOutcome outcome = shipEntries(results, report, settings, targets, fingerprint, reused, digests, known,
                    entries, originals, ahead);
            awaitWriting(writing);
            return outcome;
        } finally {
            // Nothing may write into the output folder once the run lets its lock go.
            awaitQuietly(writing);
        }
    }

    /** Writes each shipped model to the output folder, unless its file holds those bytes already. */
    private static void writeModelFiles(List<ModelResult> results, Path output, ModelDigests digests,
            KnownDigests known) throws IOException {
        for (ModelResult result : results) {
            Path target = RunCache.modelFile(output, result.task());
            String sha256 = digests.of(result.prunedBytes());
            // A file whose stamp is unchanged since this plugin wrote these bytes into it is not read again.
            if (known.ifUnchanged(target).filter(sha256::equals).isEmpty()) {
                if (!AtomicFiles.holds(target, result.prunedBytes())) {
                    AtomicFiles.write(target, result.prunedBytes());
                }
                known.written(target, sha256);
            }
        }
    }

    private static void awaitWriting(FutureTask<Void> writing) throws IOException {
        TaskResults.get(writing, "writing the models");
    }

    private static void awaitQuietly(FutureTask<Void> writing) {
        boolean interrupted = false;
        while (!writing.isDone()) {
            try {
                writing.get();
            } catch (InterruptedException e) {
                interrupted = true;
            } catch (ExecutionException | CancellationException e) {
                // Reported by awaitWriting, or a failure of the shipping itself is already on its way.
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static RunOutcome shipEntries(List<ModelResult> results, Path report, RunSettings settings,
            List<ShipTarget> targets, String fingerprint, boolean reused, ModelDigests digests, KnownDigests known,
            Map<String, ByteBuffer> entries, Map<String, Path> originals, ChunksAhead ahead) throws IOException {
        Path output = settings.outputDirectory();
        boolean jarChanged = false;
        List<ShipTarget> inPlace = List.of();
        if (settings.classifiedArtifact() != null) {
            reconcile(output, targets, Map.of(), Map.of(), digests, known, ahead);
            if (settings.jar() != null) {
                String root = targets.get(0).root();
                Map<String, ByteBuffer> rooted = new LinkedHashMap<>();
                entries.forEach((name, bytes) -> rooted.put(root + name, bytes));
                jarChanged = JarRewriter.rewrite(settings.jar(), settings.classifiedArtifact(), rooted, List.of(),
                        () -> { }, ahead);
            } else {
                ModelArchive.write(settings.classifiedArtifact(), entries, settings.entryTime());
            }
        } else {
            // jar:jar may have rebuilt the jar from target/classes since the last run: rewriting is what puts the
            // pruned models back, and does nothing when the archives already hold them.
            jarChanged = reconcile(output, targets, entries, originals, digests, known, ahead);
            inPlace = targets;
        }
        return new RunOutcome(results, report, true, jarChanged, fingerprint, reused, inPlace);
    }

    /**
     * Keeps the archive as the jar tool built it ({@link KeptArchives}) when each entry about to be pruned in it
     * still holds its original's bytes (length and CRC-32), so that a later run can put those originals back by
     * copying.
     */
    private static void keepIfAsBuilt(Path output, Path archive, Map<String, Path> originals) throws IOException {
        if (originals.isEmpty() || originals.containsValue(null)) {
            return;
        }
        Map<String, ByteBuffer> contents = new LinkedHashMap<>();
        for (Map.Entry<String, Path> original : originals.entrySet()) {
            if (!Files.isRegularFile(original.getValue())) {
                return;
            }
            contents.put(original.getKey(), ModelBytes.map(original.getValue()));
        }
        if (JarRewriter.holdsLengthsAndCrcs(archive, contents)) {
            KeptArchives.keep(output, archive, KeptArchives.Role.BUILT);
        }
    }

    /**
     * Rewrites each archive once so that it holds {@code pruned} under its root and, for every entry an earlier
     * run replaced in it (or in an archive it no longer ships into) and this one does not, the original bytes
     * again. The record of replaced entries covers both the old and the new bytes while the rewrites are under
     * way, so a run killed at any point leaves a record the next run can act on.
     *
     * Chunks {@code ahead} deflated from the same bytes are taken from there.
     *
     * @return whether any archive changed
     */
    static boolean reconcile(Path output, List<ShipTarget> targets, Map<String, ByteBuffer> pruned,
            Map<String, Path> originals, ModelDigests digests, KnownDigests known, ChunksAhead ahead)
            throws IOException {
        Path recordFile = ConfinedPaths.resolve(output, ShippedEntries.FILE_NAME);
        ShippedEntries previous = ShippedEntries.read(recordFile);
        Map<Path, Map<String, ByteBuffer>> replacements = new LinkedHashMap<>();
        // Per archive, the pruned entries it gets (restored originals are not hashed) and their originals' files.
        Map<Path, Map<String, ByteBuffer>> prunedEntries = new LinkedHashMap<>();
        Map<Path, Map<String, Path>> originalFiles = new LinkedHashMap<>();
        for (ShipTarget target : targets) {
            Map<String, ByteBuffer> inArchive = replacements.computeIfAbsent(target.archive(),
                    a -> new LinkedHashMap<>());
            for (Map.Entry<String, ByteBuffer> model : pruned.entrySet()) {
                String name = target.root() + model.getKey();
                inArchive.put(name, model.getValue());
                prunedEntries.computeIfAbsent(target.archive(), a -> new LinkedHashMap<>())
                        .put(name, model.getValue());
                originalFiles.computeIfAbsent(target.archive(), a -> new LinkedHashMap<>())
                        .put(name, originals.get(model.getKey()));
            }
        }
        for (ShippedEntries.Entry entry : previous.entries()) {
            Map<String, ByteBuffer> inArchive = replacements.computeIfAbsent(entry.archive(),
                    a -> new LinkedHashMap<>());
            if (inArchive.containsKey(entry.name()) || !Files.isRegularFile(entry.archive())) {
                continue;
            }
            String current = known.entryIfUnchanged(entry.archive(), entry.name()).orElse(null);
            if (current == null) {
                current = JarRewriter.sha256(entry.archive(), entry.name());
            }
            if (current == null || !current.equals(entry.sha256())) {
                continue;
            }
            if (!Files.isRegularFile(entry.original())) {
                throw new ShippingException("The jar " + entry.archive() + " still holds the model " + entry.name()
                        + " as an earlier onnx-prune run pruned it, and its original " + entry.original()
                        + " no longer exists to put back. Run mvn clean package to rebuild the jar.");
            }
            inArchive.put(entry.name(), ModelBytes.map(entry.original()));
        }
        replacements.values().removeIf(Map::isEmpty);
        // An archive whose stamp shows it unchanged since this plugin wrote the same pruned entries is not read.
        replacements.entrySet().removeIf(archive -> archive.getValue().keySet().stream().allMatch(name -> {
            ByteBuffer expected = prunedEntries.getOrDefault(archive.getKey(), Map.of()).get(name);
            // Hashed only when the stamp shows the archive unchanged since an entry of that name was written.
            return expected != null && known.entryIfUnchanged(archive.getKey(), name)
                    .filter(sha256 -> sha256.equals(digests.of(expected))).isPresent();
        }));
        if (replacements.isEmpty()) {
            new ShippedEntries(shippedNow(prunedEntries, originalFiles, digests)).write(recordFile);
            return false;
        }
        // Written once the first new archive is on the disk and before it replaces the old one, so the record
        // covers both the old and the new bytes whenever either can be found in an archive.
        boolean[] recorded = {false};
        AtomicFiles.BeforeMove recordDuring = () -> {
            if (!recorded[0]) {
                List<ShippedEntries.Entry> during = new ArrayList<>(previous.entries());
                during.addAll(shippedNow(prunedEntries, originalFiles, digests));
                new ShippedEntries(during).write(recordFile);
                recorded[0] = true;
            }
        };
        boolean changed = false;
        for (Map.Entry<Path, Map<String, ByteBuffer>> archive : replacements.entrySet()) {
            Path file = archive.getKey();
            Map<String, ByteBuffer> written = prunedEntries.getOrDefault(file, Map.of());
            keepIfAsBuilt(output, file, originalFiles.getOrDefault(file, Map.of()));
            boolean rewritten = JarRewriter.rewrite(file, file, archive.getValue(), KeptArchives.keptFor(output, file),
                    recordDuring, ahead);
            if (rewritten) {
                known.forgetEntries(file);
                if (!written.isEmpty()) {
                    KeptArchives.keep(output, file, KeptArchives.Role.SHIPPED);
                }
            }
            written.forEach((name, bytes) -> known.entryWritten(file, name, digests.of(bytes)));
            changed |= rewritten;
        }
        new ShippedEntries(shippedNow(prunedEntries, originalFiles, digests)).write(recordFile);
        return changed;
    }

    /** The record of what this run ships where: each pruned entry by its SHA-256 and its original's file. */
    private static List<ShippedEntries.Entry> shippedNow(Map<Path, Map<String, ByteBuffer>> prunedEntries,
            Map<Path, Map<String, Path>> originalFiles, ModelDigests digests) {
        List<ShippedEntries.Entry> now = new ArrayList<>();
        prunedEntries.forEach((archive, entries) -> entries.forEach((name, bytes) -> now.add(
                new ShippedEntries.Entry(archive, name, digests.of(bytes), originalFiles.get(archive).get(name)))));
        return now;
    }
}
