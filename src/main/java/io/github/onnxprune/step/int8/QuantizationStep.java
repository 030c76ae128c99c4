package io.github.onnxprune.step.int8;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.prune.NamePattern;
import io.github.onnxprune.quantize.Int8Quantizer;
import io.github.onnxprune.quantize.QuantizationResult;
import io.github.onnxprune.quantize.QuantizationSettings;
import io.github.onnxprune.quantize.QuantizedLayer;
import io.github.onnxprune.report.JsonFields;
import io.github.onnxprune.report.StepSection;
import io.github.onnxprune.step.ModelStep;
import io.github.onnxprune.step.StepInput;
import io.github.onnxprune.step.StepResult;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Int8 quantization as a step ({@link Int8Quantizer}): MatMul and Gemm in ONNX Runtime's dynamic form, Conv as
 * static QDQ from the calibration data. When the gate fails on its result, {@link #relax} puts the quantized layers
 * with the largest measured output error back to float (a table kept to fewer bits back to 8 bits first).
 */
public final class QuantizationStep implements ModelStep<Int8Edits> {

    /** The step's id in the method column. */
    public static final String ID = "int8";

    private final QuantizationSettings settings;
    private final boolean fallback;

    /**
     * A step quantizing every layer except those whose node name matches one of {@code excludes}; with
     * {@code fallback}, a failed gate puts layers back to float.
     */
    public QuantizationStep(List<NamePattern> excludes, boolean fallback) {
        this(new QuantizationSettings(excludes, Set.of()), fallback);
    }

    /**
     * A step quantizing as {@code settings} say (their excludes, table and weight bits); the fallback's choices are
     * added to them round by round.
     */
    public QuantizationStep(QuantizationSettings settings, boolean fallback) {
        this.settings = settings;
        this.fallback = fallback;
    }

    @Override
    public String id() {
        return ID;
    }

    /** Without the fallback, which would already have tried every layer float, the user picks them. */
    @Override
    public List<String> remedies() {
        return fallback ? List.of() : List.of("leave the layers with the largest output error float with"
                + " <quantizeExcludes> or let <quantizeFallback> choose them");
    }

    /** Always: Conv needs activation ranges, and the fallback needs each layer's measured output error. */
    @Override
    public boolean wantsCalibration() {
        return true;
    }

    @Override
    public StepResult<Int8Edits> apply(StepInput input) {
        return quantize(input, new Int8Edits(null, Map.of(), List.of(), System.nanoTime()));
    }

    /**
     * The same quantization with more layers float: those with the largest output error on the calibration data
     * (unmeasured errors go last, then the last in graph order first). A round puts back half as many layers as
     * are already float, at least one, so a model far from its gate needs a few rounds rather than one per layer.
     * Errors are those measured by the first quantization: a layer's own error does not depend on which others
     * are float, so no round measures again.
     */
    @Override
    public Optional<StepResult<Int8Edits>> relax(StepInput input, StepResult<Int8Edits> previous, String cause) {
        Int8Edits edits = previous.edits();
        List<QuantizedLayer> order = fallbackOrder(edits.result().layers());
        if (!fallback || order.isEmpty()) {
            return Optional.empty();
        }
        int round = edits.rounds().size() + 1;
        int count = Math.min(order.size(), layersPerRound(edits.fallback().size()));
        Map<String, String> fallback = new LinkedHashMap<>(edits.fallback());
        Map<String, String> fullBits = new LinkedHashMap<>(edits.fullBits());
        for (QuantizedLayer layer : order.subList(0, count)) {
            if (fewerBits(layer)) {
                // A table kept to fewer bits steps back to int8's full range first: float would cost 4x its bytes.
                fullBits.put(layer.layer(), String.format(Locale.ROOT, "back to 8 bits by the accuracy fallback"
                        + " (round %d; output error %.4f, among the largest) after %s", round, layer.outputError(),
                        cause));
                continue;
            }
            long added = addedBytes(layer);
            fallback.put(layer.layer(), Double.isNaN(layer.outputError())
                    ? String.format(Locale.ROOT, "put back to float by the accuracy fallback (round %d; output error"
                            + " not measured) after %s", round, cause)
                    : String.format(Locale.ROOT, "put back to float by the accuracy fallback (round %d; output error"
                            + " %.4f, among the largest; %.1f KiB more in float) after %s", round,
                            layer.outputError(), added / 1024.0, cause));
        }
        List<FallbackRound> rounds = new ArrayList<>(edits.rounds());
        rounds.add(new FallbackRound(round, count, fallback.size(), cause,
                (System.nanoTime() - edits.startNanos()) / 1_000_000L));
        return Optional.of(quantize(input, new Int8Edits(edits.result(), fallback, rounds, edits.startNanos(),
                fullBits)));
    }

    /** Whether the layer is a table lookup kept to fewer than 8 bits. */
    private static boolean fewerBits(QuantizedLayer layer) {
        return layer.form().startsWith(QuantizedLayer.INT8_GATHER + " (");
    }

    /** Layers to put back in the round after {@code alreadyFloat} went back: half as many, at least one. */
    static int layersPerRound(int alreadyFloat) {
        return Math.max(1, alreadyFloat / 2);
    }

    /**
     * The quantized layers in the order the fallback puts them back to float: largest output error first;
     * unmeasured errors last; ties, the later layer in graph order first. (Error per byte kept float was measured
     * too and lost on all-minilm-l6-v2: it put back cheap attention projections whose error barely moves the
     * pooled cosine, 28 layers for a gate of 0.995 where error alone needed 6; see README, Quantization.)
     */
    static List<QuantizedLayer> fallbackOrder(List<QuantizedLayer> layers) {
        List<QuantizedLayer> quantized = new ArrayList<>(layers.stream().filter(QuantizedLayer::quantized).toList());
        java.util.Collections.reverse(quantized);
        // A stable sort keeps the reversed graph order among equal errors.
        quantized.sort(Comparator.comparingDouble(QuantizationStep::rankedError).reversed());
        return quantized;
    }

    private static double rankedError(QuantizedLayer layer) {
        return Double.isNaN(layer.outputError()) ? -1.0 : layer.outputError();
    }

    /** Bytes the layer's float weight adds over its int8 form, at least 1. */
    private static long addedBytes(QuantizedLayer layer) {
        return Math.max(1, layer.floatBytes() - layer.int8Bytes());
    }

    private StepResult<Int8Edits> quantize(StepInput input, Int8Edits previous) {
        Set<String> keepFloat = new LinkedHashSet<>(previous.fallback().keySet());
        Map<String, Double> known = new LinkedHashMap<>();
        if (previous.result() != null) {
            // A table just put back to 8 bits has a new error; every other layer's stays what it was.
            previous.result().layers().stream().filter(l -> !Double.isNaN(l.outputError()))
                    .filter(l -> !(fewerBits(l) && previous.fullBits().containsKey(l.layer())))
                    .forEach(l -> known.put(l.layer(), l.outputError()));
        }
        QuantizationResult result = Int8Quantizer.quantize(input.model(), settings.withKeepFloat(keepFloat)
                .withFullBitTables(previous.fullBits().keySet()), input.calibration(), known);
        Int8Edits edits = new Int8Edits(result, previous.fallback(), previous.rounds(), previous.startNanos(),
                previous.fullBits());
        ModelProto model = result.anyQuantized() ? result.model() : input.model();
        String unchanged = "";
        if (!result.anyQuantized()) {
            unchanged = result.layers().isEmpty() ? "no MatMul, Gemm, Conv or constant-table Gather layer"
                    : "no layer quantized (" + result.layers().get(0).layer() + ": "
                            + reason(edits, result.layers().get(0)) + ")";
        }
        return new StepResult<>(model, edits, section(edits), null, unchanged);
    }

    /** ", back to 8 bits by the accuracy fallback (...)" for a table the fallback put back to 8 bits, else empty. */
    private static String fullBitsNote(Int8Edits edits, QuantizedLayer layer) {
        String why = edits.fullBits().get(layer.layer());
        return why == null ? "" : ", " + why;
    }

    private static String reason(Int8Edits edits, QuantizedLayer layer) {
        return edits.fallback().getOrDefault(layer.layer(), layer.reason());
    }

    /** One log line per layer up to this many; a bigger model gets a summary (report.json has every layer). */
    static final int MAX_LOGGED_LAYERS = 12;

    /** A line per layer: its form, error and weight size, or why it stayed float. */
    private static List<String> layerLines(Int8Edits edits) {
        List<String> log = new ArrayList<>();
        for (QuantizedLayer layer : edits.result().layers()) {
            log.add(layer.quantized()
                    ? String.format(Locale.ROOT, "%s (%s): int8 as %s%s, weight %.1f -> %.1f KiB%s", layer.layer(),
                            layer.opType(), layer.form(), error(layer), layer.floatBytes() / 1024.0,
                            layer.int8Bytes() / 1024.0, fullBitsNote(edits, layer))
                    : String.format(Locale.ROOT, "%s (%s): float, %s", layer.layer(), layer.opType(),
                            reason(edits, layer)));
        }
        return log;
    }

    /**
     * For models with many layers: one line for the quantized ones (count, forms, largest error, weight size),
     * then one per reason layers stayed float, naming the first few; the fallback's choices always one by one.
     */
    private static List<String> summaryLines(Int8Edits edits) {
        List<QuantizedLayer> all = edits.result().layers();
        List<QuantizedLayer> quantized = all.stream().filter(QuantizedLayer::quantized).toList();
        List<String> log = new ArrayList<>();
        if (!quantized.isEmpty()) {
            Map<String, Long> forms = new LinkedHashMap<>();
            quantized.forEach(l -> forms.merge(l.form(), 1L, Long::sum));
            String formText = forms.entrySet().stream().map(e -> e.getValue() + " as " + e.getKey())
                    .collect(java.util.stream.Collectors.joining(", "));
            QuantizedLayer worst = quantized.stream().filter(l -> !Double.isNaN(l.outputError()))
                    .max(Comparator.comparingDouble(QuantizedLayer::outputError)).orElse(null);
            log.add(String.format(Locale.ROOT, "%d of %d layers int8 (%s)%s, weights %.1f -> %.1f KiB",
                    quantized.size(), all.size(), formText, worst == null ? ""
                            : String.format(Locale.ROOT, ", largest output error %.4f (%s)", worst.outputError(),
                                    worst.layer()),
                    quantized.stream().mapToLong(QuantizedLayer::floatBytes).sum() / 1024.0,
                    quantized.stream().mapToLong(QuantizedLayer::int8Bytes).sum() / 1024.0));
        }
        Map<String, List<String>> byReason = new LinkedHashMap<>();
        for (QuantizedLayer layer : all) {
            if (layer.quantized()) {
                if (edits.fullBits().containsKey(layer.layer())) {
                    log.add(String.format(Locale.ROOT, "%s (%s): int8 as %s%s", layer.layer(), layer.opType(),
                            layer.form(), fullBitsNote(edits, layer)));
                }
                continue;
            }
            if (edits.fallback().containsKey(layer.layer())) {
                log.add(String.format(Locale.ROOT, "%s (%s): float, %s", layer.layer(), layer.opType(),
                        reason(edits, layer)));
            } else {
                byReason.computeIfAbsent(layer.reason(), r -> new ArrayList<>()).add(layer.layer());
            }
        }
        byReason.forEach((why, names) -> log.add(String.format(Locale.ROOT, "%d float, %s: %s%s", names.size(),
                why, String.join(", ", names.subList(0, Math.min(3, names.size()))),
                names.size() > 3 ? " and " + (names.size() - 3) + " more" : "")));
        return log;
    }

    /**
     * One line per fallback round: what failed, how many layers went back, how long the step had run. ONNX
     * Runtime measures each round's model between two lines, so the times show what a round costs.
     */
    static List<String> roundLines(Int8Edits edits) {
        List<String> log = new ArrayList<>();
        for (FallbackRound round : edits.rounds()) {
            log.add(String.format(Locale.ROOT, "fallback round %d: %s; %d layer%s put back, %d float in all, %.1f s"
                    + " since int8 started", round.round(), round.cause(), round.putBack(),
                    round.putBack() == 1 ? "" : "s", round.layersFloat(), round.elapsedMillis() / 1000.0));
        }
        return log;
    }

    private static String error(QuantizedLayer layer) {
        return Double.isNaN(layer.outputError()) ? ""
                : String.format(Locale.ROOT, ", output error %.4f", layer.outputError());
    }

    private static StepSection section(Int8Edits edits) {
        List<JsonFields> layers = new ArrayList<>();
        for (QuantizedLayer layer : edits.result().layers()) {
            JsonFields json = JsonFields.object().put("layer", layer.layer()).put("opType", layer.opType())
                    .put("quantized", layer.quantized()).put("form", layer.form())
                    .put("reason", layer.quantized() ? edits.fullBits().getOrDefault(layer.layer(), "")
                            : reason(edits, layer))
                    .put("floatBytes", layer.floatBytes()).put("int8Bytes", layer.int8Bytes());
            // JSON has no NaN: an error that was not measured is left out.
            if (!Double.isNaN(layer.outputError())) {
                json.put("outputError", layer.outputError());
            }
            layers.add(json);
        }
        List<String> log = new ArrayList<>(edits.result().layers().size() <= MAX_LOGGED_LAYERS ? layerLines(edits)
                : summaryLines(edits));
        log.addAll(roundLines(edits));
        List<JsonFields> rounds = new ArrayList<>();
        for (FallbackRound round : edits.rounds()) {
            rounds.add(JsonFields.object().put("round", round.round()).put("putBack", round.putBack())
                    .put("layersFloat", round.layersFloat()).put("cause", round.cause())
                    .put("elapsedMillis", round.elapsedMillis()));
        }
        long count = edits.result().layers().stream().filter(QuantizedLayer::quantized).count();
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("onnx-prune.quantize", count > 0 ? "int8" : "none");
        metadata.put("onnx-prune.quantizedLayers", count + "/" + edits.result().layers().size());
        return new StepSection(ID, JsonFields.object().put("quantizedLayers", JsonFields.list(layers))
                .put("fallbackLayers", List.copyOf(edits.fallback().keySet()))
                .put("fallbackFullBitTables", List.copyOf(edits.fullBits().keySet()))
                .put("fallbackRounds", JsonFields.list(rounds)).build(), 0, null, false,
                "int8 layers:", log, metadata);
    }
}
