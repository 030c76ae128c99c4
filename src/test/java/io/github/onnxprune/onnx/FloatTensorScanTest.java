package io.github.onnxprune.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** The scans over every element (zeros, NaN and infinity) agree between raw_data, read in chunks, and float_data. */
class FloatTensorScanTest {

    /** Longer than two of the raw scan's chunks (16,384 elements), so edges and the last partial chunk are crossed. */
    private static final int SIZE = 40_000;

    private static TensorProto[] bothStorages(float[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        TensorProto.Builder typed = TensorProto.newBuilder().setName("t").setDataType(DataType.FLOAT.getNumber())
                .addDims(values.length);
        for (float value : values) {
            bytes.putFloat(value);
            typed.addFloatData(value);
        }
        TensorProto raw = TensorProto.newBuilder().setName("t").setDataType(DataType.FLOAT.getNumber())
                .addDims(values.length).setRawData(ByteString.copyFrom(bytes.array())).build();
        return new TensorProto[] {raw, typed.build()};
    }

    private static float[] ramp() {
        float[] values = new float[SIZE];
        for (int i = 0; i < SIZE; i++) {
            values[i] = (i % 2 == 0 ? 1 : -1) * (1 + i * 1e-3f);
        }
        return values;
    }

    @Test
    void zerosOfEitherSignAreCountedAcrossChunkEdges() {
        float[] values = ramp();
        int[] zeros = {0, 16_383, 16_384, 32_767, 32_768, SIZE - 1};
        for (int z = 0; z < zeros.length; z++) {
            values[zeros[z]] = z % 2 == 0 ? 0f : -0f;
        }
        // Neither the smallest subnormal nor NaN is a zero.
        values[100] = Float.MIN_VALUE;
        values[200] = -Float.MIN_VALUE;
        values[300] = Float.NaN;
        for (TensorProto proto : bothStorages(values)) {
            assertEquals(zeros.length, FloatTensor.of(proto).zeroCount(), proto.hasRawData() ? "raw" : "typed");
        }
    }

    @Test
    void theFirstNaNOrInfinityIsFoundWhereverItIs() {
        for (int at : new int[] {0, 16_383, 16_384, 20_000, SIZE - 1}) {
            float[] values = ramp();
            values[at] = Float.NEGATIVE_INFINITY;
            // A NaN with a payload (not the canonical bits) after it, and the largest finite value before it.
            int nan = at + 5 < SIZE ? at + 5 : -1;
            if (nan >= 0) {
                values[nan] = Float.intBitsToFloat(0xffc00001);
            }
            if (at > 0) {
                values[at - 1] = Float.MAX_VALUE;
            }
            for (TensorProto proto : bothStorages(values)) {
                String what = (proto.hasRawData() ? "raw " : "typed ") + at;
                assertEquals(at, FloatTensor.of(proto).firstNonFinite(true), what);
                assertEquals(nan, FloatTensor.of(proto).firstNonFinite(false), what);
            }
        }
        for (TensorProto proto : bothStorages(ramp())) {
            assertEquals(-1, FloatTensor.of(proto).firstNonFinite(true));
        }
    }
}
