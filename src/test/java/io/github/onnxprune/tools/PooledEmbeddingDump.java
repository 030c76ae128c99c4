package io.github.onnxprune.tools;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.MiniLmFigures;
import io.github.onnxprune.eval.ModelSignature;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.eval.ValidationDataReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Writes ONNX Runtime's mean-pooled MiniLM embeddings of some sentences, so that tools/minilm's PyTorch study can
 * check that its own forward reproduces each model before it trains one; prints the plugin's cosine figure of every
 * model against the first.
 *
 * <pre>
 * java -cp target/classes:target/test-classes:$(cat target/cp.txt) io.github.onnxprune.tools.PooledEmbeddingDump \
 *     benchmarks/minilm/src/data/validation.npz out-dir original.onnx pruned.onnx ...
 * </pre>
 *
 * Each {@code model.onnx} gives {@code out-dir/model.pooled.f32}: sentences x width little-endian floats.
 */
public final class PooledEmbeddingDump {

    private PooledEmbeddingDump() {
    }

    /** Runs the dump. */
    public static void main(String[] args) throws IOException {
        Path data = Path.of(args[0]);
        Path out = Path.of(args[1]);
        Files.createDirectories(out);
        float[][] first = null;
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            for (int i = 2; i < args.length; i++) {
                Path file = Path.of(args[i]);
                ModelProto model = MiniLmFigures.model(file);
                ValidationData sentences = ValidationDataReader.read(data, ModelSignature.of(model), "labels");
                float[][] pooled = MiniLmFigures.pooled(runtime, model, sentences);
                String name = file.getFileName().toString().replaceFirst("\\.onnx$", "");
                write(out.resolve(name + ".pooled.f32"), pooled);
                if (first == null) {
                    first = pooled;
                }
                System.out.printf(Locale.ROOT, "%s: %d x %d, pooled cosine to %s %.6f%n", name, pooled.length,
                        pooled[0].length, args[2], MiniLmFigures.cosine(first, pooled));
            }
        }
    }

    private static void write(Path file, float[][] rows) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(rows.length * rows[0].length * Float.BYTES)
                .order(ByteOrder.LITTLE_ENDIAN);
        for (float[] row : rows) {
            for (float value : row) {
                buffer.putFloat(value);
            }
        }
        Files.write(file, buffer.array());
    }
}
