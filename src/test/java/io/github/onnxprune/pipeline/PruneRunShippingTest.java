package io.github.onnxprune.pipeline;

import static io.github.onnxprune.Fixtures.fixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.onnxprune.gate.GateLimits;
import io.github.onnxprune.onnx.ModelBytes;
import io.github.onnxprune.report.FileSizes;
import io.github.onnxprune.ship.ChunkedDeflate;
import io.github.onnxprune.ship.JarRewriter;
import io.github.onnxprune.ship.KeptArchives;
import io.github.onnxprune.ship.ShippingException;
import java.nio.ByteBuffer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a run writes and where: nothing before the jar is known to take every model, nothing outside the output
 * folder, and a jar that always holds exactly what the current configuration ships (issue 8, defects 1 and 7).
 */
class PruneRunShippingTest {

    @TempDir
    Path folder;

    private Path classes;
    private Path jar;
    private Path output;
    private byte[] original;

    @BeforeEach
    void buildProject() throws IOException {
        classes = Files.createDirectories(folder.resolve("target/classes/models"));
        original = Files.readAllBytes(fixture("digits-mlp/model.onnx"));
        Files.write(classes.resolve("a.onnx"), original);
        Files.write(classes.resolve("b.onnx"), original);
        jar = folder.resolve("target/app.jar");
        output = folder.resolve("target/onnx-prune");
        buildJar();
    }

    /** What jar:jar builds from target/classes. */
    private void buildJar() throws IOException {
        buildJar(java.util.zip.Deflater.DEFAULT_COMPRESSION);
    }

    /** What a jar tool deflating at {@code level} builds from target/classes, as a new file. */
    private void buildJar(int level) throws IOException {
        Files.deleteIfExists(jar);
        try (OutputStream file = Files.newOutputStream(jar); ZipOutputStream out = new ZipOutputStream(file)) {
            out.setLevel(level);
            for (String name : List.of("models/a.onnx", "models/b.onnx")) {
                out.putNextEntry(new ZipEntry(name));
                out.write(Files.readAllBytes(classes.resolve(name.substring("models/".length()))));
                out.closeEntry();
            }
        }
    }

    private ModelTask task(String name) {
        ModelTask fixtureTask = ModelPruningPipelineTest.task("digits-mlp/model.onnx", "digits-mlp/validation.npz",
                0.5, new GateLimits(null, 0.05));
        return new ModelTask(classes.getParent().resolve(name), name, fixtureTask.pruning(),
                fixtureTask.evaluation(), fixtureTask.limits());
    }

    private RunOutcome run(Path classified, String... names) throws IOException {
        return PruneRun.execute(List.of(names).stream().map(this::task).toList(),
                new RunSettings(output, jar, classified, true, "1.2.3", 1, FileTime.fromMillis(0)));
    }

    private byte[] entry(Path zip, String name) throws IOException {
        return JarRewriter.read(zip, name);
    }

    @Test
    void anAbsoluteModelNameIsRefusedBeforeAnythingIsWrittenAndTheSourceKeepsItsBytes() throws IOException {
        Path source = Files.createDirectories(folder.resolve("src/main/resources/models")).resolve("x.onnx");
        Files.write(source, original);
        ModelTask absolute = new ModelTask(source, source.toString(), task("models/a.onnx").pruning(),
                task("models/a.onnx").evaluation(), task("models/a.onnx").limits());
        byte[] jarBefore = Files.readAllBytes(jar);

        ShippingException error = assertThrows(ShippingException.class, () -> PruneRun.execute(List.of(absolute),
                new RunSettings(output, jar, null, true, "1.2.3", 1, FileTime.fromMillis(0))));

        assertEquals("The model name '" + source + "' is absolute: a model is named by its relative path inside the"
                + " jar, e.g. models/classifier.onnx.", error.getMessage());
        assertArrayEquals(original, Files.readAllBytes(source));
        assertArrayEquals(jarBefore, Files.readAllBytes(jar));
        assertFalse(Files.exists(output));
    }

