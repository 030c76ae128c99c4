package io.github.onnxprune.prune.calibrate;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.ScoredOutput;
import io.github.onnxprune.eval.Tensor;
import io.github.onnxprune.eval.TensorKind;
import io.github.onnxprune.eval.ValidationData;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads intermediate values of a model on calibration samples: the values are exposed as extra graph outputs
 * of a copy of the model, which ONNX Runtime then runs. Graph inputs are taken from the samples directly.
 */
public final class ActivationCollector {

    private final OnnxRuntimeEvaluator runtime;
    private final ValidationData samples;
    private final int batchSize;
    private final String maskInput;
    private final java.nio.file.Path scratchFolder;
    // Null when the samples have no mask input whose ones start every sentence.
    private final TokenRows tokenRows;
    private final java.util.concurrent.atomic.AtomicInteger sessions = new java.util.concurrent.atomic.AtomicInteger();

    /**
     * A collector over the first {@code maxSamples} samples of {@code data} (the first ones, so the choice is
     * deterministic), whose padding is marked by an input named {@value ScoredOutput#DEFAULT_MASK_INPUT}.
     */
    public ActivationCollector(OnnxRuntimeEvaluator runtime, ValidationData data, int maxSamples, int batchSize) {
        this(runtime, data, maxSamples, batchSize, ScoredOutput.DEFAULT_MASK_INPUT);
    }

    /** Most parts a staged value is collected in on a small heap ({@link #partStarts}). */
    static final int PARTS = 4;

    /**
     * A collector over the first {@code maxSamples} samples of {@code data} whose zeros in the input
     * {@code maskInput} mark padding (the same input the pooled metric reads).
     */
    public ActivationCollector(OnnxRuntimeEvaluator runtime, ValidationData data, int maxSamples, int batchSize,
            String maskInput) {
        this(runtime, data, maxSamples, batchSize, maskInput, null);
    }

    /**
     * As {@link #ActivationCollector(OnnxRuntimeEvaluator, ValidationData, int, int, String)}, writing the values
     * that a heap without room for them keeps into scratch files in {@code scratchFolder} (the system's temporary
     * folder when null), deleted once read for the last time.
     */
    public ActivationCollector(OnnxRuntimeEvaluator runtime, ValidationData data, int maxSamples, int batchSize,
            String maskInput, java.nio.file.Path scratchFolder) {
        if (maxSamples < 1) {
            throw new IllegalArgumentException("calibrationSamples must be at least 1, got " + maxSamples);
        }
        this.runtime = runtime;
        this.samples = firstSamples(data, maxSamples);
        this.batchSize = batchSize;
        this.maskInput = maskInput == null ? ScoredOutput.DEFAULT_MASK_INPUT : maskInput;
        this.scratchFolder = scratchFolder;
        this.tokenRows = tokenRows(samples, this.maskInput);
    }

    /** The real tokens' layout of the samples' mask, or null when there is none or it is not a prefix of ones. */
    private static TokenRows tokenRows(ValidationData samples, String maskInput) {
        Tensor mask = samples.inputs().get(maskInput);
        if (mask == null || mask.shape().length != 2 || mask.elementType() == TensorKind.FLOAT
                || mask.elementType() == TensorKind.DOUBLE) {
            return null;
        }
        Object data = mask.data();
        return TokenRows.of((int) mask.shape()[0], (int) mask.shape()[1], index -> maskValue(data, index));
    }

    /**
     * The layout of the samples' real tokens when {@code model} can run them cut to each batch's longest: the
     * mask is a prefix of ones with some padding, and the model declares neither the batch nor the token
     * dimension of the inputs the samples feed. Null otherwise.
     */
    TokenRows trimmedRows(ModelProto model) {
        if (tokenRows == null || tokenRows.rowStarts()[tokenRows.lengths().length]
                == (long) tokenRows.lengths().length * tokenRows.tokens()) {
            return null;
        }
        for (ValueInfoProto input : model.getGraph().getInputList()) {
            Tensor data = samples.inputs().get(input.getName());
            if (data == null) {
                continue;
            }
            TensorShapeProto declared = input.getType().getTensorType().getShape();
            boolean tokenAxis = data.shape().length >= 2 && data.shape()[1] == tokenRows.tokens();
            for (int d = 0; d < Math.min(tokenAxis ? 2 : 1, declared.getDimCount()); d++) {
                if (declared.getDim(d).hasDimValue()) {
                    return null;
                }
            }
        }
        return tokenRows;
    }

