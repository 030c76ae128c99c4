package io.github.onnxprune.ship;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Finds the bytes before a zip's first local header: a launch script (Spring Boot's executable jars, or
 * {@code cat script.sh app.jar}) that the zip readers skip and that a rewritten jar must keep byte for byte.
 * Reads the end-of-central-directory record (zip64 too) and the central directory's local header offsets.
 */
public final class ZipPrefix {

    private static final int END_SIGNATURE = 0x06054b50;
    private static final int ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
    private static final int ZIP64_END_SIGNATURE = 0x06064b50;
    private static final int CENTRAL_SIGNATURE = 0x02014b50;
    private static final int LOCAL_SIGNATURE = 0x04034b50;
    private static final int END_SIZE = 22;
    private static final long MAX_TAIL = END_SIZE + 0xFFFF;

    private ZipPrefix() {
    }

    /** The number of bytes before the first entry's local header; 0 for an ordinary jar. */
    public static long length(Path zip) throws IOException {
        try (FileChannel channel = FileChannel.open(zip, StandardOpenOption.READ)) {
            long size = channel.size();
            int tailLength = (int) Math.min(size, MAX_TAIL);
            ByteBuffer tail = read(channel, size - tailLength, tailLength);
            int end = findEnd(tail, tailLength);
            if (end < 0) {
                throw new IOException(zip + " is not a zip file: it has no end of central directory record");
            }
            long endPosition = size - tailLength + end;
            long centralSize = Integer.toUnsignedLong(tail.getInt(end + 12));
            long centralOffset = Integer.toUnsignedLong(tail.getInt(end + 16));
            long entries = Short.toUnsignedInt(tail.getShort(end + 10));
            long centralEnd = endPosition;
            if ((centralSize == 0xFFFFFFFFL || centralOffset == 0xFFFFFFFFL || entries == 0xFFFF)
                    && endPosition >= 20 + 56) {
                ByteBuffer locator = read(channel, endPosition - 20, 20);
                if (locator.getInt(0) == ZIP64_LOCATOR_SIGNATURE) {
                    // The zip64 end record sits right before its locator unless it carries extensible data, which
                    // nothing writing jars uses; its own size field says how long it is.
                    long recordPosition = endPosition - 20 - 56;
                    ByteBuffer record = read(channel, recordPosition, 56);
                    if (record.getInt(0) != ZIP64_END_SIGNATURE) {
                        throw new IOException(zip + ": unsupported zip64 end record");
                    }
                    entries = record.getLong(32);
                    centralSize = record.getLong(40);
                    centralOffset = record.getLong(48);
                    centralEnd = recordPosition;
                }
            }
            long centralPosition = centralEnd - centralSize;
            // Positions in the central directory count from where the writer started the zip: the file's start
            // for Spring Boot (which counts its script), the script's end for a script prepended afterwards.
            long shift = centralPosition - centralOffset;
            if (centralPosition < 0 || shift < 0) {
                throw new IOException(zip + ": the central directory lies outside the file");
            }
            if (entries == 0) {
                return centralPosition;
            }
            ByteBuffer central = read(channel, centralPosition, (int) centralSize);
            long first = Long.MAX_VALUE;
            int at = 0;
            for (long i = 0; i < entries; i++) {
                if (at + 46 > centralSize || central.getInt(at) != CENTRAL_SIGNATURE) {
                    throw new IOException(zip + ": damaged central directory");
                }
                long offset = Integer.toUnsignedLong(central.getInt(at + 42));
                if (offset != 0xFFFFFFFFL) {
                    first = Math.min(first, offset);
                }
                at += 46 + Short.toUnsignedInt(central.getShort(at + 28))
                        + Short.toUnsignedInt(central.getShort(at + 30))
                        + Short.toUnsignedInt(central.getShort(at + 32));
            }
            if (first == Long.MAX_VALUE) {
                throw new IOException(zip + ": every entry lies beyond 4 GiB; cannot find where the zip starts");
            }
            long prefix = shift + first;
            if (read(channel, prefix, 4).getInt(0) != LOCAL_SIGNATURE) {
                throw new IOException(zip + ": no local header where the central directory says the first entry is");
            }
            return prefix;
        }
    }

    private static int findEnd(ByteBuffer tail, int length) {
        for (int at = length - END_SIZE; at >= 0; at--) {
            if (tail.getInt(at) == END_SIGNATURE
                    && at + END_SIZE + Short.toUnsignedInt(tail.getShort(at + 20)) == length) {
                return at;
            }
        }
        return -1;
    }

    private static ByteBuffer read(FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new IOException("unexpected end of file at " + (position + buffer.position()));
            }
        }
        return buffer.flip();
    }
}