    @Test
    void aJarWithoutTheModelsEntryFailsBeforeAnyModelOrReportIsWritten() throws IOException {
        Files.write(classes.resolve("c.onnx"), original);
        byte[] jarBefore = Files.readAllBytes(jar);

        ShippingException error = assertThrows(ShippingException.class,
                () -> run(null, "models/a.onnx", "models/c.onnx"));

        assertTrue(error.getMessage().startsWith("The jar " + jar + " has no entry models/c.onnx, so the pruned"
                + " model could not be shipped; nothing was written."), error.getMessage());
        assertArrayEquals(jarBefore, Files.readAllBytes(jar));
        assertFalse(Files.exists(output));
    }

    @Test
    void reportedDeflatedSizesAreThoseOfTheOriginalAndOfTheShippedBytesExactly() throws IOException {
        RunOutcome outcome = run(null, "models/a.onnx");
        byte[] shipped = entry(jar, "models/a.onnx");
        assertFalse(java.util.Arrays.equals(original, shipped));
        FileSizes sizes = outcome.results().get(0).report().sizes();
        assertEquals(FileSizes.jarToolDeflatedSize(ByteBuffer.wrap(original)), sizes.deflatedBefore());
        assertEquals(FileSizes.deflatedSize(ByteBuffer.wrap(shipped)), sizes.deflatedAfter());
        assertEquals(shipped.length, sizes.after());
        String json = Files.readString(output.resolve("report.json"));
        assertTrue(json.contains("\"deflatedAfter\" : " + FileSizes.deflatedSize(ByteBuffer.wrap(shipped))), json);
        // A second run finds the jar already holding the pruned model (jar:jar did not rebuild it): the original's
        // size cannot come from that entry, and is deflated instead, to the same figure.
        FileSizes again = run(null, "models/a.onnx").results().get(0).report().sizes();
        assertEquals(sizes, again);
    }

    @Test
    void aFailedGateThatShipsNothingStillReportsThePrunedModelsDeflatedSize() throws IOException {
        ModelTask strict = new ModelTask(task("models/a.onnx").file(), "models/a.onnx", task("models/a.onnx").pruning(),
                task("models/a.onnx").evaluation(), new GateLimits(null, 0.0));
        RunOutcome outcome = PruneRun.execute(List.of(strict),
                new RunSettings(output, jar, null, true, "1.2.3", 1, FileTime.fromMillis(0)));
        assertFalse(outcome.shipped());
        assertArrayEquals(original, entry(jar, "models/a.onnx"));
        ModelResult result = outcome.results().get(0);
        assertEquals(FileSizes.deflatedSize(result.prunedBytes()), result.report().sizes().deflatedAfter());
        assertEquals(FileSizes.jarToolDeflatedSize(ByteBuffer.wrap(original)),
                result.report().sizes().deflatedBefore());
    }

    @Test
    void aModelNoLongerPrunedGetsItsOriginalBytesBackInAJarThatWasNotRebuilt() throws IOException {
        run(null, "models/a.onnx", "models/b.onnx");
        byte[] prunedA = entry(jar, "models/a.onnx");
        assertFalse(java.util.Arrays.equals(original, prunedA));
        assertFalse(java.util.Arrays.equals(original, entry(jar, "models/b.onnx")));

        // b newly excluded: jar:jar did not rebuild the jar, so only this run can put b's original back.
        RunOutcome onlyA = run(null, "models/a.onnx");
        assertTrue(onlyA.jarChanged());
        assertArrayEquals(prunedA, entry(jar, "models/a.onnx"));
        assertArrayEquals(original, entry(jar, "models/b.onnx"));

        // A classifier: the main jar goes back to what jar:jar built, the classified copy holds the pruned model.
        Path classified = folder.resolve("target/app-pruned.jar");
        run(classified, "models/a.onnx");
        assertArrayEquals(original, entry(jar, "models/a.onnx"));
        assertArrayEquals(original, entry(jar, "models/b.onnx"));
        assertArrayEquals(prunedA, entry(classified, "models/a.onnx"));
        assertArrayEquals(original, entry(classified, "models/b.onnx"));
        assertFalse(Files.exists(output.resolve("shipped")));

        // In place again, then skip (which prunes nothing and loads no native code).
        run(null, "models/a.onnx");
        assertArrayEquals(prunedA, entry(jar, "models/a.onnx"));
        assertTrue(PruneRun.restoreOriginals(output, jar));
        assertArrayEquals(original, entry(jar, "models/a.onnx"));
        assertFalse(PruneRun.restoreOriginals(output, jar));
    }

