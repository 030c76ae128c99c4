package io.github.onnxprune.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.onnxprune.TestModels;
import io.github.onnxprune.eval.EvaluationSetupException;
import io.github.onnxprune.eval.Metric;
import io.github.onnxprune.eval.Pooling;
import io.github.onnxprune.eval.ScoredOutput;
import io.github.onnxprune.gate.GateLimits;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.nodes.UnitImportance;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An embedding model pruned and gated on mean-pooled cosine, end to end. */
class PooledMetricPipelineTest {

    /** Pruning half of it zeroes 0.25 and 0.5, leaving diag(2, 1). */
    private static final float[][] PROJECTION = {{2, 0.25f}, {0.5f, 1}};
    private static final long[][] IDS = {{0, 1, 2}, {3, 2, 0}, {1, 0, 0}};
    private static final long[][] MASK = {{1, 1, 1}, {1, 1, 0}, {1, 0, 0}};

    @TempDir
    Path folder;

    private ModelTask task(ScoredOutput output, Metric metric) throws Exception {
        Path model = folder.resolve("tokens.onnx");
        Files.write(model, TestModels.tokens(PROJECTION).toByteArray());
        Path data = TestModels.writeTokenData(folder.resolve("validation"), IDS, MASK);
        return new ModelTask(model, "models/tokens.onnx",
                new PruningSettings(PruneMethod.WEIGHTS, 0.5, 0, Scope.LAYERWISE, List.of(), TensorFilter.all(),
                        UnitImportance.L1),
                new EvaluationSettings(data, null, metric, output, 2, 0, 1, true), new GateLimits(0.99, null));
    }

    /** Mean over the real tokens of {@code embedding · projection}, in double. */
    private static double[] pooled(int sample, float[][] projection) {
        double[] sum = new double[2];
        int count = 0;
        for (int t = 0; t < 3; t++) {
            if (MASK[sample][t] == 0) {
                continue;
            }
            count++;
            float[] e = TestModels.EMBEDDINGS[(int) IDS[sample][t]];
            for (int j = 0; j < 2; j++) {
                sum[j] += e[0] * projection[0][j] + e[1] * projection[1][j];
            }
        }
        return new double[] {sum[0] / count, sum[1] / count};
    }

    @Test
    void theGateReadsTheMeanPooledCosine() throws Exception {
        ModelTask task = task(new ScoredOutput(null, Pooling.MEAN, null), Metric.COSINE);

        ModelResult result;
        try (ModelPruningPipeline pipeline = new ModelPruningPipeline("1.2.3", 1)) {
            result = pipeline.process(task);
        }

        double expected = 0;
        for (int i = 0; i < 3; i++) {
            double[] a = pooled(i, PROJECTION);
            double[] b = pooled(i, new float[][] {{2, 0}, {0, 1}});
            expected += (a[0] * b[0] + a[1] * b[1])
                    / Math.sqrt((a[0] * a[0] + a[1] * a[1]) * (b[0] * b[0] + b[1] * b[1]));
        }
        expected /= 3;
        assertEquals("cosine", result.report().measurement().metric());
        assertEquals(1.0, result.report().measurement().baseline());
        assertEquals(expected, result.report().measurement().pruned(), 1e-6);
        // About 0.963 (the third sentence loses a quarter of its direction): the 0.99 floor fails.
        assertFalse(result.passed());
    }

    @Test
    void tokenVectorsWithoutPoolingFailNamingTheModel() throws Exception {
        ModelTask task = task(ScoredOutput.first(), Metric.COSINE);
        Path jar = folder.resolve("app.jar");

        EvaluationSetupException error = assertThrows(EvaluationSetupException.class,
                () -> PruneRun.execute(List.of(task), new RunSettings(folder.resolve("out"), null, null, true,
                        "1.2.3", 1, FileTime.fromMillis(0), true)));

        assertTrue(error.getMessage().startsWith("Model models/tokens.onnx: The model's output 'last_hidden_state' "
                + "has shape [2, 3, 2]"), error.getMessage());
        assertFalse(Files.exists(jar));
    }

    @Test
    void classificationMetricsRefusePooling() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> task(new ScoredOutput(null, Pooling.MEAN, null), Metric.ACCURACY));

        assertEquals("pooling mean is set, but metric accuracy reads one score per class and pools nothing. Leave "
                + "<pooling> out, or use metric cosine or mse, which compare pooled vectors", error.getMessage());
    }
}
