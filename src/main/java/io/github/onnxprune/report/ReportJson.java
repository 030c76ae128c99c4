package io.github.onnxprune.report;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.github.onnxprune.prune.SkippedTensor;
import io.github.onnxprune.prune.TensorChange;
import io.github.onnxprune.prune.calibrate.LayerReconstruction;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the machine-readable report (target/onnx-prune/report.json): the same facts as the log, per tensor; and
 * reads it back, so an unchanged rerun can show the stored result without measuring again.
 */
public final class ReportJson {

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
        List<TensorChange> tensors = new ArrayList<>();
        for (Object item : list(m.get("tensors"))) {
            Map<String, Object> t = object(item);
            List<Object> shape = list(t.get("shape"));
            long[] dims = new long[shape.size()];
            for (int i = 0; i < dims.length; i++) {
                dims[i] = integer(shape.get(i));
            }
            tensors.add(new TensorChange(string(t.get("name")), strings(t.get("opTypes")), dims,
                    number(t.get("targetSparsity")), integer(t.get("zeroed")), integer(t.get("zerosBefore")),
                    integer(t.get("zerosAfter"))));
        }
        List<LayerReport> layers = new ArrayList<>();
        for (Object item : list(m.get("layers"))) {
            Map<String, Object> l = object(item);
            layers.add(new LayerReport(string(l.get("layer")), string(l.get("opType")),
                    (int) integer(l.get("unitsBefore")), (int) integer(l.get("unitsAfter")),
                    integer(l.get("parametersBefore")), integer(l.get("parametersAfter")),
                    integer(l.get("macsBefore")), integer(l.get("macsAfter"))));
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
                tensors, skipped(m.get("skippedTensors")), layers, skipped(m.get("skippedLayers")),
                integer(m.get("parametersBefore")), integer(m.get("parametersAfter")), measurement, latency,
                new FileSizes(integer(sizes.get("before")), integer(sizes.get("after")),
                        integer(sizes.get("deflatedBefore")), integer(sizes.get("deflatedAfter"))),
                strings(m.get("violations")), reconstruction);
    }

    private static List<SkippedTensor> skipped(Object value) {
        List<SkippedTensor> skipped = new ArrayList<>();
        for (Object item : list(value)) {
            Map<String, Object> s = object(item);
            skipped.add(new SkippedTensor(string(s.get("name")), string(s.get("reason"))));
        }
        return skipped;
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
        json.writeNumberField("sparsityReached", report.sparsityReached());
        json.writeNumberField("prunedWeights", report.prunedWeights());
        json.writeNumberField("zeroWeights", report.zeroWeights());
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
        json.writeArrayFieldStart("tensors");
        for (TensorChange tensor : report.tensors()) {
            json.writeStartObject();
            json.writeStringField("name", tensor.name());
            json.writeArrayFieldStart("opTypes");
            for (String op : tensor.opTypes()) {
                json.writeString(op);
            }
            json.writeEndArray();
            json.writeArrayFieldStart("shape");
            for (long dim : tensor.dims()) {
                json.writeNumber(dim);
            }
            json.writeEndArray();
            json.writeNumberField("size", tensor.size());
            json.writeNumberField("targetSparsity", tensor.targetSparsity());
            json.writeNumberField("zeroed", tensor.zeroed());
            json.writeNumberField("zerosBefore", tensor.zerosBefore());
            json.writeNumberField("zerosAfter", tensor.zerosAfter());
            json.writeNumberField("sparsityReached", tensor.sparsityReached());
            json.writeEndObject();
        }
        json.writeEndArray();
        writeSkipped(json, "skippedTensors", report.skippedTensors());
        json.writeArrayFieldStart("layers");
        for (LayerReport layer : report.layers()) {
            json.writeStartObject();
            json.writeStringField("layer", layer.layer());
            json.writeStringField("opType", layer.opType());
            json.writeNumberField("unitsBefore", layer.unitsBefore());
            json.writeNumberField("unitsAfter", layer.unitsAfter());
            json.writeNumberField("parametersBefore", layer.parametersBefore());
            json.writeNumberField("parametersAfter", layer.parametersAfter());
            json.writeNumberField("macsBefore", layer.macsBefore());
            json.writeNumberField("macsAfter", layer.macsAfter());
            json.writeEndObject();
        }
        json.writeEndArray();
        writeSkipped(json, "skippedLayers", report.skippedLayers());
        if (report.reconstruction() != null) {
            writeReconstruction(json, report.reconstruction());
        }
        json.writeArrayFieldStart("violations");
        for (String violation : report.violations()) {
            json.writeString(violation);
        }
        json.writeEndArray();
        json.writeEndObject();
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

    private static void writeSkipped(JsonGenerator json, String field, List<SkippedTensor> skipped)
            throws IOException {
        json.writeArrayFieldStart(field);
        for (SkippedTensor item : skipped) {
            json.writeStartObject();
            json.writeStringField("name", item.name());
            json.writeStringField("reason", item.reason());
            json.writeEndObject();
        }
        json.writeEndArray();
    }
}
