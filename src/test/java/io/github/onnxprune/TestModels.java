package io.github.onnxprune;

import static io.github.onnxprune.TestGraphs.BATCH;
import static io.github.onnxprune.TestGraphs.TOKENS;
import static io.github.onnxprune.TestGraphs.flatten;
import static io.github.onnxprune.TestGraphs.in;

import ai.onnx.proto.OnnxMl;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Tiny ONNX models built in code, with weights chosen so that float results are exact. */
public final class TestModels {

    /** Gemm weights, {@code [out, in]} because the node uses {@code transB = 1}. */
    public static final float[][] WEIGHTS = {{1f, 2f}, {0.5f, -1f}, {0f, 0.25f}};

    /** Gemm bias. */
    public static final float[] BIAS = {0.5f, -0.5f, 1f};

    /** The token model's embedding rows, one per token id 0..3. */
    public static final float[][] EMBEDDINGS = {{1, 0}, {0, 1}, {1, 1}, {2, 0}};

    private TestModels() {
    }

    /**
     * {@code Y = Gemm(X, W, b, transB=1)} and {@code R = Relu(Y)}; X is {@code [batch, 2]} with the given first
     * dimension ({@code -1} for a symbolic one), Y and R are {@code [batch, 3]}. Opset 13, IR version 8.
     */
    public static OnnxMl.ModelProto gemm(long batch) {
        return new TestGraphs().input("X", batch, 2)
                .initializer("W", flatten(WEIGHTS), 3, 2)
                .initializer("b", BIAS, 3)
                .node("gemm", "Gemm", in("X", "W", "b"), "Y", "transB", 1L)
                .node("relu", "Relu", in("Y"), "R")
                .output("Y", batch, 3)
                .output("R", batch, 3)
                .model();
    }

    /** Expected Gemm output for one sample, computed exactly in double. */
    public static float[] expectedY(float[] x) {
        float[] y = new float[3];
        for (int o = 0; o < 3; o++) {
            y[o] = (float) ((double) WEIGHTS[o][0] * x[0] + (double) WEIGHTS[o][1] * x[1] + BIAS[o]);
        }
        return y;
    }

    /**
     * A tiny BERT-shaped model with this 2x2 projection ({@code [in, out]}, as MatMul reads it): token ids look up
     * a 2-wide embedding ({@link #EMBEDDINGS}) and a MatMul projects it, giving
     * {@code last_hidden_state [batch, tokens, 2]}; {@code attention_mask [batch, tokens]} is an input the graph
     * does not read, as the mask only matters to pooling. All values are small dyadic numbers, so every output is
     * exact in float.
     */
    public static OnnxMl.ModelProto tokens(float[][] projection) {
        return tokens(projection, "attention_mask");
    }

    /** The token model with this projection and its mask input under another name. */
    public static OnnxMl.ModelProto tokens(float[][] projection, String maskInput) {
        return new TestGraphs().int64Input("input_ids", BATCH, TOKENS)
                .int64Input(maskInput, BATCH, TOKENS)
                .initializer("embeddings", flatten(EMBEDDINGS), 4, 2)
                .initializer("projection", flatten(projection), 2, 2)
                .node("lookup", "Gather", in("embeddings", "input_ids"), "embedded")
                .node("project", "MatMul", in("embedded", "projection"), "last_hidden_state")
                .output("last_hidden_state", BATCH, TOKENS, 2)
                .model();
    }

    /**
     * Writes the token model's {@code input_ids.npy} and {@code attention_mask.npy} (int64,
     * {@code [samples, tokens]}) into a folder.
     */
    public static Path writeTokenData(Path folder, long[][] ids, long[][] mask) throws IOException {
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
}
