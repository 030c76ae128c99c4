package io.github.onnxprune.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import org.junit.jupiter.api.Test;

/** Input tensors copied into a buffer that later batches reuse, as calibration runs feed them. */
class TensorBufferTest {

    @Test
    void aBufferFilledByALargerSliceHoldsExactlyTheNextSmallerOne() throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Tensor floats = Tensor.ofFloats(new long[] {3, 2}, 1f, 2f, 3f, 4f, 5f, 6f);
        ByteBuffer buffer = ByteBuffer.allocateDirect(floats.sliceBytes(0, 2)).order(ByteOrder.nativeOrder());
        try (OnnxTensor first = floats.toOnnxTensor(env, 0, 2, buffer)) {
            assertArrayEquals(new long[] {2, 2}, first.getInfo().getShape());
            assertArrayEquals(new float[] {1f, 2f, 3f, 4f}, floats(first.getFloatBuffer()));
        }
        try (OnnxTensor last = floats.toOnnxTensor(env, 2, 3, buffer)) {
            assertArrayEquals(new long[] {1, 2}, last.getInfo().getShape());
            assertArrayEquals(new float[] {5f, 6f}, floats(last.getFloatBuffer()));
        }
        Tensor longs = Tensor.ofLongs(new long[] {2, 1}, 7L, 8L);
        try (OnnxTensor second = longs.toOnnxTensor(env, 1, 2, buffer)) {
            LongBuffer values = second.getLongBuffer();
            assertArrayEquals(new long[] {8L}, new long[] {values.get(0)});
        }
    }

    @Test
    void aHeapOrTooSmallBufferIsRefused() {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Tensor floats = Tensor.ofFloats(new long[] {2, 2}, 1f, 2f, 3f, 4f);
        assertThrows(IllegalArgumentException.class, () -> floats.toOnnxTensor(env, 0, 2,
                ByteBuffer.allocate(16).order(ByteOrder.nativeOrder())));
        assertThrows(IllegalArgumentException.class, () -> floats.toOnnxTensor(env, 0, 2,
                ByteBuffer.allocateDirect(12).order(ByteOrder.nativeOrder())));
    }

    private static float[] floats(FloatBuffer buffer) {
        float[] values = new float[buffer.remaining()];
        buffer.get(values);
        return values;
    }
}
