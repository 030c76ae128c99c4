package io.github.onnxprune.onnx;

import static io.github.onnxprune.Fixtures.fixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class PatchedSerializationTest {

    private static final Path MLP = fixture("digits-mlp/model.onnx");

    /** {@code model} with every other float initializer negated (same raw_data length) and two entries appended. */
    private static ModelProto changedValues(ModelProto model) {
        GraphProto.Builder graph = model.getGraph().toBuilder();
        for (int i = 0; i < graph.getInitializerCount(); i += 2) {
            TensorProto tensor = graph.getInitializer(i);
            if (tensor.getDataType() != TensorProto.DataType.FLOAT_VALUE || !tensor.hasRawData()) {
                continue;
            }
            byte[] values = tensor.getRawData().toByteArray();
            for (int j = 3; j < values.length; j += 4) {
                values[j] ^= (byte) 0x80;
            }
            graph.setInitializer(i, tensor.toBuilder().setRawData(ByteString.copyFrom(values)));
        }
        return model.toBuilder().setGraph(graph).addMetadataProps(entry("onnx-prune.method", "weights"))
                .addMetadataProps(entry("onnx-prune.version", "1.2.3")).build();
    }

    /** How many initializers {@link #changedValues} changes. */
    private static long changedCount(ModelProto model) {
        return IntStream.range(0, model.getGraph().getInitializerCount()).filter(i -> i % 2 == 0)
                .mapToObj(model.getGraph()::getInitializer)
                .filter(t -> t.getDataType() == TensorProto.DataType.FLOAT_VALUE && t.hasRawData()).count();
    }

    private static StringStringEntryProto entry(String key, String value) {
        return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
    }

    @ParameterizedTest
    @ValueSource(strings = {"digits-mlp/model.onnx", "digits-cnn/model-bn.onnx", "digits-ffn/model.onnx",
            "digits-bert/model.onnx", "wine-mlp/model.onnx"})
    void changedValuesArePatchedIntoTheSameBytesAsAWholeSerialization(String name) {
        ByteBuffer bytes = OnnxModelReader.map(fixture(name));
        ModelProto original = OnnxModelReader.parse(fixture(name), bytes);
        ModelProto changed = changedValues(original);

        PatchedSerialization.Serialized serialized = PatchedSerialization.serialize(original, bytes, changed);

        assertTrue(serialized.patched(), serialized.why());
        assertArrayEquals(ModelBytes.toArray(ModelBytes.serialize(changed)), ModelBytes.toArray(serialized.bytes()));
        assertEquals(changed, OnnxModelReader.parse(fixture(name), serialized.bytes()));
        long tensors = changedCount(original);
        assertTrue(tensors > 0);
        assertEquals("patched the values of " + tensors + " of " + original.getGraph().getInitializerCount()
                + " initializers and appended 2 metadata entries", serialized.why());
        // The original's bytes up to the first changed tensor's values, whose first flipped byte is their fourth
        // (the first float's sign, little-endian).
        assertEquals(serialized.originalPrefix() + 3, bytes.mismatch(serialized.bytes()));
    }

    @Test
    void aModelWithoutChangedTensorsGetsOnlyItsMetadataAppended() {
        ByteBuffer bytes = OnnxModelReader.map(MLP);
        ModelProto original = OnnxModelReader.parse(MLP, bytes);
        ModelProto changed = original.toBuilder().addMetadataProps(entry("k", "v")).build();

        PatchedSerialization.Serialized serialized = PatchedSerialization.serialize(original, bytes, changed);

        assertTrue(serialized.patched(), serialized.why());
        byte[] out = ModelBytes.toArray(serialized.bytes());
        byte[] in = ModelBytes.toArray(bytes);
        assertArrayEquals(in, java.util.Arrays.copyOf(out, in.length));
        assertArrayEquals(ModelBytes.toArray(ModelBytes.serialize(changed)), out);
        assertEquals(in.length, serialized.originalPrefix());
    }

    /** Asserts {@code changed} is serialized whole, giving {@code why}, with the bytes serialization gives. */
    private static void assertSerializedWhole(ModelProto original, ByteBuffer bytes, ModelProto changed, String why) {
        PatchedSerialization.Serialized serialized = PatchedSerialization.serialize(original, bytes, changed);
        assertFalse(serialized.patched());
        assertEquals(why, serialized.why());
        assertEquals(0, serialized.originalPrefix());
        assertArrayEquals(ModelBytes.toArray(ModelBytes.serialize(changed)), ModelBytes.toArray(serialized.bytes()));
    }

    @Test
    void aTensorThatChangesLengthIsSerializedWhole() {
        ByteBuffer bytes = OnnxModelReader.map(MLP);
        ModelProto original = OnnxModelReader.parse(MLP, bytes);
        TensorProto first = original.getGraph().getInitializer(0);
        ModelProto changed = original.toBuilder().setGraph(original.getGraph().toBuilder().setInitializer(0,
                first.toBuilder().setRawData(first.getRawData().substring(4)))).build();

        assertSerializedWhole(original, bytes, changed, "tensor " + first.getName() + " changed length");
    }

    @Test
    void aTensorWhoseTypeChangesIsSerializedWhole() {
        ByteBuffer bytes = OnnxModelReader.map(MLP);
        ModelProto original = OnnxModelReader.parse(MLP, bytes);
        TensorProto first = original.getGraph().getInitializer(0);
        ModelProto changed = original.toBuilder().setGraph(original.getGraph().toBuilder().setInitializer(0,
                first.toBuilder().setDataType(TensorProto.DataType.INT32_VALUE)
                        .setRawData(ByteString.copyFrom(new byte[first.getRawData().size()])))).build();

        assertSerializedWhole(original, bytes, changed, "tensor " + first.getName()
                + " changed beyond its raw_data values");
    }

    @Test
    void valuesOutsideRawDataAreSerializedWhole() {
        ModelProto read = OnnxModelReader.read(MLP);
        TensorProto first = read.getGraph().getInitializer(0);
        int count = first.getRawData().size() / 4;
        TensorProto asFloats = first.toBuilder().clearRawData().addAllFloatData(IntStream.range(0, count)
                .mapToObj(i -> 0.5f).toList()).build();
        ByteBuffer bytes = ModelBytes.serialize(read.toBuilder().setGraph(read.getGraph().toBuilder()
                .setInitializer(0, asFloats)).build());
        ModelProto original = OnnxModelReader.parse(MLP, bytes);
        ModelProto changed = original.toBuilder().setGraph(original.getGraph().toBuilder().setInitializer(0,
                asFloats.toBuilder().setFloatData(0, 0f))).build();

        assertSerializedWhole(original, bytes, changed, "tensor " + first.getName()
                + " holds its values outside raw_data");
    }

    @Test
    void aChangedGraphIsSerializedWhole() {
        ByteBuffer bytes = OnnxModelReader.map(MLP);
        ModelProto original = OnnxModelReader.parse(MLP, bytes);
        ModelProto changed = original.toBuilder().setGraph(original.getGraph().toBuilder().setNode(0,
                original.getGraph().getNode(0).toBuilder().setName("renamed"))).build();

        assertSerializedWhole(original, bytes, changed,
                "the graph changed beyond its initializers (nodes, inputs or outputs)");
    }

    @Test
    void replacedMetadataIsSerializedWhole() {
        ModelProto read = OnnxModelReader.read(MLP);
        ByteBuffer bytes = ModelBytes.serialize(read.toBuilder().addMetadataProps(entry("onnx-prune.version", "0.9"))
                .build());
        ModelProto original = OnnxModelReader.parse(MLP, bytes);
        ModelProto changed = original.toBuilder().clearMetadataProps()
                .addMetadataProps(entry("onnx-prune.version", "1.2.3")).build();

        assertSerializedWhole(original, bytes, changed, "metadata entries of the original were replaced or removed");
    }

    @Test
    void aFileWhoseFieldsAreOutOfOrderIsSerializedWholeToTheSameModel() {
        ModelProto read = OnnxModelReader.read(MLP);
        // Metadata first, then the model: parses to the model with that entry, but not as protobuf writes it.
        byte[] metadata = ModelProto.newBuilder().addMetadataProps(entry("author", "me")).build().toByteArray();
        byte[] model = read.toByteArray();
        ByteBuffer bytes = ByteBuffer.allocateDirect(metadata.length + model.length).put(metadata).put(model)
                .position(0);
        ModelProto original = OnnxModelReader.parse(MLP, bytes);
        assertEquals("author", original.getMetadataProps(0).getKey());

        assertSerializedWhole(original, bytes, changedValues(original), "the model's field 1 comes after field 14");
    }

    @Test
    void changedFieldsOutsideTheGraphAreSerializedWhole() {
        ByteBuffer bytes = OnnxModelReader.map(MLP);
        ModelProto original = OnnxModelReader.parse(MLP, bytes);

        assertSerializedWhole(original, bytes, original.toBuilder().setDocString("pruned").build(),
                "fields outside the graph changed");
    }
}
