package io.github.onnxprune.prune.calibrate;

import io.github.onnxprune.eval.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Float32 tensors written to scratch files and read back when asked for: calibration values kept off the heap
 * ({@link StagedActivations} on a heap without room for them). Written and read through a small buffer,
 * not mapped, so they cost neither heap nor resident memory while they wait; the operating system's page cache
 * serves them back. Every file is deleted when its value is let go, and all that remain on {@link #close}.
 * Safe for use by several threads at once.
 */
final class ScratchFiles implements AutoCloseable {

    private static final int CHUNK_FLOATS = 1 << 18;

    private final Path folder;
    // Parts are written and read from several threads at once (StagedActivations computes them side by side).
    private final Set<Path> files = Collections.synchronizedSet(new LinkedHashSet<>());

    /** Files in {@code folder} (created when missing), or in the system's temporary folder when null. */
    ScratchFiles(Path folder) {
        this.folder = folder;
    }

    /** Writes {@code tensor}'s float32 elements to a new file; read them back with {@link #read}. */
    Path write(Tensor tensor) {
        FloatBuffer values = tensor.floatView();
        try {
            Path file;
            if (folder == null) {
                file = Files.createTempFile("onnx-prune-calibration-", ".f32");
            } else {
                Files.createDirectories(folder);
                file = Files.createTempFile(folder, "calibration-", ".f32");
            }
            files.add(file);
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buffer = buffer();
                while (values.hasRemaining()) {
                    int count = Math.min(CHUNK_FLOATS, values.remaining());
                    buffer.clear();
                    FloatBuffer floats = buffer.asFloatBuffer();
                    floats.put(values.slice().limit(count));
                    values.position(values.position() + count);
                    buffer.limit(count * Float.BYTES);
                    while (buffer.hasRemaining()) {
                        channel.write(buffer);
                    }
                }
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write calibration values to a scratch file in "
                    + (folder == null ? System.getProperty("java.io.tmpdir") : folder) + ": " + e.getMessage(), e);
        }
    }

    /** The float32 tensor of this shape that {@link #write} put into {@code file}. */
    Tensor read(Path file, long[] shape) {
        long count = 1;
        for (long dimension : shape) {
            count *= dimension;
        }
        float[] values = new float[Math.toIntExact(count)];
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buffer = buffer();
            int done = 0;
            while (done < values.length) {
                int floats = Math.min(CHUNK_FLOATS, values.length - done);
                buffer.clear().limit(floats * Float.BYTES);
                while (buffer.hasRemaining()) {
                    if (channel.read(buffer) < 0) {
                        throw new IOException("the file ends after " + done + " of " + values.length + " values");
                    }
                }
                buffer.flip();
                buffer.asFloatBuffer().get(values, done, floats);
                done += floats;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read calibration values back from " + file + ": " + e.getMessage(),
                    e);
        }
        return Tensor.ofFloats(shape, values);
    }

    /** Deletes {@code file}, written by {@link #write}. */
    void delete(Path file) {
        if (files.remove(file)) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // A scratch file that cannot be deleted now is retried on close.
                files.add(file);
            }
        }
    }

    /** How many files are written and not yet deleted. */
    int count() {
        return files.size();
    }

    /** Deletes every file still there. */
    @Override
    public void close() {
        List<Path> left;
        synchronized (files) {
            left = new ArrayList<>(files);
        }
        for (Path file : left) {
            delete(file);
        }
    }

    /**
     * A buffer for one write or read: 1 MB, against the hundreds of MB it carries. On the heap: a direct one per
     * call was memory outside the heap until a collection found it unreachable (one per part written or read, so
     * hundreds in a 2800-sentence re-fit), while the file channel passes a heap buffer through a direct buffer it
     * keeps per thread and reuses.
     */
    private static ByteBuffer buffer() {
        return ByteBuffer.allocate(CHUNK_FLOATS * Float.BYTES).order(ByteOrder.nativeOrder());
    }
}
