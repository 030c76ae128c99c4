package io.github.onnxprune.pipeline;

/**
 * The Java heap ran out while one model was processed. Not a bug to report but a limit to raise, so the message
 * says which model, how much heap the build had and how to give it more.
 */
public final class HeapExhaustedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** For the model {@code task}, with a heap of at most {@code maxHeapBytes}. */
    public HeapExhaustedException(ModelTask task, long maxHeapBytes, OutOfMemoryError cause) {
        super("Model " + task.entryName() + ": the Java heap ran out while pruning or measuring " + task.file()
                + " (" + cause.getMessage() + "; this build's heap is at most " + maxHeapBytes / (1024 * 1024)
                + " MiB). Give Maven more heap: MAVEN_OPTS=\"-Xmx2g\", or the line -Xmx2g in .mvn/jvm.config"
                + " for every build of the project. Fewer samples (<calibrationSamples>) need less of it when"
                + " calibration data is used; see the heap figures in docs/reliability.md.", cause);
    }
}
