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
 * static QDQ from the calibration data. When the gate fails on its result, {@link #relax} puts the quantized layer
 * with the largest measured output error back to float, one at a time.
 */
public final class QuantizationStep implements ModelStep<Int8Edits> {

    /** The step's id in the method column. */
    public static final String ID = "int8";

    private final List<NamePattern> excludes;
    private final boolean fallback;

    /**
     * A step quantizing every layer except those whose node name matches one of {@code excludes}; with
     * {@code fallback}, a failed gate puts layers back to float.
     */
    public QuantizationStep(List<NamePattern> excludes, boolean fallback) {
        this.excludes = List.copyOf(excludes);
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
        return quantize(input, new Int8Edits(null, Map.of()));
    }

    /**
     * The same quantization with one more layer float: the quantized layer with the largest output error on the
     * calibration data (unmeasured errors count as smallest, then the last in graph order goes first).
     */
    @Override
    public Optional<StepResult<Int8Edits>> relax(StepInput input, StepResult<Int8Edits> previous, String cause) {
        List<QuantizedLayer> quantized = previous.edits().result().layers().stream()
                .filter(QuantizedLayer::quantized).toList();
        if (!fallback || quantized.isEmpty()) {
            return Optional.empty();
        }
        List<QuantizedLayer> order = new ArrayList<>(quantized);
        java.util.Collections.reverse(order);
        QuantizedLayer worst = order.stream().max(Comparator.comparingDouble(
                (QuantizedLayer l) -> Double.isNaN(l.outputError()) ? -1.0 : l.outputError())).orElseThrow();
        Map<String, String> fallback = new LinkedHashMap<>(previous.edits().fallback());
        fallback.put(worst.layer(), Double.isNaN(worst.outputError())
                ? "put back to float by the accuracy fallback (output error not measured) after " + cause
                : String.format(Locale.ROOT, "put back to float by the accuracy fallback (largest output error,"
                        + " %.4f) after %s", worst.outputError(), cause));
        return Optional.of(quantize(input, new Int8Edits(null, fallback)));
    }

    private StepResult<Int8Edits> quantize(StepInput input, Int8Edits previous) {
        Set<String> keepFloat = new LinkedHashSet<>(previous.fallback().keySet());
        QuantizationResult result = Int8Quantizer.quantize(input.model(),
                new QuantizationSettings(excludes, keepFloat), input.calibration());
        Int8Edits edits = new Int8Edits(result, previous.fallback());
        ModelProto model = result.anyQuantized() ? result.model() : input.model();
        String unchanged = "";
        if (!result.anyQuantized()) {
            unchanged = result.layers().isEmpty() ? "no MatMul, Gemm, Conv or constant-table Gather layer"
                    : "no layer quantized (" + result.layers().get(0).layer() + ": "
                            + reason(edits, result.layers().get(0)) + ")";
        }
        return new StepResult<>(model, edits, section(edits), null, unchanged);
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
                    ? String.format(Locale.ROOT, "%s (%s): int8 as %s%s, weight %.1f -> %.1f KiB", layer.layer(),
                            layer.opType(), layer.form(), error(layer), layer.floatBytes() / 1024.0,
                            layer.int8Bytes() / 1024.0)
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

    private static String error(QuantizedLayer layer) {
        return Double.isNaN(layer.outputError()) ? ""
                : String.format(Locale.ROOT, ", output error %.4f", layer.outputError());
    }

    private static StepSection section(Int8Edits edits) {
        List<JsonFields> layers = new ArrayList<>();
        for (QuantizedLayer layer : edits.result().layers()) {
            JsonFields json = JsonFields.object().put("layer", layer.layer()).put("opType", layer.opType())
                    .put("quantized", layer.quantized()).put("form", layer.form())
                    .put("reason", layer.quantized() ? "" : reason(edits, layer))
                    .put("floatBytes", layer.floatBytes()).put("int8Bytes", layer.int8Bytes());
            // JSON has no NaN: an error that was not measured is left out.
            if (!Double.isNaN(layer.outputError())) {
                json.put("outputError", layer.outputError());
            }
            layers.add(json);
        }
        List<String> log = edits.result().layers().size() <= MAX_LOGGED_LAYERS ? layerLines(edits)
                : summaryLines(edits);
        long count = edits.result().layers().stream().filter(QuantizedLayer::quantized).count();
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("onnx-prune.quantize", count > 0 ? "int8" : "none");
        metadata.put("onnx-prune.quantizedLayers", count + "/" + edits.result().layers().size());
        return new StepSection(ID, JsonFields.object().put("quantizedLayers", JsonFields.list(layers))
                .put("fallbackLayers", List.copyOf(edits.fallback().keySet())).build(), 0, null, false,
                "int8 layers:", log, metadata);
    }
}
