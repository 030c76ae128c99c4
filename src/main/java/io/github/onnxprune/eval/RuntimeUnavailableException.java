package io.github.onnxprune.eval;

/** ONNX Runtime's native library could not be loaded on this platform; the message says what to do. */
public final class RuntimeUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message names the platform, the failure and the remedy
     * @param cause the linkage or initialisation error reported by the JVM
     */
    public RuntimeUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