    /**
     * {@code name} of the model in {@code model} ({@link ModelFile}) on samples {@code from} to {@code to}, fed
     * {@code fed} (values kept as real tokens' rows, of which part {@code part} holds these samples). A token sequence
     * ({@code [batch, tokens, features]} with the batch's tokens) comes as its real tokens' rows only ({@code [rows,
     * features]}, in sample and token order), computed in batches of similar length each cut to its longest ({@link
     * TokenRows#batches}). Any other value is computed on whole sentences instead, in the same batches of consecutive
     * samples as {@link #run(java.nio.file.Path, Map, List, int, int)} (so the same values), on the same ONNX Runtime
     * session: only the batch that showed it is not a token sequence is run in vain.
     */
    PartRun runTrimmed(java.nio.file.Path model, Map<String, StagedValue> fed, String name, int part, int from,
            int to) {
        TokenRows layout = tokenRows;
        List<int[]> batches = layout.batches(from, to, batchSize);
        Map<String, Tensor> fedParts = new LinkedHashMap<>();
        fed.forEach((value, staged) -> fedParts.put(value, staged.part(part)));
        long firstRow = layout.rowStarts()[from];
        int rows = layout.rows(from, to);
        float[][] joined = new float[1][];
        long[][] shape = new long[1][];
        // The batch index from which whole sentences run; -1 while they run cut.
        int[] wholeFrom = {-1};
        sessions.incrementAndGet();
        runtime.runBatches(model, index -> {
            if (wholeFrom[0] < 0) {
                return index < batches.size() ? batch(batches.get(index), fedParts, firstRow) : null;
            }
            int first = from + (index - wholeFrom[0]) * batchSize;
            return first < to ? batch(java.util.stream.IntStream.range(first, Math.min(to, first + batchSize))
                    .toArray(), fedParts, firstRow, tokenRows.tokens()) : null;
        }, List.of(name), (index, outputs) -> {
            Tensor output = outputs.get(name);
            long[] dims = output.shape();
            if (wholeFrom[0] >= 0) {
                int first = (index - wholeFrom[0]) * batchSize;
                long perSample = output.elementCount() / dims[0];
                if (joined[0] == null) {
                    shape[0] = dims.clone();
                    shape[0][0] = to - from;
                    joined[0] = new float[Math.toIntExact(Math.multiplyExact(to - from, perSample))];
                } else if (!java.util.Arrays.equals(dims, 1, dims.length, shape[0], 1, shape[0].length)) {
                    throw new IllegalArgumentException("cannot join " + name + " " + java.util.Arrays.toString(dims)
                            + " to " + java.util.Arrays.toString(shape[0]));
                }
                output.floatView().get(0, joined[0], (int) (first * perSample), (int) (dims[0] * perSample));
                return;
            }
            int[] batch = batches.get(index);
            int longest = layout.longest(batch);
            if (dims.length != 3 || dims[1] != longest || shape[0] != null && dims[2] != shape[0][1]) {
                wholeFrom[0] = index + 1;
                joined[0] = null;
                shape[0] = null;
                return;
            }
            int width = (int) dims[2];
            if (joined[0] == null) {
                joined[0] = new float[Math.multiplyExact(rows, width)];
                shape[0] = new long[] {rows, width};
            }
            java.nio.FloatBuffer values = output.floatView();
            for (int i = 0; i < batch.length; i++) {
                int row = (int) (layout.rowStarts()[batch[i]] - firstRow);
                values.get(i * longest * width, joined[0], row * width, layout.lengths()[batch[i]] * width);
            }
        });
        return new PartRun(Tensor.ofFloats(shape[0], joined[0]), wholeFrom[0] < 0);
    }

    /**
     * A part of a value computed by {@link #runTrimmed}: its real tokens' rows when {@code tokens}, else its
     * samples whole.
     */
    record PartRun(Tensor value, boolean tokens) {
    }

    /**
     * The samples {@code batch} cut to their longest: inputs with the samples' token axis cut, the others' rows
     * picked, and the fed real tokens' rows ({@code firstRow} the first of their part) laid out padded with zeros.
     */
    private ValidationData batch(int[] batch, Map<String, Tensor> fedParts, long firstRow) {
        return batch(batch, fedParts, firstRow, tokenRows.longest(batch));
    }

    /** As {@link #batch(int[], Map, long)}, the samples cut to {@code longest} tokens (all of them: uncut). */
    private ValidationData batch(int[] batch, Map<String, Tensor> fedParts, long firstRow, int longest) {
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        samples.inputs().forEach((name, tensor) -> {
            long[] shape = tensor.shape();
            inputs.put(name, tensor.gather(batch, shape.length >= 2 && shape[1] == tokenRows.tokens() ? longest
                    : -1));
        });
        fedParts.forEach((name, rows) -> inputs.put(name,
                tokenRows.padded(rows.floatView(), firstRow, batch, longest, (int) rows.shape()[1])));
        return new ValidationData(inputs, null, null, samples.source());
    }

