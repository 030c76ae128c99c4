package io.github.onnxprune.fuzz;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.Fixtures;
import io.github.onnxprune.eval.EvaluationException;
import io.github.onnxprune.eval.Metric;
import io.github.onnxprune.eval.ValidationDataException;
import io.github.onnxprune.gate.GateLimits;
import io.github.onnxprune.onnx.InvalidModelException;
import io.github.onnxprune.pipeline.CalibrationSettings;
import io.github.onnxprune.pipeline.EvaluationSettings;
import io.github.onnxprune.pipeline.ModelTask;
import io.github.onnxprune.pipeline.PruneMethod;
import io.github.onnxprune.pipeline.PruneRun;
import io.github.onnxprune.pipeline.PruningSettings;
import io.github.onnxprune.pipeline.RunSettings;
import io.github.onnxprune.pipeline.UnexpectedModelException;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.nodes.UnitImportance;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Runs seeded mutations of the fixture models and data files through the plugin's real entry point
 * ({@link PruneRun}: model reading and validation, data reading, pruning, reconstruction, ONNX Runtime
 * evaluation, report and model writing) and sorts every case into an outcome. Case {@code i} of seed
 * {@code s} is always the same case.
 */
final class Fuzzer {

    /** A fixture model with a data set in one of the supported formats. */
    private record Pair(String model, String data, String labelName) {
    }

    private static final List<Pair> CORPUS = List.of(
            new Pair("digits-mlp/model.onnx", "digits-mlp/validation.npz", null),
            new Pair("digits-mlp/model.onnx", "digits-mlp/validation-compressed.npz", null),
            new Pair("digits-mlp/model.onnx", "digits-mlp/npy", null),
            new Pair("digits-mlp/model.onnx", "digits-mlp/validation.csv", null),
            new Pair("digits-mlp/model.onnx", "digits-mlp/test_data_set_*", null),
            new Pair("wine-mlp/model.onnx", "wine-mlp/npy", null),
            new Pair("wine-mlp/model.onnx", "wine-mlp/validation.csv", "class"),
            new Pair("digits-cnn/model-bn.onnx", "digits-cnn/validation.npz", null),
            new Pair("digits-cnn/model-folded.onnx", "digits-cnn/validation.npz", null),
            new Pair("digits-ffn/model.onnx", "digits-ffn/validation.npz", null));

    /** What was done to the case's files. */
    enum Mutation {
        NONE, MODEL_BIT_FLIP, MODEL_TRUNCATE, MODEL_SCRIBBLE, MODEL_OVERSIZED_DIM, MODEL_WRONG_DTYPE,
        MODEL_DUPLICATE_NAME, MODEL_CYCLE, MODEL_BROKEN_NODE, MODEL_EXTERNAL_DATA, MODEL_WRONG_SIGNATURE,
        MODEL_POISONED_WEIGHTS, DATA_BIT_FLIP, DATA_TRUNCATE, DATA_SCRIBBLE, NPY_HEADER, NPY_NAN, CSV_CELL,
        TENSOR_PROTO
    }

    /** How a case ended. The last two are defects: a failure nobody worded, or a wrong exception type. */
    enum Outcome {
        SUCCESS, INVALID_MODEL, INVALID_DATA, RUNTIME_REFUSED, UNEXPECTED, OTHER_EXCEPTION
    }

    /** One case's result; {@code detail} is the message or the exception, for reports. */
    record Result(int index, Mutation mutation, Outcome outcome, String detail, Throwable error) {

        boolean defect() {
            return outcome == Outcome.UNEXPECTED || outcome == Outcome.OTHER_EXCEPTION;
        }
    }

    private final long seed;
    private final Path work;
    private final int reconstructEvery;
    private final Map<String, byte[]> models = new LinkedHashMap<>();

    /**
     * A fuzzer writing every case under {@code work}; one case in {@code reconstructEvery} (drawn at random)
     * re-fits the pruned layers, the slowest step.
     */
    Fuzzer(long seed, Path work, int reconstructEvery) throws IOException {
        this.seed = seed;
        this.work = work;
        this.reconstructEvery = reconstructEvery;
        for (Pair pair : CORPUS) {
            models.putIfAbsent(pair.model, Files.readAllBytes(Fixtures.fixture(pair.model)));
        }
    }

    /** Builds and runs case {@code index}, then deletes its files. */
    Result run(int index) throws IOException {
        return run(index, description -> { });
    }

