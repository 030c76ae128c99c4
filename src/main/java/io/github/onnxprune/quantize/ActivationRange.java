package io.github.onnxprune.quantize;

/**
 * The uint8 quantization of an activation from its range over the calibration samples: asymmetric, the range
 * widened to include 0 so that 0 (padding, ReLU's output) is exact.
 *
 * @param min the smallest value seen
 * @param max the largest value seen
 * @param scale float32 step of one quantum
 * @param zeroPoint the uint8 code of 0
 */
record ActivationRange(float min, float max, float scale, int zeroPoint) {

    /** The quantization of values seen between {@code min} and {@code max}. */
    static ActivationRange of(float min, float max) {
        double low = Math.min(0, min);
        double high = Math.max(0, max);
        float scale = (float) ((high - low) / 255);
        if (!(scale > 0) || !Float.isFinite(scale)) {
            scale = 1f;
        }
        int zeroPoint = (int) Math.max(0, Math.min(255, Math.rint(-low / scale)));
        return new ActivationRange(min, max, scale, zeroPoint);
    }

    /** The range of every value in {@code values}. */
    static ActivationRange of(float[] values) {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float value : values) {
            min = Math.min(min, value);
            max = Math.max(max, value);
        }
        return values.length == 0 ? of(0f, 0f) : of(min, max);
    }
}
