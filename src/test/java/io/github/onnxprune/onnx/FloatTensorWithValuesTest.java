package io.github.onnxprune.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class FloatTensorWithValuesTest {

    private static TensorProto raw(DataType type, int width, long... dims) {
        int count = 1;
        for (long dim : dims) {
            count *= (int) dim;
        }
        TensorProto.Builder builder = TensorProto.newBuilder().setName("t").setDataType(type.getNumber())
                .setRawData(ByteString.copyFrom(new byte[count * width]));
        for (long dim : dims) {
            builder.addDims(dim);
        }
        return builder.build();
    }

    @Test
    void float32RawAndTypedRoundToNearestFloat() {
        double[] values = {1.0, -2.5, 0.1, 1e-3};
        for (TensorProto proto : new TensorProto[] {raw(DataType.FLOAT, 4, 2, 2),
            TensorProto.newBuilder().setDataType(DataType.FLOAT.getNumber()).addDims(4)
                    .addFloatData(0).addFloatData(0).addFloatData(0).addFloatData(0).build()}) {
            TensorProto written = FloatTensor.of(proto).withValues(values);
            assertEquals(proto.hasRawData(), written.hasRawData());
            double[] back = FloatTensor.of(written).values();
            for (int i = 0; i < values.length; i++) {
                assertEquals((float) values[i], (float) back[i]);
            }
            assertEquals(proto.getDimsList(), written.getDimsList());
        }
    }

    @Test
    void float64IsExactInBothStorages() {
        double[] values = {0.1, Math.PI, -1e300, 0.0};
        TensorProto typed = TensorProto.newBuilder().setDataType(DataType.DOUBLE.getNumber()).addDims(4)
                .addDoubleData(1).addDoubleData(1).addDoubleData(1).addDoubleData(1).build();
        assertArrayEquals(values, FloatTensor.of(FloatTensor.of(typed).withValues(values)).values());
        assertArrayEquals(values, FloatTensor.of(FloatTensor.of(raw(DataType.DOUBLE, 8, 4)).withValues(values))
                .values());
    }

    @Test
    void float16RoundsToNearestEvenInRawAndInt32Storage() {
        // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to even gives 1. 1 + 3 * 2^-11 gives 1 + 2^-9.
        double[] values = {1 + 0x1p-11, 1 + 3 * 0x1p-11, 65520.0, 0x1p-25, 0x1.8p-25, -0x1p-24, 0.333333};
        double[] expected = {1.0, 1 + 0x1p-9, Double.POSITIVE_INFINITY, 0.0, 0x1p-24, -0x1p-24, 0.333251953125};
        TensorProto rawProto = raw(DataType.FLOAT16, 2, values.length);
        TensorProto.Builder typed = TensorProto.newBuilder().setDataType(DataType.FLOAT16.getNumber())
                .addDims(values.length);
        for (int i = 0; i < values.length; i++) {
            typed.addInt32Data(0);
        }
        for (TensorProto proto : new TensorProto[] {rawProto, typed.build()}) {
            TensorProto written = FloatTensor.of(proto).withValues(values);
            assertArrayEquals(expected, FloatTensor.of(written).values());
            if (!written.hasRawData()) {
                for (int bits : written.getInt32DataList()) {
                    assertTrue(bits >= 0 && bits <= 0xffff, "half bits are zero-extended, got " + bits);
                }
            }
        }
    }

    @Test
    void float16MatchesEveryHalfValueExactly() {
        // Every finite half value converts to float and back to the same bits.
        for (int bits = 0; bits < 0x10000; bits++) {
            float value = HalfFloats.halfToFloat((short) bits);
            if (!Float.isNaN(value)) {
                assertEquals((short) bits, HalfFloats.floatToHalf(value), "bits " + Integer.toHexString(bits));
            }
        }
        assertTrue(Float.isNaN(HalfFloats.halfToFloat(HalfFloats.floatToHalf(Float.NaN))));
    }

    @Test
    void bfloat16RoundsToNearestEven() {
        // bfloat16 keeps 7 mantissa bits: 1 + 2^-8 is a tie (to 1), 1 + 3 * 2^-8 rounds up to 1 + 2^-6.
        double[] values = {1 + 0x1p-8, 1 + 3 * 0x1p-8, -3.0, 1e38};
        TensorProto written = FloatTensor.of(raw(DataType.BFLOAT16, 2, 4)).withValues(values);
        double[] back = FloatTensor.of(written).values();
        assertEquals(1.0, back[0]);
        assertEquals(1 + 0x1p-6, back[1]);
        assertEquals(-3.0, back[2]);
        assertEquals(1e38, back[3], 1e36);
        TensorProto typed = TensorProto.newBuilder().setDataType(DataType.BFLOAT16.getNumber()).addDims(1)
                .addInt32Data(0).build();
        assertEquals(-3.0, FloatTensor.of(FloatTensor.of(typed).withValues(new double[] {-3.0})).values()[0]);
    }

    @Test
    void unchangedValuesKeepTheirBitsAndTheProtoIsEqual() {
        ByteBuffer buffer = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putShort(0, (short) 0x7e01).putShort(2, (short) 0x3c00).putShort(4, (short) 0x8000);
        TensorProto proto = TensorProto.newBuilder().setDataType(DataType.FLOAT16.getNumber()).addDims(4)
                .setRawData(ByteString.copyFrom(buffer.array())).build();
        FloatTensor tensor = FloatTensor.of(proto);
        assertEquals(proto, tensor.withValues(tensor.values()));
    }

    @Test
    void wrongCountIsAnError() {
        FloatTensor tensor = FloatTensor.of(raw(DataType.FLOAT, 4, 3));
        assertThrows(IllegalArgumentException.class, () -> tensor.withValues(new double[2]));
    }
}