    /**
     * As {@link #run(int)}, telling {@code trace} what the case is before it runs, so that a case which kills the
     * JVM (a native crash) can be found again.
     */
    Result run(int index, java.util.function.Consumer<String> trace) throws IOException {
        Random random = new Random(seed * 1_000_003L + index);
        Pair pair = CORPUS.get(random.nextInt(CORPUS.size()));
        Path dir = work.resolve("case-" + index);
        Files.createDirectories(dir);
        try {
            Path model = dir.resolve("model.onnx");
            Path data = copyData(pair, dir);
            Mutation mutation = Mutation.values()[random.nextInt(Mutation.values().length)];
            byte[] modelBytes = models.get(pair.model);
            Files.write(model, mutation.name().startsWith("MODEL_") ? mutateModel(modelBytes, mutation, random)
                    : modelBytes);
            if (!mutation.name().startsWith("MODEL_") && mutation != Mutation.NONE) {
                mutation = mutateData(data, mutation, random);
            }
            ModelTask task = task(model, data, pair.labelName, random);
            trace.accept("case " + index + ": " + mutation + " of " + pair.model + " with " + pair.data + ", "
                    + task.pruning().describe() + (task.evaluation().calibration().reconstruct() ? ", re-fitted" : ""));
            return classify(index, mutation, dir, task);
        } finally {
            delete(dir);
        }
    }

    private Result classify(int index, Mutation mutation, Path dir, ModelTask task) {
        try {
            PruneRun.execute(List.of(task), new RunSettings(dir.resolve("out"), null, null, false, "fuzz", 1,
                    FileTime.fromMillis(0), true));
            return new Result(index, mutation, Outcome.SUCCESS, "", null);
        } catch (InvalidModelException e) {
            return named(index, mutation, Outcome.INVALID_MODEL, e, dir.toString());
        } catch (ValidationDataException e) {
            return named(index, mutation, Outcome.INVALID_DATA, e, dir.toString());
        } catch (EvaluationException e) {
            return named(index, mutation, Outcome.RUNTIME_REFUSED, e, task.entryName());
        } catch (UnexpectedModelException e) {
            return new Result(index, mutation, Outcome.UNEXPECTED, e.getMessage(), e);
        } catch (Exception | StackOverflowError | OutOfMemoryError e) {
            return new Result(index, mutation, Outcome.OTHER_EXCEPTION, e.toString(), e);
        }
    }

    /** A worded failure must name the file (or model) at fault; one that does not is a defect too. */
    private static Result named(int index, Mutation mutation, Outcome outcome, RuntimeException e, String name) {
        if (e.getMessage() == null || !e.getMessage().contains(name)) {
            return new Result(index, mutation, Outcome.OTHER_EXCEPTION, "message does not name " + name + ": "
                    + e.getMessage(), e);
        }
        return new Result(index, mutation, outcome, e.getMessage(), e);
    }

    private ModelTask task(Path model, Path data, String labelName, Random random) {
        PruneMethod method = random.nextBoolean() ? PruneMethod.WEIGHTS : PruneMethod.NODES;
        double nodeSparsity = method == PruneMethod.WEIGHTS && random.nextInt(3) == 0 ? 0.25 : 0;
        boolean reconstruct = random.nextInt(reconstructEvery) == 0;
        PruningSettings pruning = new PruningSettings(method, 0.5, nodeSparsity,
                random.nextBoolean() ? Scope.LAYERWISE : Scope.GLOBAL, List.of(), TensorFilter.all(),
                UnitImportance.L1);
        EvaluationSettings evaluation = new EvaluationSettings(data, labelName, Metric.ACCURACY, null, 64, 0, 1, true,
                new CalibrationSettings(reconstruct, null, 128));
        return new ModelTask(model, "models/fuzz.onnx", pruning, evaluation, new GateLimits(null, 0.5));
    }