    @Test
    void aSkipPutsTheJarToolsOwnBytesBackAndARebuiltJarGetsThePrunedBytesShippedBefore() throws IOException {
        buildJar(1);
        byte[] jarTools = rawEntry(jar, "models/a.onnx");
        run(null, "models/a.onnx");
        byte[] shipped = rawEntry(jar, "models/a.onnx");
        assertTrue(Files.isRegularFile(KeptArchives.keptFor(output, jar, KeptArchives.Role.BUILT)));
        assertTrue(Files.isRegularFile(KeptArchives.keptFor(output, jar, KeptArchives.Role.SHIPPED)));

        // skip: the original comes back as the jar tool stored it (level 1 here), copied, not deflated again.
        assertTrue(PruneRun.restoreOriginals(output, jar));
        assertArrayEquals(jarTools, rawEntry(jar, "models/a.onnx"));
        assertArrayEquals(original, entry(jar, "models/a.onnx"));

        // jar:jar rebuilt the jar (a class changed); the model did not: the stored result ships the same bytes.
        buildJar(1);
        RunOutcome rebuilt = run(null, "models/a.onnx");
        assertTrue(rebuilt.reused());
        assertTrue(rebuilt.jarChanged());
        assertArrayEquals(shipped, rawEntry(jar, "models/a.onnx"));

        // The model changed in target/classes, the jar was not rebuilt: the kept jars hold other bytes under that
        // name, so the original put back is deflated, not copied.
        byte[] changed = original.clone();
        changed[changed.length - 1] ^= 1;
        Files.write(classes.resolve("a.onnx"), changed);
        assertTrue(PruneRun.restoreOriginals(output, jar));
        assertArrayEquals(changed, entry(jar, "models/a.onnx"));
        java.io.ByteArrayOutputStream deflated = new java.io.ByteArrayOutputStream();
        ChunkedDeflate.deflate(ByteBuffer.wrap(changed), 1, deflated);
        assertArrayEquals(deflated.toByteArray(), rawEntry(jar, "models/a.onnx"));
    }

    private static byte[] rawEntry(Path zip, String name) throws IOException {
        try (org.apache.commons.compress.archivers.zip.ZipFile file =
                org.apache.commons.compress.archivers.zip.ZipFile.builder().setPath(zip).get();
                java.io.InputStream in = file.getRawInputStream(file.getEntry(name))) {
            return in.readAllBytes();
        }
    }

    @Test
    void anEntryTheJarPluginRebuiltIsLeftAsItIs() throws IOException {
        run(null, "models/a.onnx");
        // The user changed the model; jar:jar rebuilt the jar with the new bytes; then the build is skipped.
        byte[] changed = original.clone();
        changed[changed.length - 1] ^= 1;
        Files.write(classes.resolve("a.onnx"), changed);
        try (OutputStream file = Files.newOutputStream(jar); ZipOutputStream out = new ZipOutputStream(file)) {
            out.putNextEntry(new ZipEntry("models/a.onnx"));
            out.write(changed);
            out.closeEntry();
        }
        byte[] rebuilt = Files.readAllBytes(jar);

        assertFalse(PruneRun.restoreOriginals(output, jar));

        assertArrayEquals(rebuilt, Files.readAllBytes(jar));
    }

    @Test
    void aRestoreWhoseOriginalIsGoneSaysWhatToDo() throws IOException {
        run(null, "models/a.onnx");
        Files.delete(classes.resolve("a.onnx"));

        ShippingException error = assertThrows(ShippingException.class, () -> PruneRun.restoreOriginals(output, jar));

        assertEquals("The jar " + jar.toAbsolutePath() + " still holds the model models/a.onnx as an earlier"
                + " onnx-prune run pruned it, and its original " + classes.resolve("a.onnx").toAbsolutePath()
                + " no longer exists to put back. Run mvn clean package to rebuild the jar.", error.getMessage());
    }

    @Test
    void temporaryFilesAKilledRunLeftAreRemovedByTheNextRun() throws IOException {
        Path staleModel = Files.createDirectories(output.resolve("models/models"))
                .resolve("a.onnx.onnx-prune-00112233445566aa.tmp");
        Files.writeString(staleModel, "half");
        Path staleJar = Files.writeString(folder.resolve("target/app.jar.onnx-prune-00112233445566bb.tmp"), "half");

        run(null, "models/a.onnx");

        assertFalse(Files.exists(staleModel));
        assertFalse(Files.exists(staleJar));
    }

