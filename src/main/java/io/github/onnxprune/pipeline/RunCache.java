package io.github.onnxprune.pipeline;

import io.github.onnxprune.onnx.ModelBytes;
import io.github.onnxprune.report.ModelReport;
import io.github.onnxprune.report.ReportJson;
import io.github.onnxprune.ship.AtomicFiles;
import io.github.onnxprune.ship.ConfinedPaths;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The last run's result under the output folder, reused when nothing it depends on changed. A {@code fingerprint}
 * file, written last and atomically, holds the run's {@link RunFingerprint}, the SHA-256 of report.json and of
 * each model's bytes as shipped; a stored result is used only when all of them still match, so a missing,
 * edited or half-written file means running again, never shipping something else.
 */
final class RunCache {

    static final String FILE_NAME = "fingerprint";

    private static final String HEADER = "onnx-prune result 1";

    private RunCache() {
    }

    /**
     * The stored results when {@code fingerprint} matches the stored one and every file checks out; empty
     * otherwise. Results whose gate failed while violations fail the build carry no model bytes: nothing of
     * them is shipped.
     */
    static Optional<List<ModelResult>> load(Path outputDirectory, String fingerprint, List<ModelTask> tasks,
            boolean failOnViolation, KnownDigests known, ModelDigests digests) {
        try {
            Path file = outputDirectory.resolve(FILE_NAME);
            if (fingerprint == null || !Files.isRegularFile(file)) {
                return Optional.empty();
            }
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (lines.size() < 3 || !lines.get(0).equals(HEADER) || !lines.get(1).equals("run " + fingerprint)
                    || !lines.get(2).startsWith("report ")) {
                return Optional.empty();
            }
            byte[] reportBytes = Files.readAllBytes(outputDirectory.resolve("report.json"));
            if (!lines.get(2).equals("report " + RunFingerprint.sha256(reportBytes))) {
                return Optional.empty();
            }
            Map<String, StoredModel> stored = new LinkedHashMap<>();
            for (String line : lines.subList(3, lines.size())) {
                String[] parts = line.split(" ", 4);
                if (parts.length != 4 || !parts[0].equals("model")) {
                    return Optional.empty();
                }
                stored.put(parts[3], new StoredModel(parts[1], parts[2].equals("unchanged")));
            }
            List<ModelReport> reports = ReportJson.read(reportBytes);
            if (reports.size() != tasks.size() || stored.size() != tasks.size()) {
                return Optional.empty();
            }
            boolean ships = !failOnViolation || reports.stream().allMatch(r -> r.violations().isEmpty());
            List<ModelResult> results = new ArrayList<>();
            for (int i = 0; i < tasks.size(); i++) {
                ModelTask task = tasks.get(i);
                StoredModel model = stored.get(task.entryName());
                if (model == null || !reports.get(i).model().equals(task.entryName())) {
                    return Optional.empty();
                }
                ByteBuffer bytes = ByteBuffer.allocate(0).asReadOnlyBuffer();
                if (ships) {
                    Path storedFile = modelFile(outputDirectory, task);
                    ByteBuffer mapped = ModelBytes.map(storedFile);
                    // A stored model whose stamp is unchanged since it was written is not read again.
                    String sha256 = known.ifUnchanged(storedFile).orElseGet(() -> digests.of(mapped));
                    if (!sha256.equals(model.sha256())) {
                        return Optional.empty();
                    }
                    digests.remember(mapped, sha256);
                    bytes = mapped;
                }
                results.add(new ModelResult(task, bytes, reports.get(i), model.unchanged(), 0));
            }
            return Optional.of(results);
        } catch (IOException | RuntimeException e) {
            // Whatever is unreadable or inconsistent, the run simply happens again.
            return Optional.empty();
        }
    }

    /** Forgets the stored result, before a run starts to overwrite it. */
    static void invalidate(Path outputDirectory) throws IOException {
        Files.deleteIfExists(ConfinedPaths.resolve(outputDirectory, FILE_NAME));
    }

    /** Records a finished run; call after report.json and (when shipped) the models are written. */
    static void store(Path outputDirectory, String fingerprint, List<ModelResult> results, byte[] reportBytes,
            ModelDigests digests) throws IOException {
        StringBuilder text = new StringBuilder();
        text.append(HEADER).append('\n');
        text.append("run ").append(fingerprint).append('\n');
        text.append("report ").append(RunFingerprint.sha256(reportBytes)).append('\n');
        for (ModelResult result : results) {
            text.append("model ").append(digests.of(result.prunedBytes()))
                    .append(result.alreadyPruned() ? " unchanged " : " pruned ")
                    .append(result.task().entryName()).append('\n');
        }
        AtomicFiles.write(ConfinedPaths.resolve(outputDirectory, FILE_NAME),
                text.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Where a run writes a model's shipped bytes. */
    static Path modelFile(Path outputDirectory, ModelTask task) throws IOException {
        return ConfinedPaths.resolve(outputDirectory, "models/" + task.entryName());
    }

    private record StoredModel(String sha256, boolean unchanged) {
    }
}
