package io.github.onnxprune.pipeline;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import io.github.onnxprune.gate.AccuracyGate;
import io.github.onnxprune.report.ModelReport;
import io.github.onnxprune.report.StepSection;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** What a shipped model's metadata_props say about this plugin's work on it, and how a pruned model is known. */
final class ModelStamp {

    /** The metadata key whose presence marks a model this plugin already pruned. */
    static final String VERSION_KEY = "onnx-prune.version";

    private ModelStamp() {
    }

    /** Whether this plugin already pruned {@code model}. */
    static boolean isStamped(ModelProto model) {
        return model.getMetadataPropsList().stream().anyMatch(entry -> entry.getKey().equals(VERSION_KEY));
    }

    /** {@code model} with what {@code report} records in its metadata_props, replacing this plugin's earlier keys. */
    static ModelProto stamp(ModelProto model, ModelReport report, String pluginVersion) {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("onnx-prune.method", report.method());
        props.put("onnx-prune.sparsity", String.format(Locale.ROOT, "%.4f", report.sparsity()));
        for (StepSection step : report.steps()) {
            props.putAll(step.metadata());
        }
        if (report.measurement() != null) {
            props.put("onnx-prune.metric", report.measurement().metric());
            props.put("onnx-prune.baseline", AccuracyGate.format(report.measurement().baseline()));
            props.put("onnx-prune.pruned", AccuracyGate.format(report.measurement().pruned()));
        }
        props.put(VERSION_KEY, pluginVersion);
        ModelProto.Builder builder = model.toBuilder();
        builder.clearMetadataProps();
        for (StringStringEntryProto entry : model.getMetadataPropsList()) {
            if (!entry.getKey().startsWith("onnx-prune.")) {
                builder.addMetadataProps(entry);
            }
        }
        props.forEach((key, value) -> builder.addMetadataProps(
                StringStringEntryProto.newBuilder().setKey(key).setValue(value)));
        return builder.build();
    }
}
