package io.github.onnxprune.eval;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Builds .npy files byte by byte, the way numpy.save lays them out, so tests do not need numpy. */
final class NpyBytes {

    private NpyBytes() {
    }

    /** A version 1.0 file with the given header fields and data. */
    static byte[] npy(String descr, boolean fortranOrder, String shapeTuple, byte[] data) {
        return npy(1, descr, fortranOrder, shapeTuple, data);
    }

    /** A file of the given major version: 1 has a 2-byte header length, 2 and 3 a 4-byte one. */
    static byte[] npy(int major, String descr, boolean fortranOrder, String shapeTuple, byte[] data) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': " + (fortranOrder ? "True" : "False")
                + ", 'shape': " + shapeTuple + ", }";
        int lengthBytes = major == 1 ? 2 : 4;
        // numpy pads the header with spaces and a final newline so the data starts on a 64-byte boundary.
        int unpadded = 6 + 2 + lengthBytes + dict.length() + 1;
        int padding = (64 - unpadded % 64) % 64;
        String header = dict + " ".repeat(padding) + "\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        byte[] headerBytes = header.getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer length = ByteBuffer.allocate(lengthBytes).order(ByteOrder.LITTLE_ENDIAN);
        if (lengthBytes == 2) {
            length.putShort((short) headerBytes.length);
        } else {
            length.putInt(headerBytes.length);
        }
        out.writeBytes(length.array());
        out.writeBytes(headerBytes);
        out.writeBytes(data);
        return out.toByteArray();
    }

    static byte[] floats(float... values) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float value : values) {
            buffer.putFloat(value);
        }
        return buffer.array();
    }

    static byte[] doubles(double... values) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (double value : values) {
            buffer.putDouble(value);
        }
        return buffer.array();
    }

    static byte[] longs(long... values) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long value : values) {
            buffer.putLong(value);
        }
        return buffer.array();
    }

    static byte[] ints(int... values) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int value : values) {
            buffer.putInt(value);
        }
        return buffer.array();
    }
}
