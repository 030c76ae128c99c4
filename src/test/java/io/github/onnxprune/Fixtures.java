package io.github.onnxprune;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.eval.Metric;
import io.github.onnxprune.eval.ModelSignature;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.ScoredOutput;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.eval.ValidationDataReader;
import io.github.onnxprune.onnx.OnnxModelReader;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The committed real-data fixtures (made by tools/fixtures/generate_fixtures.py), read with the plugin's own
 * readers so tests and benchmarks measure exactly what a build measures.
 */
public final class Fixtures {

    /** Where the fixtures live, relative to the project folder. */
    public static final Path ROOT = Path.of("src/test/resources/fixtures");

    private Fixtures() {
    }

    /** A fixture file or folder under src/test/resources/fixtures. */
    public static Path fixture(String relative) {
        return ROOT.resolve(relative);
    }

    /**
     * A fixture model and its validation set.
     *
     * @param name the fixture's short name
     * @param modelFile the .onnx file
     * @param model the parsed model
     * @param data its validation data
     */
    public record Loaded(String name, Path modelFile, ModelProto model, ValidationData data) {

        /** The single input's samples, for models with one input. */
        public Tensor input() {
            return data.inputs().values().iterator().next();
        }
    }

    /** The names of every model fixture, in a fixed order. */
    public static List<String> names() {
        return List.of("digits-mlp", "wine-mlp", "digits-cnn-bn", "digits-cnn-folded", "digits-ffn");
    }

    /** Reads a fixture by name. */
    public static Loaded load(String name) {
        Path model = switch (name) {
            case "digits-mlp" -> fixture("digits-mlp/model.onnx");
            case "wine-mlp" -> fixture("wine-mlp/model.onnx");
            case "digits-cnn-bn" -> fixture("digits-cnn/model-bn.onnx");
            case "digits-cnn-folded" -> fixture("digits-cnn/model-folded.onnx");
            case "digits-ffn" -> fixture("digits-ffn/model.onnx");
            default -> throw new IllegalArgumentException("no fixture " + name);
        };
        Path data = switch (name) {
            case "digits-mlp" -> fixture("digits-mlp/validation.npz");
            case "wine-mlp" -> fixture("wine-mlp/npy");
            case "digits-cnn-bn", "digits-cnn-folded" -> fixture("digits-cnn/validation.npz");
            default -> fixture("digits-ffn/validation.npz");
        };
        ModelProto proto = OnnxModelReader.read(model);
        return new Loaded(name, model, proto, ValidationDataReader.read(data, ModelSignature.of(proto), null));
    }

    /** Every fixture, read. */
    public static List<Loaded> all() {
        return names().stream().map(Fixtures::load).toList();
    }

    /** Samples {@code [from, to)} of the data, with their labels. */
    public static ValidationData slice(ValidationData data, int from, int to) {
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        data.inputs().forEach((name, tensor) -> inputs.put(name, tensor.rows(from, to)));
        long[] labels = data.effectiveLabels();
        return new ValidationData(inputs, labels == null ? null : Arrays.copyOfRange(labels, from, to), null,
                data.source());
    }

    /** The first half of the samples (rounded down): what a held-out run calibrates on. */
    public static ValidationData firstHalf(ValidationData data) {
        return slice(data, 0, data.sampleCount() / 2);
    }

    /** The rest of the samples after {@link #firstHalf}: what a held-out run is evaluated on. */
    public static ValidationData secondHalf(ValidationData data) {
        return slice(data, data.sampleCount() / 2, data.sampleCount());
    }

    /** Top-1 accuracy of {@code model} on {@code data}, measured as the plugin measures it. */
    public static double accuracy(OnnxRuntimeEvaluator runtime, ModelProto model, ValidationData data) {
        float[][] rows = runtime.run(model.toByteArray(), data, ScoredOutput.first(), 64).rows();
        return Metric.ACCURACY.score(rows, rows, data.effectiveLabels());
    }
}
