package io.github.onnxprune.report;

import java.util.zip.Deflater;

/**
 * Bytes of the model file before and after, raw and as a jar stores it (deflated).
 *
 * @param before the original file's size
 * @param after the pruned file's size
 * @param deflatedBefore the original deflated at the jar's default level
 * @param deflatedAfter the pruned file deflated the same way, or {@link #NOT_YET_DEFLATED} while a run waits to
 *     read it from the jar entry it writes
 */
public record FileSizes(long before, long after, long deflatedBefore, long deflatedAfter) {

    /** The {@code deflatedAfter} of sizes whose pruned file is deflated later, by the jar rewrite. */
    public static final long NOT_YET_DEFLATED = -1;

    /** The sizes of a file that stays as it is, deflating it once. */
    public static FileSizes unchanged(byte[] file) {
        long deflated = deflatedSize(file);
        return new FileSizes(file.length, file.length, deflated, deflated);
    }

    /** These sizes with {@code after} as the new file, measuring only that one. */
    public FileSizes withAfter(byte[] after) {
        return new FileSizes(before, after.length, deflatedBefore, deflatedSize(after));
    }

    /** These sizes with {@code after} as the new file, whose deflated size is to be filled in later. */
    public FileSizes withAfterNotYetDeflated(byte[] after) {
        return new FileSizes(before, after.length, deflatedBefore, NOT_YET_DEFLATED);
    }

    /** These sizes with the pruned file's deflated size known. */
    public FileSizes withDeflatedAfter(long deflated) {
        return new FileSizes(before, after, deflatedBefore, deflated);
    }

    /** The size of {@code bytes} after deflate at the default level, as jar tools store entries. */
    public static long deflatedSize(byte[] bytes) {
        Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
        try {
            deflater.setInput(bytes);
            deflater.finish();
            byte[] buffer = new byte[64 * 1024];
            long total = 0;
            while (!deflater.finished()) {
                total += deflater.deflate(buffer);
            }
            return total;
        } finally {
            deflater.end();
        }
    }
}
