package io.github.onnxprune.pipeline;

import io.github.onnxprune.report.ModelReport;
import java.nio.ByteBuffer;

/**
 * One processed model: the bytes to ship and what was measured.
 *
 * @param task what was asked
 * @param prunedBytes the model to ship, metadata included: a read-only buffer outside the heap (a mapped file or
 *     a direct buffer, see {@code onnx.ModelBytes}), from position 0 to its limit
 * @param report the measured facts and the gate's verdict
 * @param alreadyPruned true when the input already carried this plugin's metadata and was shipped unchanged
 * @param originalPrefix how many bytes at the start of {@code prunedBytes} are known to be the model file's (the
 *     task's), as the file was read: its SHA-256 continues from the file's there ({@link ModelDigests})
 */
public record ModelResult(ModelTask task, ByteBuffer prunedBytes, ModelReport report, boolean alreadyPruned,
        int originalPrefix) {

    /** Whether the model met every limit. */
    public boolean passed() {
        return report.violations().isEmpty();
    }
}
