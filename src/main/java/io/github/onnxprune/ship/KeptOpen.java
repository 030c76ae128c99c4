package io.github.onnxprune.ship;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes straight through to a stream that someone else closes: closing this one only flushes, so closing a zip
 * stream written on top of it finishes the zip and leaves the file to {@link AtomicFiles}.
 */
final class KeptOpen extends FilterOutputStream {

    KeptOpen(OutputStream target) {
        super(target);
    }

    // FilterOutputStream writes an array one byte at a time; models are tens of megabytes.
    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        out.write(bytes, offset, length);
    }

    @Override
    public void close() throws IOException {
        flush();
    }
}
