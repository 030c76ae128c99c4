package io.github.onnxprune.prune.distill;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.MiniLmFigures;
import io.github.onnxprune.eval.ModelSignature;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.eval.ValidationDataReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Block-wise tuning ({@link BlockTuner}) of a MiniLM model the plugin pruned, outside Maven: prints the pooled
 * cosine of the 64 held-out sentences to the original's before and after, and each block's errors and seconds per
 * epoch.
 *
 * <p>Arguments: the pruned model (as {@code mvn -f benchmarks/minilm package -P reconstruct} or {@code -P
 * nodes-allocated} writes it under benchmarks/minilm/target/onnx-prune/models), the original (default: the
 * langchain4j jar in ~/.m2), the folder with validation.npz and calibration.npz (default
 * benchmarks/minilm/src/data). System properties: {@code -Depochs=4}, {@code -Drate=1e-4} (Adam's step),
 * {@code -Dbatch=16} (sentences per step), {@code -DheldOut=32} (last calibration sentences judging the epochs),
 * {@code -Dsamples=256} (calibration sentences), {@code -Dblocks=0} (the first this many blocks tuned, 0: all),
 * {@code -Dcalibration=<file.npz>}, {@code -Dsave=<file>}.
 */
public final class MiniLmBlockTuningBenchmark {

    private MiniLmBlockTuningBenchmark() {
    }

    /** Runs the benchmark. */
    public static void main(String[] args) throws Exception {
        Path prunedFile = Path.of(args[0]);
        Path originalFile = args.length > 1 ? Path.of(args[1]) : MiniLmFigures.JAR;
        Path dataDir = Path.of(args.length > 2 ? args[2] : "benchmarks/minilm/src/data");
        ModelProto original = MiniLmFigures.model(originalFile);
        ModelProto pruned = MiniLmFigures.model(prunedFile);
        ModelSignature signature = ModelSignature.of(original);
        ValidationData validation = ValidationDataReader.read(dataDir.resolve("validation.npz"), signature, "labels");
        Path calibrationFile = Path.of(System.getProperty("calibration",
                dataDir.resolve("calibration.npz").toString()));
        ValidationData calibration = ValidationDataReader.read(calibrationFile, signature, "labels");
        BlockTuner.Options options = new BlockTuner.Options(Integer.getInteger("epochs", 4),
                Double.parseDouble(System.getProperty("rate", "1e-4")), Integer.getInteger("batch", 16),
                Integer.getInteger("heldOut", 32), Long.getLong("seed", 1), Integer.getInteger("blocks", 0));
        int samples = Integer.getInteger("samples", 256);
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            float[][] reference = MiniLmFigures.pooled(runtime, original, validation);
            double before = MiniLmFigures.cosine(reference, MiniLmFigures.pooled(runtime, pruned, validation));
            System.out.printf(Locale.ROOT, "%s: pooled cosine %.4f before tuning; %s on %d sentences%n",
                    prunedFile.getFileName(), before, options, samples);
            long start = System.nanoTime();
            BlockTuner.Result result = BlockTuner.tune(runtime, original, pruned, calibration, samples, options,
                    line -> System.out.println("  " + line));
            double seconds = (System.nanoTime() - start) / 1e9;
            double after = MiniLmFigures.cosine(reference,
                    MiniLmFigures.pooled(runtime, result.model(), validation));
            System.out.printf(Locale.ROOT, "pooled cosine %.4f -> %.4f after tuning %d blocks in %.1f s (heap used"
                    + " %d MB)%n", before, after, result.blocks().size(), seconds,
                    (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20);
            if (System.getProperty("save") != null) {
                Files.write(Path.of(System.getProperty("save")), result.model().toByteArray());
            }
        }
    }
}
