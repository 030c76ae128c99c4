package io.github.onnxprune.prune.calibrate;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.eval.Metric;
import io.github.onnxprune.eval.ModelSignature;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.eval.ValidationDataReader;
import io.github.onnxprune.onnx.OnnxModelReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The real-data fixtures with their validation sets, and accuracy measured with ONNX Runtime. */
final class CalibrationFixtures {

    static final Path ROOT = Path.of("src/test/resources/fixtures");

    /** A fixture model and its validation data. */
    record Fixture(String name, ModelProto model, ValidationData data) {
    }

    private CalibrationFixtures() {
    }

    static List<String> names() {
        return List.of("digits-mlp", "wine-mlp", "digits-cnn-bn", "digits-cnn-folded", "digits-ffn");
    }

    static Fixture load(String name) throws IOException {
        Path model = switch (name) {
            case "digits-mlp" -> ROOT.resolve("digits-mlp/model.onnx");
            case "wine-mlp" -> ROOT.resolve("wine-mlp/model.onnx");
            case "digits-cnn-bn" -> ROOT.resolve("digits-cnn/model-bn.onnx");
            case "digits-cnn-folded" -> ROOT.resolve("digits-cnn/model-folded.onnx");
            default -> ROOT.resolve("digits-ffn/model.onnx");
        };
        Path data = switch (name) {
            case "digits-mlp" -> ROOT.resolve("digits-mlp/validation.npz");
            case "wine-mlp" -> ROOT.resolve("wine-mlp/npy");
            case "digits-cnn-bn", "digits-cnn-folded" -> ROOT.resolve("digits-cnn/validation.npz");
            default -> ROOT.resolve("digits-ffn/validation.npz");
        };
        ModelProto proto = OnnxModelReader.read(model);
        return new Fixture(name, proto, ValidationDataReader.read(data, ModelSignature.of(proto), null));
    }

    /** Samples {@code [from, to)} of the data. */
    static ValidationData slice(ValidationData data, int from, int to) {
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        data.inputs().forEach((name, tensor) -> inputs.put(name, tensor.rows(from, to)));
        long[] labels = data.effectiveLabels();
        return new ValidationData(inputs, java.util.Arrays.copyOfRange(labels, from, to), null, data.source());
    }

    static double accuracy(OnnxRuntimeEvaluator runtime, ModelProto model, ValidationData data) {
        float[][] rows = runtime.run(model.toByteArray(), data, null, 64).rows();
        return Metric.ACCURACY.score(rows, rows, data.effectiveLabels());
    }
}