    /** Where values kept off the heap are written ({@link StagedActivations}); null: the temporary folder. */
    java.nio.file.Path scratchFolder() {
        return scratchFolder;
    }

    /**
     * Lets the input buffers the runtime keeps for later runs go ({@link OnnxRuntimeEvaluator#releaseSpareBuffers}).
     */
    void releaseSpareBuffers() {
        runtime.releaseSpareBuffers();
    }

    /** How many ONNX Runtime sessions this collector has run its samples on, for tests. */
    int sessions() {
        return sessions.get();
    }

    /** The samples calibrated on. */
    public int sampleCount() {
        return samples.sampleCount();
    }

    /**
     * Only the token positions the samples' attention mask keeps: a {@code [samples, tokens, features]}
     * activation becomes {@code [kept positions, features]}, so statistics and fits never see padding (whose
     * values the model computes but nothing downstream reads). Returned unchanged when the samples have no
     * integer mask input of shape {@code [samples, tokens]} matching the activation.
     */
    public Tensor maskedRows(Tensor activation) {
        int[] positions = keptPositions(activation);
        if (positions == null) {
            return activation;
        }
        int features = (int) activation.shape()[2];
        java.nio.FloatBuffer values = activation.floatView();
        float[] rows = new float[positions.length * features];
        for (int r = 0; r < positions.length; r++) {
            values.get(positions[r] * features, rows, r * features, features);
        }
        return Tensor.ofFloats(new long[] {positions.length, features}, rows);
    }

    /**
     * The positions ({@code sample * tokens + token}) of a {@code [samples, tokens, features]} float activation
     * whose rows {@link #maskedRows} keeps, in order; null when it returns the activation unchanged. Lets a
     * caller read the kept rows in place instead of through a copy of the activation.
     */
    int[] keptPositions(Tensor activation) {
        return activation.elementType() != TensorKind.FLOAT ? null : keptPositions(activation.shape());
    }

    /** {@link #keptPositions(Tensor)} of a float activation of this shape (all parts of a staged value). */
    int[] keptPositions(long[] shape) {
        if (shape.length != 3 || !maskMatches(shape)) {
            return null;
        }
        Object mask = samples.inputs().get(maskInput).data();
        int positions = (int) (shape[0] * shape[1]);
        int kept = 0;
        for (int p = 0; p < positions; p++) {
            kept += maskValue(mask, p) != 0 ? 1 : 0;
        }
        if (kept == 0) {
            return null;
        }
        int[] result = new int[kept];
        int r = 0;
        for (int p = 0; p < positions; p++) {
            if (maskValue(mask, p) != 0) {
                result[r++] = p;
            }
        }
        return result;
    }

    /** Whether the samples have an integer mask input of shape {@code [samples, tokens]} matching {@code shape}. */
    private boolean maskMatches(long[] shape) {
        Tensor mask = samples.inputs().get(maskInput);
        return mask != null && mask.shape().length == 2 && shape[0] == mask.shape()[0]
                && shape[1] == mask.shape()[1];
    }

    /** Element {@code index} of a mask's elements ({@code mask.data()}, read once by the caller). */
    private static long maskValue(Object data, int index) {
        if (data instanceof long[] longs) {
            return longs[index];
        }
        if (data instanceof int[] ints) {
            return ints[index];
        }
        if (data instanceof byte[] bytes) {
            return bytes[index];
        }
        if (data instanceof float[] floats) {
            return floats[index] != 0 ? 1 : 0;
        }
        if (data instanceof double[] doubles) {
            return doubles[index] != 0 ? 1 : 0;
        }
        return 1;
    }

    /** The first {@code count} samples of {@code data} (all of them when it holds fewer). */
    public static ValidationData firstSamples(ValidationData data, int count) {
        if (data.sampleCount() <= count) {
            return data;
        }
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        data.inputs().forEach((name, tensor) -> inputs.put(name, tensor.rows(0, count)));
        long[] labels = data.labels() == null ? null : java.util.Arrays.copyOf(data.labels(), count);
        float[][] references = data.referenceOutputs() == null ? null
                : java.util.Arrays.copyOf(data.referenceOutputs(), count);
        return new ValidationData(inputs, labels, references, data.source());
    }