    private void zip(Path file, String... names) throws IOException {
        try (OutputStream out = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(out)) {
            for (String name : names) {
                zip.putNextEntry(new ZipEntry(name));
                zip.write(original);
                zip.closeEntry();
            }
        }
    }

    @Test
    void aSpringBootJarItsOriginalCopyAndAShadedJarAllShipTheModelAndAllGetTheOriginalBack() throws IOException {
        // What repackage leaves when it ran first: the executable jar where jar:jar's was, the plain one beside it.
        Path plain = folder.resolve("target/app.jar.original");
        Files.copy(jar, plain);
        zip(jar, "BOOT-INF/classes/models/a.onnx", "BOOT-INF/classes/models/b.onnx", "BOOT-INF/lib/x.jar");
        Path shaded = folder.resolve("target/app-shaded.jar");
        zip(shaded, "models/a.onnx", "models/b.onnx", "org/x/Y.class");
        Path sources = folder.resolve("target/app-dist.zip");
        zip(sources, "lib/app.jar");
        byte[] sourcesBefore = Files.readAllBytes(sources);

        RunOutcome outcome = PruneRun.execute(List.of(task("models/a.onnx")), new RunSettings(output, jar, null, true,
                "1.2.3", 1, FileTime.fromMillis(0), false, List.of(plain, shaded, sources), null));

        byte[] pruned = Files.readAllBytes(output.resolve("models/models/a.onnx"));
        assertFalse(java.util.Arrays.equals(original, pruned));
        assertEquals(List.of(new ShipTarget(jar, "BOOT-INF/classes/"), new ShipTarget(plain, ""),
                new ShipTarget(shaded, "")), outcome.targets());
        assertArrayEquals(pruned, entry(jar, "BOOT-INF/classes/models/a.onnx"));
        assertArrayEquals(original, entry(jar, "BOOT-INF/classes/models/b.onnx"));
        assertArrayEquals(pruned, entry(plain, "models/a.onnx"));
        assertArrayEquals(pruned, entry(shaded, "models/a.onnx"));
        assertArrayEquals(sourcesBefore, Files.readAllBytes(sources));
        assertEquals(4, Files.readAllLines(output.resolve("shipped")).size());

        assertTrue(PruneRun.restoreOriginals(output, null));

        assertArrayEquals(original, entry(jar, "BOOT-INF/classes/models/a.onnx"));
        assertArrayEquals(original, entry(plain, "models/a.onnx"));
        assertArrayEquals(original, entry(shaded, "models/a.onnx"));
        assertFalse(Files.exists(output.resolve("shipped")));
    }

    @Test
    void aWarShipsUnderWebInfClassesAndAJarWithTheModelNowhereNamesTheRootsItTried() throws IOException {
        Path war = folder.resolve("target/app.war");
        zip(war, "WEB-INF/classes/models/a.onnx", "index.html");
        PruneRun.execute(List.of(task("models/a.onnx")),
                new RunSettings(output, war, null, true, "1.2.3", 1, FileTime.fromMillis(0)));
        assertArrayEquals(Files.readAllBytes(output.resolve("models/models/a.onnx")),
                entry(war, "WEB-INF/classes/models/a.onnx"));

        zip(war, "WEB-INF/lib/models/a.onnx");
        ShippingException error = assertThrows(ShippingException.class, () -> PruneRun.execute(
                List.of(task("models/a.onnx")),
                new RunSettings(output, war, null, true, "1.2.3", 1, FileTime.fromMillis(0))));
        assertTrue(error.getMessage().contains("found at the jar's root, under BOOT-INF/classes/ (Spring Boot) or"
                + " under WEB-INF/classes/ (war)"), error.getMessage());
    }

    @Test
    void aRecordInTheFirstFormatStillPutsTheOriginalBack() throws IOException {
        run(null, "models/a.onnx");
        List<String> lines = Files.readAllLines(output.resolve("shipped"));
        String[] entry = lines.get(1).split("\t");
        Files.write(output.resolve("shipped"), List.of("onnx-prune shipped 1", "jar\t" + entry[4],
                String.join("\t", entry[0], entry[1], entry[2], entry[3])));

        assertTrue(PruneRun.restoreOriginals(output, jar));

        assertArrayEquals(original, entry(jar, "models/a.onnx"));
    }
}
