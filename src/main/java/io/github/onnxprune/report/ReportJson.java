package io.github.onnxprune.report;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.github.onnxprune.prune.SkippedTensor;
import io.github.onnxprune.prune.TensorChange;
import io.github.onnxprune.prune.calibrate.LayerReconstruction;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/** Writes the machine-readable report (target/onnx-prune/report.json): the same facts as the log, per tensor. */
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
