package io.github.onnxprune.pipeline;

/**
 * A failure no check anticipated while one model was processed: a bug, or a model this plugin does not handle.
 * The message names the model so that a build over many models says which one to look at.
 */
public final class UnexpectedModelException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Wraps {@code cause}, raised while processing the model at {@code entryName} read from {@code file}. */
    public UnexpectedModelException(ModelTask task, RuntimeException cause) {
        super("Model " + task.entryName() + ": unexpected error while pruning or measuring " + task.file() + " ("
                + cause + "). This is a bug in onnx-prune or a model it does not handle; exclude the model with"
                + " <excludes> to go on, and please report it with the model if you can (run with -e for the"
                + " stack trace).", cause);
    }
}
