package io.github.onnxprune.onnx;

import java.nio.file.Path;

/** A model file that cannot be used: not ONNX, truncated, or using a feature this plugin does not handle. */
public final class InvalidModelException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    public InvalidModelException(Path file, String problem) {
        super("ONNX model " + file + ": " + problem);
        this.file = file;
    }

    public InvalidModelException(Path file, String problem, Throwable cause) {
        super("ONNX model " + file + ": " + problem, cause);
        this.file = file;
    }

    /** The model file at fault. */
    public Path file() {
        return file;
    }
}
