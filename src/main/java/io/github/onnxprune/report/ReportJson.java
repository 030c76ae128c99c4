package io.github.onnxprune.report;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.github.onnxprune.prune.calibrate.LayerReconstruction;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes the machine-readable report (target/onnx-prune/report.json): the same facts as the log, per tensor; and
 * reads it back, so an unchanged rerun can show the stored result without measuring again.
 */
public final class ReportJson {

    /** Fields the pipeline writes for every model; a step's fields must use other names. */
    private static final Set<String> FIXED_FIELDS = Set.of("model", "method", "targetSparsity", "sparsity",
            "parametersBefore", "parametersAfter", "metric", "latencyMicros", "fileBytes", "reconstruction", "steps",
            "warnings", "violations");

    private ReportJson() {
    }

    /** The report as UTF-8 JSON bytes, fields in a fixed order so the file is reproducible. */
    public static byte[] toBytes(String pluginVersion, List<ModelReport> reports) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator json = new JsonFactory().createGenerator(out, JsonEncoding.UTF8)) {
            json.useDefaultPrettyPrinter();
            json.writeStartObject();
            json.writeStringField("tool", "onnx-prune-maven-plugin");
            json.writeStringField("version", pluginVersion);
            json.writeArrayFieldStart("models");
            for (ModelReport report : reports) {
                writeModel(json, report);
            }
            json.writeEndArray();
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.write('\n');
        return out.toByteArray();
    }

    /**
     * Reads a report this class wrote: {@code toBytes(version, read(bytes))} gives {@code bytes} back. Derived
     * fields (sparsityReached, prunedWeights, zeroWeights, size) are recomputed rather than read.
     *
     * @throws IOException when the bytes are not such a report
     */
    public static List<ModelReport> read(byte[] bytes) throws IOException {
        Object root;
        try (JsonParser parser = new JsonFactory().createParser(bytes)) {
            root = value(parser, parser.nextToken());
            if (parser.nextToken() != null) {
                throw new IOException("report.json holds more than one JSON value");
            }
        }
        try {
            Map<String, Object> report = object(root);
            if (!"onnx-prune-maven-plugin".equals(report.get("tool"))) {
                throw new IOException("report.json was not written by onnx-prune-maven-plugin");
            }
            List<ModelReport> models = new ArrayList<>();
            for (Object model : list(report.get("models"))) {
                models.add(readModel(object(model)));
            }
            return models;
        } catch (ClassCastException | NullPointerException | IllegalArgumentException e) {
            throw new IOException("report.json does not have the expected structure: " + e, e);
        }
    }

    private static ModelReport readModel(Map<String, Object> m) {
        Measurement measurement = null;
        if (m.containsKey("metric")) {
            Map<String, Object> metric = object(m.get("metric"));
            measurement = new Measurement(string(metric.get("name")), number(metric.get("baseline")),
                    number(metric.get("pruned")), (int) integer(metric.get("samples")));
        }
        Latency latency = null;
        if (m.containsKey("latencyMicros")) {
            Map<String, Object> l = object(m.get("latencyMicros"));
            BatchedLatency batched = null;
            if (l.containsKey("baselineBatchedPerSample")) {
                batched = new BatchedLatency(number(l.get("baselineBatchedPerSample")),
                        number(l.get("prunedBatchedPerSample")), (int) integer(l.get("batchSize")),
                        (int) integer(l.get("batchedSamples")), (int) integer(l.get("batchedPasses")));
            }
            latency = new Latency(number(l.get("baselineMedian")), number(l.get("baselineP95")),
                    number(l.get("prunedMedian")), number(l.get("prunedP95")), (int) integer(l.get("runs")), batched);
        }
        Map<String, Object> sizes = object(m.get("fileBytes"));
        List<StepSection> steps = new ArrayList<>();
        for (Object item : list(m.get("steps"))) {
            Map<String, Object> step = object(item);
            Map<String, Object> fields = new LinkedHashMap<>();
            for (String name : strings(step.get("fields"))) {
                if (!m.containsKey(name)) {
                    throw new IllegalArgumentException("step field " + name + " is missing");
                }
                fields.put(name, m.get(name));
            }
            Map<String, String> metadata = new LinkedHashMap<>();
            object(step.get("metadata")).forEach((key, value) -> metadata.put(key, string(value)));
            steps.add(new StepSection(string(step.get("step")), fields, (int) integer(step.get("tensors")),
                    step.containsKey("sparsity") ? number(step.get("sparsity")) : null,
                    (Boolean) step.get("reshapes"), string(step.get("logHeading")), strings(step.get("log")),
                    metadata));
        }
        Reconstruction reconstruction = null;
        if (m.containsKey("reconstruction")) {
            Map<String, Object> r = object(m.get("reconstruction"));
            List<LayerReconstruction> refitted = new ArrayList<>();
            for (Object item : list(r.get("layers"))) {
                Map<String, Object> l = object(item);
                boolean measured = l.containsKey("relativeErrorBefore");
                refitted.add(new LayerReconstruction(string(l.get("layer")), string(l.get("opType")),
                        string(l.get("method")), l.containsKey("detail") ? string(l.get("detail")) : "",
                        (int) integer(l.get("rows")), measured ? number(l.get("relativeErrorBefore")) : Double.NaN,
                        measured ? number(l.get("relativeErrorAfter")) : Double.NaN));
            }
            reconstruction = new Reconstruction(string(r.get("data")), (int) integer(r.get("samples")),
                    (Boolean) r.get("metricOnCalibrationData"), refitted);
        }
        return new ModelReport(string(m.get("model")), string(m.get("method")), number(m.get("targetSparsity")),
                integer(m.get("parametersBefore")), integer(m.get("parametersAfter")), measurement, latency,
                new FileSizes(integer(sizes.get("before")), integer(sizes.get("after")),
                        integer(sizes.get("deflatedBefore")), integer(sizes.get("deflatedAfter"))),
                steps, reconstruction, strings(m.get("warnings")), strings(m.get("violations")));
    }

    /** One JSON value as maps, lists, strings, numbers, booleans and null. */
    private static Object value(JsonParser parser, JsonToken token) throws IOException {
        if (token == null) {
            throw new IOException("report.json ends early");
        }
        switch (token) {
            case START_OBJECT -> {
                Map<String, Object> map = new LinkedHashMap<>();
                for (JsonToken next = parser.nextToken(); next != JsonToken.END_OBJECT; next = parser.nextToken()) {
                    String name = parser.currentName();
                    map.put(name, value(parser, parser.nextToken()));
                }
                return map;
            }
            case START_ARRAY -> {
                List<Object> list = new ArrayList<>();
                for (JsonToken next = parser.nextToken(); next != JsonToken.END_ARRAY; next = parser.nextToken()) {
                    list.add(value(parser, next));
                }
                return list;
            }
            case VALUE_STRING -> {
                return parser.getText();
            }
            case VALUE_NUMBER_INT -> {
                return parser.getLongValue();
            }
            case VALUE_NUMBER_FLOAT -> {
                return parser.getDoubleValue();
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                return token == JsonToken.VALUE_TRUE;
            }
            case VALUE_NULL -> {
                return null;
            }
            default -> throw new IOException("unexpected " + token + " in report.json");
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object value) {
        return (Map<String, Object>) java.util.Objects.requireNonNull(value, "missing object");
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object value) {
        return (List<Object>) java.util.Objects.requireNonNull(value, "missing array");
    }

    private static String string(Object value) {
        return (String) java.util.Objects.requireNonNull(value, "missing string");
    }

    private static List<String> strings(Object value) {
        return list(value).stream().map(ReportJson::string).toList();
    }

    /** A double; Infinity and NaN arrive as strings, since JSON numbers cannot hold them. */
    private static double number(Object value) {
        if (value instanceof String text) {
            return Double.parseDouble(text);
        }
        return ((Number) java.util.Objects.requireNonNull(value, "missing number")).doubleValue();
    }

    private static long integer(Object value) {
        return (Long) java.util.Objects.requireNonNull(value, "missing integer");
    }

    private static void writeModel(JsonGenerator json, ModelReport report) throws IOException {
        json.writeStartObject();
        json.writeStringField("model", report.model());
        json.writeStringField("method", report.method());
        json.writeNumberField("targetSparsity", report.targetSparsity());
        json.writeNumberField("sparsity", report.sparsity());
        json.writeNumberField("parametersBefore", report.parametersBefore());
        json.writeNumberField("parametersAfter", report.parametersAfter());
        if (report.measurement() != null) {
            Measurement m = report.measurement();
            json.writeObjectFieldStart("metric");
            json.writeStringField("name", m.metric());
            json.writeNumberField("baseline", m.baseline());
            json.writeNumberField("pruned", m.pruned());
            json.writeNumberField("samples", m.samples());
            json.writeEndObject();
        }
        if (report.latency() != null) {
            Latency l = report.latency();
            json.writeObjectFieldStart("latencyMicros");
            json.writeNumberField("baselineMedian", l.baselineMedian());
            json.writeNumberField("baselineP95", l.baselineP95());
            json.writeNumberField("prunedMedian", l.prunedMedian());
            json.writeNumberField("prunedP95", l.prunedP95());
            json.writeNumberField("runs", l.runs());
            if (l.batched() != null) {
                BatchedLatency b = l.batched();
                json.writeNumberField("baselineBatchedPerSample", b.baselinePerSample());
                json.writeNumberField("prunedBatchedPerSample", b.prunedPerSample());
                json.writeNumberField("batchSize", b.batchSize());
                json.writeNumberField("batchedSamples", b.samples());
                json.writeNumberField("batchedPasses", b.passes());
            }
            json.writeEndObject();
        }
        json.writeObjectFieldStart("fileBytes");
        json.writeNumberField("before", report.sizes().before());
        json.writeNumberField("after", report.sizes().after());
        json.writeNumberField("deflatedBefore", report.sizes().deflatedBefore());
        json.writeNumberField("deflatedAfter", report.sizes().deflatedAfter());
        json.writeEndObject();
        Set<String> written = new HashSet<>(FIXED_FIELDS);
        for (StepSection step : report.steps()) {
            for (Map.Entry<String, Object> field : step.fields().entrySet()) {
                if (!written.add(field.getKey())) {
                    // Readers find a step's fields by name: two steps may not share one.
                    throw new IllegalStateException("step " + step.step() + " writes field " + field.getKey()
                            + " that is already written");
                }
                json.writeFieldName(field.getKey());
                writeValue(json, field.getValue());
            }
        }
        if (report.reconstruction() != null) {
            writeReconstruction(json, report.reconstruction());
        }
        json.writeArrayFieldStart("steps");
        for (StepSection step : report.steps()) {
            json.writeStartObject();
            json.writeStringField("step", step.step());
            json.writeFieldName("fields");
            writeValue(json, List.copyOf(step.fields().keySet()));
            json.writeNumberField("tensors", step.tensors());
            if (step.sparsity() != null) {
                json.writeNumberField("sparsity", step.sparsity());
            }
            json.writeBooleanField("reshapes", step.reshapes());
            json.writeStringField("logHeading", step.logHeading());
            json.writeFieldName("log");
            writeValue(json, step.log());
            json.writeFieldName("metadata");
            writeValue(json, step.metadata());
            json.writeEndObject();
        }
        json.writeEndArray();
        json.writeFieldName("warnings");
        writeValue(json, report.warnings());
        json.writeArrayFieldStart("violations");
        for (String violation : report.violations()) {
            json.writeString(violation);
        }
        json.writeEndArray();
        json.writeEndObject();
    }

    /** Writes a JSON tree of maps, lists, strings, numbers, booleans and null. */
    private static void writeValue(JsonGenerator json, Object value) throws IOException {
        if (value == null) {
            json.writeNull();
        } else if (value instanceof String text) {
            json.writeString(text);
        } else if (value instanceof Boolean flag) {
            json.writeBoolean(flag);
        } else if (value instanceof Double || value instanceof Float) {
            json.writeNumber(((Number) value).doubleValue());
        } else if (value instanceof Number number) {
            json.writeNumber(number.longValue());
        } else if (value instanceof Map<?, ?> map) {
            json.writeStartObject();
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                json.writeFieldName((String) entry.getKey());
                writeValue(json, entry.getValue());
            }
            json.writeEndObject();
        } else if (value instanceof List<?> items) {
            json.writeStartArray();
            for (Object item : items) {
                writeValue(json, item);
            }
            json.writeEndArray();
        } else {
            throw new IllegalArgumentException("cannot write " + value.getClass().getName() + " to report.json");
        }
    }

    private static void writeReconstruction(JsonGenerator json, Reconstruction reconstruction) throws IOException {
        json.writeObjectFieldStart("reconstruction");
        json.writeStringField("data", reconstruction.data());
        json.writeNumberField("samples", reconstruction.samples());
        json.writeBooleanField("metricOnCalibrationData", reconstruction.metricOnCalibrationData());
        json.writeArrayFieldStart("layers");
        for (LayerReconstruction layer : reconstruction.layers()) {
            json.writeStartObject();
            json.writeStringField("layer", layer.layer());
            json.writeStringField("opType", layer.opType());
            json.writeStringField("method", layer.method());
            if (!layer.detail().isEmpty()) {
                json.writeStringField("detail", layer.detail());
            }
            json.writeNumberField("rows", layer.rows());
            // JSON has no NaN: an error that was not measured is left out.
            if (!Double.isNaN(layer.errorBefore())) {
                json.writeNumberField("relativeErrorBefore", layer.errorBefore());
                json.writeNumberField("relativeErrorAfter", layer.errorAfter());
            }
            json.writeEndObject();
        }
        json.writeEndArray();
        json.writeEndObject();
    }
}
