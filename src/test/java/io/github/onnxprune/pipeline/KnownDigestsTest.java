package io.github.onnxprune.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.onnxprune.ship.AtomicFiles;
import io.github.onnxprune.ship.FileStamp;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A remembered digest is used only while the file's stamp is unchanged, and survives in the output folder. */
class KnownDigestsTest {

    @TempDir
    Path folder;

    private static String sha256(String text) {
        return RunFingerprint.sha256(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aFileThisRunWroteIsKnownUntilItIsReplacedOrWrittenAgain() throws Exception {
        Path model = folder.resolve("models/m.onnx");
        AtomicFiles.write(model, "pruned-1".getBytes(StandardCharsets.UTF_8));
        KnownDigests known = KnownDigests.none();
        known.written(model, sha256("pruned-1"));
        known.write(folder);

        KnownDigests next = KnownDigests.read(folder);
        assertEquals(Optional.of(sha256("pruned-1")), next.ifUnchanged(model));

        // Replaced by another file of the same length: another inode and change time.
        AtomicFiles.write(model, "pruned-2".getBytes(StandardCharsets.UTF_8));
        assertEquals(Optional.empty(), next.ifUnchanged(model));

        // Written again in place, with the same length, after the file system's clock moved on.
        next.written(model, sha256("pruned-2"));
        Thread.sleep(50);
        Files.writeString(model, "pruned-3");
        assertEquals(Optional.empty(), next.ifUnchanged(model));
        assertEquals(sha256("pruned-3"), next.sha256(model));
    }

    @Test
    void aFileReadIsRememberedOnlyOnceItHadSettledBeforeTheRead() throws Exception {
        Path original = Files.writeString(folder.resolve("m.onnx"), "original");
        KnownDigests known = KnownDigests.none();

        assertEquals(sha256("original"), known.sha256(original));
        // Changed less than FileStamp.SETTLED_NANOS before the read: a write in the same clock tick could hide.
        assertEquals(Optional.empty(), known.ifUnchanged(original));

        Thread.sleep(FileStamp.SETTLED_NANOS / 1_000_000 + 100);
        assertEquals(sha256("original"), known.sha256(original));
        assertEquals(Optional.of(sha256("original")), known.ifUnchanged(original));
        known.write(folder);
        assertTrue(Files.readString(folder.resolve(KnownDigests.FILE_NAME)).contains(sha256("original")));
    }

    @Test
    void anEntryIsKnownWhileItsArchiveIsUnchangedAndADamagedRecordKnowsNothing() throws Exception {
        Path jar = folder.resolve("app.jar");
        AtomicFiles.write(jar, "a jar".getBytes(StandardCharsets.UTF_8));
        KnownDigests known = KnownDigests.none();
        known.entryWritten(jar, "models/m.onnx", sha256("pruned"));
        assertEquals(Optional.of(sha256("pruned")), known.entryIfUnchanged(jar, "models/m.onnx"));
        assertEquals(Optional.empty(), known.entryIfUnchanged(jar, "models/other.onnx"));
        known.forgetEntries(jar);
        assertEquals(Optional.empty(), known.entryIfUnchanged(jar, "models/m.onnx"));

        known.entryWritten(jar, "models/m.onnx", sha256("pruned"));
        known.write(folder);
        Path record = folder.resolve(KnownDigests.FILE_NAME);
        Files.writeString(record, Files.readString(record).replace(sha256("pruned"), "not a digest"));
        assertEquals(Optional.empty(), KnownDigests.read(folder).entryIfUnchanged(jar, "models/m.onnx"));
    }
}
