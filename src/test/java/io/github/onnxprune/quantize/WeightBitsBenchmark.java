package io.github.onnxprune.quantize;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.Fixtures;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.Pooling;
import io.github.onnxprune.eval.ScoredOutput;
import io.github.onnxprune.prune.calibrate.ActivationCollector;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Prints, per fixture, the accuracy and the relative output error of its int8 graph with seven-bit and eight-bit
 * weights, as ONNX Runtime runs them on this processor, and the processor's integer dot-product features: the
 * figures behind {@code weightBits}' default (docs/quantization.md, "Seven-bit weights").
 */
public final class WeightBitsBenchmark {

    private static final ScoredOutput EVERY_VALUE = new ScoredOutput(null, Pooling.FLATTEN, null);

    private WeightBitsBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        System.out.println("processor features: " + dotProductFeatures());
        System.out.println(String.format(Locale.ROOT, "%-18s %9s %9s %9s %12s %12s", "fixture", "float", "int8 w7",
                "int8 w8", "error w7", "error w8"));
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            for (String name : List.of("digits-mlp", "wine-mlp", "digits-ffn", "digits-cnn-bn", "digits-cnn-folded")) {
                Fixtures.Loaded fixture = Fixtures.load(name);
                // Conv needs activation ranges; the MLPs are quantized without data, as a build without any would.
                ActivationCollector calibration = name.contains("cnn")
                        ? new ActivationCollector(runtime, fixture.data(), 512, 64) : null;
                ModelProto seven = Int8Quantizer.quantize(fixture.model(), QuantizationSettings.defaults(),
                        calibration).model();
                ModelProto eight = Int8Quantizer.quantize(fixture.model(),
                        QuantizationSettings.defaults().withWeightBits(QuantizationSettings.FULL_WEIGHT_BITS),
                        calibration).model();
                float[][] reference = runtime.run(fixture.model().toByteArray(), fixture.data(), EVERY_VALUE, 64)
                        .rows();
                System.out.println(String.format(Locale.ROOT, "%-18s %8.2f%% %8.2f%% %8.2f%% %12.5f %12.5f", name,
                        100 * Fixtures.accuracy(runtime, fixture.model(), fixture.data()),
                        100 * Fixtures.accuracy(runtime, seven, fixture.data()),
                        100 * Fixtures.accuracy(runtime, eight, fixture.data()),
                        relativeError(reference, runtime.run(seven.toByteArray(), fixture.data(), EVERY_VALUE, 64)
                                .rows()),
                        relativeError(reference, runtime.run(eight.toByteArray(), fixture.data(), EVERY_VALUE, 64)
                                .rows())));
            }
        }
    }

    /** The root of the summed squared differences over the summed squares of the reference. */
    private static double relativeError(float[][] reference, float[][] actual) {
        double difference = 0;
        double norm = 0;
        for (int i = 0; i < reference.length; i++) {
            for (int j = 0; j < reference[i].length; j++) {
                double d = actual[i][j] - (double) reference[i][j];
                difference += d * d;
                norm += reference[i][j] * (double) reference[i][j];
            }
        }
        return Math.sqrt(difference / norm);
    }

    /** The CPU flags that decide whether ONNX Runtime's uint8 x int8 kernels add products in 16 bits. */
    private static Set<String> dotProductFeatures() throws IOException {
        Path cpuInfo = Path.of("/proc/cpuinfo");
        Set<String> found = new TreeSet<>();
        if (!Files.isReadable(cpuInfo)) {
            return found;
        }
        Set<String> wanted = Set.of("avx2", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni", "amx_int8");
        for (String line : Files.readAllLines(cpuInfo)) {
            if (line.startsWith("flags")) {
                for (String flag : line.substring(line.indexOf(':') + 1).trim().split("\\s+")) {
                    if (wanted.contains(flag)) {
                        found.add(flag);
                    }
                }
                break;
            }
        }
        return found;
    }
}
