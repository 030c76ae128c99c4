package io.github.onnxprune.prune.calibrate;

import ai.onnx.proto.OnnxMl.ModelProto;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A model serialized into a scratch file for ONNX Runtime to read itself, deleted on {@link #close}. Calibration
 * runs a model (the whole model with extra outputs, or one stage of it) once or a few times and then lets it go;
 * serialized into a direct buffer instead, each took memory outside the heap (about the model's size: 90 MB for
 * MiniLM) until a collection found the buffer unreachable, which the int8 step's runs, whose outputs
 * are a few sums, rarely caused. A file costs the page cache, not this process's memory.
 */
final class ModelFile implements AutoCloseable {

    private final Path path;

    private ModelFile(Path path) {
        this.path = path;
    }

    /** {@code model} written to a new file in {@code folder} (the system's temporary folder when null). */
    static ModelFile of(ModelProto model, Path folder) {
        Path file = null;
        try {
            if (folder == null) {
                file = Files.createTempFile("onnx-prune-calibration-", ".onnx");
            } else {
                Files.createDirectories(folder);
                file = Files.createTempFile(folder, "calibration-", ".onnx");
            }
            try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
                model.writeTo(out);
            }
            return new ModelFile(file);
        } catch (IOException e) {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // The write's failure is the one to report.
                }
            }
            throw new UncheckedIOException("cannot write a calibration model to a scratch file in "
                    + (folder == null ? System.getProperty("java.io.tmpdir") : folder) + ": " + e.getMessage(), e);
        }
    }

    /** Where the model is. */
    Path path() {
        return path;
    }

    /** Deletes the file. */
    @Override
    public void close() {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the calibration scratch file " + path + ": "
                    + e.getMessage(), e);
        }
    }
}