    /**
     * The named values of {@code model} on every calibration sample, as float32 tensors whose first dimension
     * counts samples.
     *
     * @param model the model to run
     * @param values names of graph inputs, node outputs or graph outputs
     * @return per name, in the order asked
     */
    public Map<String, Tensor> collect(ModelProto model, List<String> values) {
        Set<String> inputs = new HashSet<>();
        model.getGraph().getInputList().forEach(v -> inputs.add(v.getName()));
        List<String> computed = new ArrayList<>();
        for (String value : values) {
            if (!inputs.contains(value) && !computed.contains(value)) {
                computed.add(value);
            }
        }
        Map<String, Tensor> found = Map.of();
        if (!computed.isEmpty()) {
            sessions.incrementAndGet();
            try (ModelFile file = ModelFile.of(ModelCut.withOutputs(model, computed), scratchFolder)) {
                found = runtime.runOutputs(file.path(), samples, computed, batchSize);
            }
        }
        Map<String, Tensor> result = new LinkedHashMap<>();
        for (String value : values) {
            result.put(value, inputs.contains(value) ? asFloats(samples.inputs().get(value), value)
                    : found.get(value));
        }
        return result;
    }

    /**
     * The named outputs of the model in {@code modelFile} ({@link ModelFile}) on samples {@code from} to {@code to}
     * (exclusive), feeding the samples' inputs and {@code fed} (further graph inputs, one row per sample, holding
     * those samples) to it; float32 tensors, first dimension the samples.
     */
    Map<String, Tensor> run(java.nio.file.Path modelFile, Map<String, Tensor> fed, List<String> values, int from,
            int to) {
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        samples.inputs().forEach((name, tensor) -> inputs.put(name, from == 0 && to == samples.sampleCount()
                ? tensor : tensor.rows(from, to)));
        inputs.putAll(fed);
        sessions.incrementAndGet();
        return runtime.runOutputs(modelFile, new ValidationData(inputs, null, null, samples.source()), values,
                batchSize);
    }

    /**
     * The first sample of each part that {@link StagedActivations} collects a value in, and the sample count
     * last: parts of whole batches (so ONNX Runtime sees the same batches, and computes the same values, as in
     * one run over all samples), at most {@code maxParts} of them, or one part when {@code model} fixes its batch
     * size. A value in parts needs no array of all samples' values at once, which the heap may have no room for
     * in one piece (a transformer's feed-forward value over 256 sentences is 80 MB).
     */
    int[] partStarts(ModelProto model, int maxParts) {
        int count = samples.sampleCount();
        boolean fixed = model.getGraph().getInputList().stream().anyMatch(v -> v.getType().hasTensorType()
                && v.getType().getTensorType().getShape().getDimCount() > 0
                && v.getType().getTensorType().getShape().getDim(0).hasDimValue());
        int batches = (count + batchSize - 1) / batchSize;
        int parts = fixed ? 1 : Math.max(1, Math.min(maxParts, batches));
        int perPart = (batches + parts - 1) / parts * batchSize;
        List<Integer> starts = new ArrayList<>();
        for (int from = 0; from < count; from += perPart) {
            starts.add(from);
        }
        starts.add(count);
        return starts.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * An upper estimate of the bytes a float32 layer input of {@code model} {@code width} values wide takes over
     * all calibration samples as {@link StagedActivations} keeps it. When {@code model} runs sentences cut to
     * their real tokens ({@link #trimmedRows}), a token sequence is kept as those rows only: the real tokens
     * counted as positions (padding, which no fit reads, is not kept). Otherwise every sample's input elements
     * (the most of any input: a sentence's tokens, an image's pixels) counted as positions, each a row of
     * {@code width}: exact for a transformer's padded token sequences ({@code [samples, tokens]} ids feeding
     * {@code [samples, tokens, width]} values); larger than the truth for one row per sample or downsampled
     * images, so it errs on the side of the heap.
     */
    long valueBytesAtMost(ModelProto model, int width) {
        TokenRows rows = trimmedRows(model);
        if (rows != null) {
            return rows.rowStarts()[rows.lengths().length] * width * Float.BYTES;
        }
        long positions = 1;
        for (Tensor input : samples.inputs().values()) {
            long perSample = 1;
            long[] shape = input.shape();
            for (int d = 1; d < shape.length; d++) {
                perSample *= shape[d];
            }
            positions = Math.max(positions, perSample);
        }
        return (long) samples.sampleCount() * positions * width * Float.BYTES;
    }

    private static Tensor asFloats(Tensor tensor, String name) {
        if (tensor.elementType() == TensorKind.FLOAT) {
            return tensor;
        }
        if (tensor.elementType() == TensorKind.DOUBLE) {
            double[] values = (double[]) tensor.data();
            float[] floats = new float[values.length];
            for (int i = 0; i < values.length; i++) {
                floats[i] = (float) values[i];
            }
            return Tensor.ofFloats(tensor.shape(), floats);
        }
        throw new IllegalArgumentException("graph input '" + name + "' holds " + tensor.elementType().displayName()
                + " values, which calibration cannot use as layer activations");
    }
}
