package io.github.onnxprune.onnx;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32;

/**
 * A serialized model held outside the Java heap: a read-only view of a file mapped into memory, or of a direct
 * buffer a model was serialized into. A 90 MB model held as a {@code byte[]} costs 90 MB of heap for each copy
 * (the file read, the parsed tensors, the bytes handed to ONNX Runtime, the bytes shipped); held this way the
 * heap holds none of them, and the parsed model's tensors alias the same memory ({@link OnnxModelReader}).
 *
 * <p>Every buffer handed out is read-only and positioned at 0; callers that move a position use their own
 * {@link ByteBuffer#duplicate()}.
 */
public final class ModelBytes {

    /** Bytes copied per step when a buffer goes to a stream: small, so no large heap array ever exists. */
    private static final int CHUNK = 64 * 1024;

    private ModelBytes() {
    }

    /**
     * The file's bytes, mapped read-only. The mapping stays valid after the file is closed and is released when
     * the buffer is no longer reachable; the file must not be truncated meanwhile (the plugin only maps models it
     * does not write: the project's originals and the outputs of an earlier run).
     */
    public static ByteBuffer map(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size > Integer.MAX_VALUE) {
                throw new IOException(file + " is larger than 2 GB");
            }
            return channel.map(FileChannel.MapMode.READ_ONLY, 0, size).asReadOnlyBuffer();
        }
    }

    /** {@code message} serialized into a direct buffer, byte for byte what {@code toByteArray()} gives. */
    public static ByteBuffer serialize(MessageLite message) {
        ByteBuffer buffer = ByteBuffer.allocateDirect(message.getSerializedSize());
        try {
            CodedOutputStream output = CodedOutputStream.newInstance(buffer);
            message.writeTo(output);
            output.flush();
            output.checkNoSpaceLeft();
        } catch (IOException e) {
            // Writing into a buffer sized by getSerializedSize cannot fail but through a bug.
            throw new UncheckedIOException(e);
        }
        buffer.position(0);
        return buffer.asReadOnlyBuffer();
    }

    /** Writes {@code bytes} (from position 0 to its limit) to {@code out} in small pieces. */
    public static void writeTo(ByteBuffer bytes, OutputStream out) throws IOException {
        ByteBuffer source = bytes.duplicate().position(0);
        byte[] chunk = new byte[(int) Math.min(CHUNK, Math.max(1, source.remaining()))];
        while (source.hasRemaining()) {
            int length = Math.min(chunk.length, source.remaining());
            source.get(chunk, 0, length);
            out.write(chunk, 0, length);
        }
    }

    /** The CRC-32 of {@code bytes}, as a zip entry records it. */
    public static long crc32(ByteBuffer bytes) {
        CRC32 crc = new CRC32();
        crc.update(bytes.duplicate().position(0));
        return crc.getValue();
    }

    /** A heap copy of {@code bytes}, for small models and tests. */
    public static byte[] toArray(ByteBuffer bytes) {
        byte[] copy = new byte[bytes.limit()];
        bytes.duplicate().position(0).get(copy);
        return copy;
    }
}
