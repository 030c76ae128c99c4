package io.github.onnxprune.quantize;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.MiniLmFigures;
import io.github.onnxprune.eval.ModelSignature;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.eval.ValidationDataReader;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.prune.NamePattern;
import io.github.onnxprune.prune.PrunableTensor;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.WeightPruningSettings;
import io.github.onnxprune.prune.WeightSelector;
import io.github.onnxprune.prune.MagnitudePruner;
import io.github.onnxprune.report.FileSizes;
import io.github.onnxprune.step.StepInput;
import io.github.onnxprune.step.weights.WeightPruningStep;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What pruning and fewer bits cost on all-MiniLM-L6-v2's embedding tables, outside Maven: per variant the pooled
 * cosine of the 64 held-out sentences to the original's and the deflated size of the whole model. Tables only
 * (the MatMuls float), then with the MatMuls' 50% magnitude mask (not re-fitted: the re-fit is the build's).
 * {@code -Dsections=granularity,bits,int8} (the default: all) picks the groups of variants: tables pruned per row
 * and per table, tables kept to fewer bits, and the whole model int8 after the MatMuls' 50% mask.
 *
 * <p>Arguments: the model file (default benchmarks/minilm/target/classes/models/all-minilm-l6-v2.onnx) and the
 * folder with validation.npz (default benchmarks/minilm/src/data).
 */
public final class MiniLmTableBenchmark {

    private MiniLmTableBenchmark() {
    }

    /** Runs the benchmark. */
    public static void main(String[] args) throws Exception {
        Path file = Path.of(args.length > 0 ? args[0]
                : "benchmarks/minilm/target/classes/models/all-minilm-l6-v2.onnx");
        Path dataDir = Path.of(args.length > 1 ? args[1] : "benchmarks/minilm/src/data");
        ModelProto model = ModelProto.parseFrom(Files.readAllBytes(file));
        ValidationData validation = ValidationDataReader.read(dataDir.resolve("validation.npz"),
                ModelSignature.of(model), "labels");
        long original = FileSizes.deflatedSize(ByteBuffer.wrap(model.toByteArray()));
        System.out.printf(Locale.ROOT, "original deflated %,d B%n", original);
        System.out.printf(Locale.ROOT, "%-44s %8s %14s %7s%n", "variant", "cosine", "deflated (B)", "ratio");
        try (OnnxRuntimeEvaluator runtime = new OnnxRuntimeEvaluator(1)) {
            float[][] reference = MiniLmFigures.pooled(runtime, model, validation);
            Row row = (name, variant) -> {
                double cosine = MiniLmFigures.cosine(reference, MiniLmFigures.pooled(runtime, variant, validation));
                long deflated = FileSizes.deflatedSize(ByteBuffer.wrap(variant.toByteArray()));
                System.out.printf(Locale.ROOT, "%-44s %8.4f %,14d %7.4f%n", name, cosine, deflated,
                        (double) deflated / original);
            };
            List<String> sections = List.of(System.getProperty("sections", "granularity,bits,int8").split(","));
            if (sections.contains("granularity")) {
                for (double s : new double[] {0.25, 0.5, 0.75}) {
                    row.print("tables " + s + " per row", tables(model, s));
                    row.print("tables " + s + " per table", perTable(model, s));
                }
            }
            if (sections.contains("bits")) {
                List<NamePattern> matMulsFloat = List.of(new NamePattern("*MatMul*"));
                for (int bits : new int[] {8, 5, 4, 3}) {
                    row.print("tables " + bits + "-bit (MatMuls float)", quantize(model, matMulsFloat, bits));
                }
                row.print("word table alone 4-bit", quantize(model, List.of(new NamePattern("*MatMul*"),
                        new NamePattern("/embeddings/position_embeddings/*")), 4));
                row.print("position table alone 4-bit", quantize(model, List.of(new NamePattern("*MatMul*"),
                        new NamePattern("/embeddings/word_embeddings/*")), 4));
                row.print("tables 0.5 per row + 4-bit (MatMuls float)", quantize(tables(model, 0.5), matMulsFloat,
                        4));
            }
            if (sections.contains("int8")) {
                ModelProto half = weights(model, 0.5, 0);
                for (int bits : new int[] {8, 5, 4}) {
                    row.print("MatMuls 0.5, all int8, tables " + bits + "-bit", quantize(half, List.of(), bits));
                }
                ModelProto both = weights(model, 0.5, 0.5);
                row.print("MatMuls 0.5 + tables 0.5, int8, tables 8-bit", quantize(both, List.of(), 8));
                row.print("MatMuls 0.5 + tables 0.5, int8, tables 4-bit", quantize(both, List.of(), 4));
            }
        }
    }

    private interface Row {
        void print(String name, ModelProto variant);
    }

    private static ModelProto weights(ModelProto model, double sparsity, double tableSparsity) {
        return new WeightPruningStep(new WeightPruningSettings(sparsity, Scope.LAYERWISE, List.of(), tableSparsity),
                TensorFilter.all(), false).apply(new StepInput(model, model, null)).model();
    }

    /** Only the tables pruned (the token-type table of 2 rows too: it is under 0.1% and stays float in int8). */
    private static ModelProto tables(ModelProto model, double sparsity) {
        return weights(model, 0, sparsity);
    }

    /** The tables pruned by one threshold each over all their values, as a MatMul weight would be. */
    private static ModelProto perTable(ModelProto model, double sparsity) {
        ModelGraph graph = ModelGraph.of(model);
        List<PrunableTensor> asWeights = WeightSelector.select(graph, new TensorFilter(Set.of(), List.of(), List.of(),
                0), true).tensors().stream().map(t -> new PrunableTensor(t.constant(), List.of("MatMul"),
                        t.nodeNames())).toList();
        return MagnitudePruner.prune(graph, asWeights, new WeightPruningSettings(sparsity, Scope.LAYERWISE,
                List.of())).model();
    }

    private static ModelProto quantize(ModelProto model, List<NamePattern> excludes, int bits) {
        return Int8Quantizer.quantize(model, new QuantizationSettings(excludes, Set.of(), bits), null).model();
    }
}
