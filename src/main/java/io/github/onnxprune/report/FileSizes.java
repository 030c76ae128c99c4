package io.github.onnxprune.report;

import io.github.onnxprune.ship.ChunkedDeflate;
import java.nio.ByteBuffer;
import java.util.zip.Deflater;

/**
 * Bytes of the model file before and after, raw and as a jar stores it (deflated).
 *
 * @param before the original file's size
 * @param after the pruned file's size
 * @param deflatedBefore the original deflated as jar tools store it (the default level)
 * @param deflatedAfter the pruned file deflated as the plugin ships it ({@link ChunkedDeflate}), or
 *     {@link #NOT_YET_DEFLATED} while a run waits to read it from the jar entry it writes
 */
public record FileSizes(long before, long after, long deflatedBefore, long deflatedAfter) {

    /** The {@code deflatedAfter} of sizes whose pruned file is deflated later, by the jar rewrite. */
    public static final long NOT_YET_DEFLATED = -1;

    /** The sizes of a file that stays as it is (so the jar keeps the entry jar tools wrote), deflating it once. */
    public static FileSizes unchanged(ByteBuffer file) {
        long deflated = jarToolDeflatedSize(file);
        return new FileSizes(file.limit(), file.limit(), deflated, deflated);
    }

    /** These sizes with {@code after} as the new file, measuring only that one. */
    public FileSizes withAfter(ByteBuffer after) {
        return new FileSizes(before, after.limit(), deflatedBefore, deflatedSize(after));
    }

    /** These sizes with {@code after} as the new file, whose deflated size is to be filled in later. */
    public FileSizes withAfterNotYetDeflated(ByteBuffer after) {
        return new FileSizes(before, after.limit(), deflatedBefore, NOT_YET_DEFLATED);
    }

    /** These sizes with the pruned file's deflated size known. */
    public FileSizes withDeflatedAfter(long deflated) {
        return new FileSizes(before, after, deflatedBefore, deflated);
    }

    /** The size of {@code bytes} (from position 0 to the limit) deflated as the plugin ships a model in a jar. */
    public static long deflatedSize(ByteBuffer bytes) {
        return ChunkedDeflate.deflatedSize(bytes);
    }

    /** The size of {@code bytes} (from position 0 to the limit) deflated at the default level, as jar tools do. */
    public static long jarToolDeflatedSize(ByteBuffer bytes) {
        return ChunkedDeflate.streamLength(bytes, Deflater.DEFAULT_COMPRESSION, Deflater.DEFAULT_STRATEGY);
    }
}
