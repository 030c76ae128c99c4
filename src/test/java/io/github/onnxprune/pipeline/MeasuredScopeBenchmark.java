package io.github.onnxprune.pipeline;

import io.github.onnxprune.Fixtures;
import io.github.onnxprune.eval.Metric;
import io.github.onnxprune.eval.Pooling;
import io.github.onnxprune.eval.ScoredOutput;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.eval.TensorKind;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.gate.GateLimits;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.nodes.UnitImportance;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Prints top-1 accuracy of every fixture weight-pruned at 50/70/90% and re-fitted, with the scopes layerwise,
 * global and measured, held out: calibrated (re-fit and, for measured, each layer's cost) on the first half of
 * the samples, evaluated on the second, through the pipeline as the plugin runs it; and the measured scope's
 * own time. First the BERT-shaped fixture at 50% and 80%, calibrated on its own calibration sentences.
 *
 * <p>A command, not a test; see docs/global-scope.md for how to run it.
 */
public final class MeasuredScopeBenchmark {

    private MeasuredScopeBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path folder = Files.createTempDirectory("measured-scope");
        System.out.printf(Locale.ROOT, "%-18s %4s  %9s %9s %9s  %s%n", "model", "s", "layerwise", "global",
                "measured", "measured scope's own time");
        bert();
        for (String name : Fixtures.names()) {
            Fixtures.Loaded fixture = Fixtures.load(name);
            Path first = write(folder.resolve(name + "-first.npz"), Fixtures.firstHalf(fixture.data()));
            Path second = write(folder.resolve(name + "-second.npz"), Fixtures.secondHalf(fixture.data()));
            for (double sparsity : new double[] {0.5, 0.7, 0.9}) {
                double[] accuracy = new double[3];
                String time = "";
                Scope[] scopes = {Scope.LAYERWISE, Scope.GLOBAL, Scope.MEASURED};
                for (int s = 0; s < scopes.length; s++) {
                    ModelTask task = new ModelTask(fixture.modelFile(), "models/m.onnx", new PruningSettings(
                            PruneMethod.WEIGHTS, sparsity, 0, scopes[s], List.of(), TensorFilter.all(),
                            UnitImportance.L1), new EvaluationSettings(second, null, Metric.ACCURACY, null, 64, 0, 1,
                                    true, new CalibrationSettings(true, first, 512)), new GateLimits(null, 1.0));
                    try (ModelPruningPipeline pipeline = new ModelPruningPipeline("benchmark", 1)) {
                        ModelResult result = pipeline.process(task);
                        accuracy[s] = result.report().measurement().pruned();
                        Object shares = result.report().step("weights").orElseThrow().fields().get("measuredShares");
                        if (shares instanceof Map<?, ?> measured) {
                            time = String.format(Locale.ROOT, "%.2f s (%s evaluations; %s)",
                                    (Double) measured.get("seconds"), measured.get("evaluations"),
                                    Boolean.TRUE.equals(measured.get("informative")) ? "shares moved"
                                            : "no layer moved the metric: uniform");
                        }
                    }
                }
                System.out.printf(Locale.ROOT, "%-18s %4.2f  %8.1f%% %8.1f%% %8.1f%%%s  %s%n", name, sparsity,
                        100 * accuracy[0], 100 * accuracy[1], 100 * accuracy[2],
                        accuracy[2] < Math.max(accuracy[0], accuracy[1]) ? " <" : "  ", time);
            }
        }
    }

    /**
     * The BERT-shaped fixture with its own calibration sentences: pooled cosine of the last hidden state and
     * top-1 accuracy of the logits on the validation sentences.
     */
    private static void bert() throws Exception {
        Path calibration = Fixtures.fixture("digits-bert/calibration.npz");
        for (Metric metric : List.of(Metric.COSINE, Metric.ACCURACY)) {
            ScoredOutput output = metric == Metric.COSINE ? new ScoredOutput("last_hidden_state", Pooling.MEAN, null)
                    : ScoredOutput.named("logits");
            for (double sparsity : new double[] {0.5, 0.8}) {
                double[] scores = new double[3];
                Scope[] scopes = {Scope.LAYERWISE, Scope.GLOBAL, Scope.MEASURED};
                for (int s = 0; s < scopes.length; s++) {
                    ModelTask task = new ModelTask(Fixtures.fixture("digits-bert/model.onnx"), "models/m.onnx",
                            new PruningSettings(PruneMethod.WEIGHTS, sparsity, 0, scopes[s], List.of(),
                                    TensorFilter.all(), UnitImportance.L1), new EvaluationSettings(
                                            Fixtures.fixture("digits-bert/validation.npz"), "labels", metric, output,
                                            64, 0, 1, true, new CalibrationSettings(true, calibration, 512)),
                            new GateLimits(null, 1.0));
                    try (ModelPruningPipeline pipeline = new ModelPruningPipeline("benchmark", 1)) {
                        scores[s] = pipeline.process(task).report().measurement().pruned();
                    }
                }
                System.out.printf(Locale.ROOT, "%-18s %4.2f  %9.4f %9.4f %9.4f  (%s)%n", "digits-bert", sparsity,
                        scores[0], scores[1], scores[2], metric.id());
            }
        }
    }

    /** {@code data} as an .npz of float32 inputs and int64 labels. */
    private static Path write(Path file, ValidationData data) throws Exception {
        try (OutputStream stream = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(stream)) {
            for (Map.Entry<String, Tensor> input : data.inputs().entrySet()) {
                Tensor tensor = input.getValue();
                if (tensor.elementType() != TensorKind.FLOAT) {
                    throw new IllegalArgumentException(input.getKey() + " is not float32");
                }
                ByteBuffer bytes = ByteBuffer.allocate(4 * tensor.elementCount()).order(ByteOrder.LITTLE_ENDIAN);
                bytes.asFloatBuffer().put(tensor.floatView());
                entry(zip, input.getKey(), "<f4", tensor.shape(), bytes.array());
            }
            long[] labels = data.effectiveLabels();
            ByteBuffer bytes = ByteBuffer.allocate(8 * labels.length).order(ByteOrder.LITTLE_ENDIAN);
            bytes.asLongBuffer().put(labels);
            entry(zip, "labels", "<i8", new long[] {labels.length}, bytes.array());
        }
        return file;
    }

    private static void entry(ZipOutputStream zip, String name, String descr, long[] shape, byte[] data)
            throws Exception {
        List<String> dims = java.util.Arrays.stream(shape).mapToObj(Long::toString).toList();
        String header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + String.join(", ", dims)
                + (shape.length == 1 ? "," : "") + "), }";
        int total = 10 + header.length() + 1;
        header += " ".repeat((64 - total % 64) % 64) + "\n";
        ByteBuffer prefix = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
        prefix.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) header.length());
        zip.putNextEntry(new ZipEntry(name + ".npy"));
        zip.write(prefix.array());
        zip.write(header.getBytes(StandardCharsets.US_ASCII));
        zip.write(data);
        zip.closeEntry();
    }
}
