package io.github.onnxprune;

import ai.onnx.proto.OnnxMl.ModelProto;
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

    private MiniLmFigures() {
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
