package io.github.onnxprune;

import ai.onnx.proto.OnnxMl;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A tiny BERT-shaped model built in code: token ids look up a 2-wide embedding and a MatMul projects it, giving
 * {@code last_hidden_state [batch, tokens, 2]}; {@code attention_mask [batch, tokens]} is an input the graph does not
 * read, as the mask only matters to pooling. Embeddings and projections are small dyadic numbers, so every output
 * is exact in float.
 */
public final class TokenModel {

    /** One embedding row per token id 0..3. */
    public static final float[][] EMBEDDINGS = {{1, 0}, {0, 1}, {1, 1}, {2, 0}};

    private TokenModel() {
    }

    /** The model with this 2x2 projection ({@code [in, out]}, as MatMul reads it). */
    public static OnnxMl.ModelProto build(float[][] projection) {
        return build(projection, "attention_mask");
    }

    /** The model with this projection and its mask input under another name. */
    public static OnnxMl.ModelProto build(float[][] projection, String maskInput) {
        OnnxMl.TensorProto.Builder embeddings = OnnxMl.TensorProto.newBuilder().setName("embeddings")
                .setDataType(OnnxMl.TensorProto.DataType.FLOAT.getNumber()).addDims(4).addDims(2);
        for (float[] row : EMBEDDINGS) {
            for (float value : row) {
                embeddings.addFloatData(value);
            }
        }
        OnnxMl.TensorProto.Builder weights = OnnxMl.TensorProto.newBuilder().setName("projection")
                .setDataType(OnnxMl.TensorProto.DataType.FLOAT.getNumber()).addDims(2).addDims(2);
        for (float[] row : projection) {
            for (float value : row) {
                weights.addFloatData(value);
            }
        }
        OnnxMl.GraphProto graph = OnnxMl.GraphProto.newBuilder()
                .setName("tokens")
                .addInput(value("input_ids", OnnxMl.TensorProto.DataType.INT64, false))
                .addInput(value(maskInput, OnnxMl.TensorProto.DataType.INT64, false))
                .addInitializer(embeddings)
                .addInitializer(weights)
                .addNode(OnnxMl.NodeProto.newBuilder().setOpType("Gather").setName("lookup")
                        .addInput("embeddings").addInput("input_ids").addOutput("embedded"))
                .addNode(OnnxMl.NodeProto.newBuilder().setOpType("MatMul").setName("project")
                        .addInput("embedded").addInput("projection").addOutput("last_hidden_state"))
                .addOutput(value("last_hidden_state", OnnxMl.TensorProto.DataType.FLOAT, true))
                .build();
        return OnnxMl.ModelProto.newBuilder()
                .setIrVersion(8)
                .setProducerName("onnx-prune-tests")
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
                .setGraph(graph)
                .build();
    }

    /** Writes {@code input_ids.npy} and {@code attention_mask.npy} (int64, {@code [samples, tokens]}) into a folder. */
    public static Path writeData(Path folder, long[][] ids, long[][] mask) throws IOException {
        Files.createDirectories(folder);
        Files.write(folder.resolve("input_ids.npy"), npy(ids));
        Files.write(folder.resolve("attention_mask.npy"), npy(mask));
        return folder;
    }

    private static byte[] npy(long[][] rows) {
        String header = "{'descr': '<i8', 'fortran_order': False, 'shape': (" + rows.length + ", " + rows[0].length
                + "), }";
        int padded = (10 + header.length() + 1 + 63) / 64 * 64;
        StringBuilder text = new StringBuilder(header);
        while (10 + text.length() + 1 < padded) {
            text.append(' ');
        }
        text.append('\n');
        byte[] head = text.toString().getBytes(StandardCharsets.US_ASCII);
        ByteBuffer buffer = ByteBuffer.allocate(10 + head.length + rows.length * rows[0].length * 8)
                .order(ByteOrder.LITTLE_ENDIAN);
        buffer.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0)
                .putShort((short) head.length).put(head);
        for (long[] row : rows) {
            for (long value : row) {
                buffer.putLong(value);
            }
        }
        return buffer.array();
    }

    private static OnnxMl.ValueInfoProto value(String name, OnnxMl.TensorProto.DataType type, boolean features) {
        OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder()
                .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("batch"))
                .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("tokens"));
        if (features) {
            shape.addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(2));
        }
        return OnnxMl.ValueInfoProto.newBuilder().setName(name)
                .setType(OnnxMl.TypeProto.newBuilder().setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
                        .setElemType(type.getNumber()).setShape(shape)))
                .build();
    }
}