    private static byte[] mutateModel(byte[] bytes, Mutation mutation, Random random) throws IOException {
        return switch (mutation) {
            case MODEL_BIT_FLIP -> Mutations.flipBits(bytes, random);
            case MODEL_TRUNCATE -> Mutations.truncate(bytes, random);
            case MODEL_SCRIBBLE -> Mutations.scribble(bytes, random);
            default -> {
                ModelProto model = ModelProto.parseFrom(bytes);
                yield (switch (mutation) {
                    case MODEL_OVERSIZED_DIM -> Mutations.oversizedDim(model, random);
                    case MODEL_WRONG_DTYPE -> Mutations.wrongDtype(model, random);
                    case MODEL_DUPLICATE_NAME -> Mutations.duplicateName(model, random);
                    case MODEL_CYCLE -> Mutations.cycle(model, random);
                    case MODEL_BROKEN_NODE -> Mutations.brokenNode(model, random);
                    case MODEL_EXTERNAL_DATA -> Mutations.externalData(model, random);
                    case MODEL_WRONG_SIGNATURE -> Mutations.wrongSignature(model, random);
                    case MODEL_POISONED_WEIGHTS -> Mutations.poisonedWeights(model, random);
                    default -> throw new IllegalStateException(mutation.name());
                }).toByteArray();
            }
        };
    }

    /** Mutates one file of the data set; returns the mutation actually applied (format-specific ones fall back). */
    private static Mutation mutateData(Path data, Mutation mutation, Random random) throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(data)) {
            files = walk.filter(Files::isRegularFile).sorted().toList();
        }
        Path file = files.get(random.nextInt(files.size()));
        String name = file.getFileName().toString();
        byte[] bytes = Files.readAllBytes(file);
        Mutation applied = mutation;
        boolean npz = name.endsWith(".npz");
        switch (mutation) {
            case NPY_HEADER, NPY_NAN -> {
                if (npz) {
                    bytes = mutateNpzEntry(bytes, mutation, random);
                } else if (name.endsWith(".npy")) {
                    bytes = mutation == Mutation.NPY_HEADER ? Mutations.npyHeader(bytes, random)
                            : Mutations.npyPoison(bytes, random);
                } else {
                    applied = Mutation.DATA_SCRIBBLE;
                    bytes = Mutations.scribble(bytes, random);
                }
            }
            case CSV_CELL -> {
                if (name.endsWith(".csv")) {
                    bytes = Mutations.csvCell(bytes, random);
                } else {
                    applied = Mutation.DATA_BIT_FLIP;
                    bytes = Mutations.flipBits(bytes, random);
                }
            }
            case TENSOR_PROTO -> {
                if (name.endsWith(".pb")) {
                    bytes = Mutations.tensorProto(bytes, random);
                } else {
                    applied = Mutation.DATA_TRUNCATE;
                    bytes = Mutations.truncate(bytes, random);
                }
            }
            case DATA_BIT_FLIP -> bytes = Mutations.flipBits(bytes, random);
            case DATA_TRUNCATE -> bytes = Mutations.truncate(bytes, random);
            default -> bytes = Mutations.scribble(bytes, random);
        }
        Files.write(file, bytes);
        return applied;
    }

    /** Rewrites one .npy entry of an archive, keeping the others. */
    private static byte[] mutateNpzEntry(byte[] npz, Mutation mutation, Random random) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipInputStream in = new ZipInputStream(new java.io.ByteArrayInputStream(npz))) {
            for (ZipEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
                entries.put(entry.getName(), in.readAllBytes());
            }
        }
        List<String> names = new ArrayList<>(entries.keySet());
        String target = names.get(random.nextInt(names.size()));
        byte[] array = entries.get(target);
        entries.put(target, mutation == Mutation.NPY_HEADER ? Mutations.npyHeader(array, random)
                : Mutations.npyPoison(array, random));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
                out.putNextEntry(new ZipEntry(entry.getKey()));
                out.write(entry.getValue());
                out.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    /** Copies the pair's data into the case folder, so no fixture is ever touched. */
    private static Path copyData(Pair pair, Path dir) throws IOException {
        if (pair.data.endsWith("test_data_set_*")) {
            Path target = dir.resolve("testdata");
            Path parent = Fixtures.fixture(pair.data).getParent();
            for (String set : List.of("test_data_set_0", "test_data_set_1")) {
                copyTree(parent.resolve(set), target.resolve(set));
            }
            return target;
        }
        Path source = Fixtures.fixture(pair.data);
        Path target = dir.resolve("data-" + source.getFileName());
        copyTree(source, target);
        return target;
    }

    private static void copyTree(Path source, Path target) throws IOException {
        try (Stream<Path> walk = Files.walk(source)) {
            for (Path path : walk.toList()) {
                Path to = target.resolve(source.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(to);
                } else {
                    Files.createDirectories(to.getParent());
                    try (InputStream in = Files.newInputStream(path); OutputStream out = Files.newOutputStream(to)) {
                        in.transferTo(out);
                    }
                }
            }
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.delete(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
