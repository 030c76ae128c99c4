package io.github.onnxprune.quantize;

import java.util.function.IntToDoubleFunction;

/**
 * Symmetric int8 quantization of a weight: values in [-limit, limit] (127 for 8 bits, 63 for 7), zero point 0 (so a
 * pruned zero stays an exact zero), one float32 scale per channel, rounding half to even as numpy and ONNX Runtime's
 * quantizer do.
 *
 * @param values the int8 values in the layout they were given
 * @param scales one scale per channel
 */
record Int8Weights(byte[] values, float[] scales) {

    /** The largest level of a symmetric {@code bits}-bit value: 127 for 8, 7 for 4. */
    static int levels(int bits) {
        return (1 << (bits - 1)) - 1;
    }

    /**
     * A {@code rows x columns} row-major matrix, element by flat index, quantized to values in [-limit, limit] with
     * one scale per column (a MatMul's outputs).
     */
    static Int8Weights perColumn(IntToDoubleFunction matrix, int rows, int columns, int limit) {
        int length = rows * columns;
        float[] scales = new float[columns];
        for (int c = 0; c < columns; c++) {
            double max = 0;
            for (int r = 0; r < rows; r++) {
                max = Math.max(max, Math.abs(matrix.applyAsDouble(r * columns + c)));
            }
            scales[c] = scaleFor(max, limit);
        }
        byte[] values = new byte[length];
        for (int i = 0; i < length; i++) {
            values[i] = quantize(matrix.applyAsDouble(i), scales[i % columns], limit);
        }
        return new Int8Weights(values, scales);
    }

    /**
     * A tensor of {@code length} elements, by flat index, quantized to values in [-limit, limit] with one scale per
     * index of its first axis (a Conv's output channels, a table's rows).
     */
    static Int8Weights perLeadingAxis(IntToDoubleFunction tensor, int length, int channels, int limit) {
        int block = length / channels;
        float[] scales = new float[channels];
        byte[] values = new byte[length];
        for (int c = 0; c < channels; c++) {
            double max = 0;
            for (int i = c * block; i < (c + 1) * block; i++) {
                max = Math.max(max, Math.abs(tensor.applyAsDouble(i)));
            }
            scales[c] = scaleFor(max, limit);
            for (int i = c * block; i < (c + 1) * block; i++) {
                values[i] = quantize(tensor.applyAsDouble(i), scales[c], limit);
            }
        }
        return new Int8Weights(values, scales);
    }

    /** An all-zero channel gets scale 1: any scale represents it exactly, and 1 keeps bias scales sane. */
    private static float scaleFor(double maxMagnitude, int limit) {
        float scale = (float) (maxMagnitude / limit);
        return scale > 0 && Float.isFinite(scale) ? scale : 1f;
    }

    private static byte quantize(double value, float scale, int limit) {
        double q = Math.rint(value / scale);
        return (byte) Math.max(-limit, Math.min(limit, q));
    }
}
