package io.github.onnxprune.pipeline;

import io.github.onnxprune.report.FileSizes;
import io.github.onnxprune.ship.TaskResults;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.OptionalLong;
import java.util.concurrent.FutureTask;

/**
 * The original model's sizes for the report. Deflating a large model costs seconds, so the size is taken from
 * the built jar's entry when it holds the original; otherwise the original is deflated on a thread of its own
 * while the model is pruned and evaluated (ONNX Runtime uses one core by default, so the other is free).
 */
final class OriginalSizes {

    private final FutureTask<FileSizes> sizes;

    private OriginalSizes(FutureTask<FileSizes> sizes) {
        this.sizes = sizes;
    }

    /** Sizes of {@code original}: {@code deflatedInJar} when present, else a deflate started now. */
    static OriginalSizes start(ByteBuffer original, OptionalLong deflatedInJar) {
        if (deflatedInJar.isPresent()) {
            long deflated = deflatedInJar.getAsLong();
            FutureTask<FileSizes> known = new FutureTask<>(
                    () -> new FileSizes(original.limit(), original.limit(), deflated, deflated));
            known.run();
            return new OriginalSizes(known);
        }
        FutureTask<FileSizes> deflating = new FutureTask<>(() -> FileSizes.unchanged(original));
        Thread thread = new Thread(deflating, "onnx-prune-deflate");
        // A build that fails meanwhile must not wait for a deflate nobody will read.
        thread.setDaemon(true);
        thread.start();
        return new OriginalSizes(deflating);
    }

    /** The sizes, waiting for the deflate if it is still running. */
    FileSizes join() throws IOException {
        return TaskResults.get(sizes, "deflating the original model");
    }

    /** Drops the result when the model's processing ended without it (the deflate ends on its own). */
    void cancel() {
        sizes.cancel(false);
    }
}
