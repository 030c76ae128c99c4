package io.github.onnxprune.maven;

import io.github.onnxprune.eval.Metric;
import io.github.onnxprune.eval.Pooling;
import io.github.onnxprune.pipeline.PruneMethod;
import io.github.onnxprune.pipeline.Quantization;
import io.github.onnxprune.pipeline.SettingsValidator;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.nodes.UnitImportance;
import java.io.File;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * One {@code <model>} element: a model path under the build output plus any parameter that differs from the
 * plugin-wide value. Maven fills the fields by name; null means "use the plugin-wide value".
 */
public class ModelConfiguration {

    /** The model's path relative to the build output folder, e.g. models/digits.onnx. */
    String path;
    String method;
    Double sparsity;
    Double nodeSparsity;
    Double tableSparsity;
    String scope;
    List<String> sparsityOverrides;
    List<String> opTypes;
    List<String> tensorIncludes;
    List<String> tensorExcludes;
    Long minTensorSize;
    String importance;
    String quantize;
    List<String> quantizeExcludes;
    Boolean quantizeFallback;
    Integer tableBits;
    Integer weightBits;
    Boolean search;
    String searchBudget;
    Boolean sensitivity;
    File validationData;
    String labelName;
    String metric;
    String outputName;
    String pooling;
    String maskInput;
    Integer batchSize;
    Double minAccuracy;
    Double maxAccuracyDrop;
    Boolean requireValidation;
    Boolean reconstruct;
    File calibrationData;
    Integer calibrationSamples;
    Integer calibrationRows;
    Double inputErrorCorrection;
    Double residualErrorCorrection;
    Boolean refitSweptLayers;

    /** The configured path. */
    public String getPath() {
        return path;
    }

    /** Range checks of every numeric value a {@code <model>} element can override; unset values pass. */
    SettingsValidator check(SettingsValidator settings) {
        return settings.named("method", method, PruneMethod::parse, ids(PruneMethod.values(), PruneMethod::id))
                .named("scope", scope, Scope::parse, ids(Scope.values(), Scope::id))
                .named("importance", importance, UnitImportance::parse,
                        ids(UnitImportance.values(), UnitImportance::id))
                .named("quantize", quantize, mode -> new Quantization(mode, List.of(), true), Quantization.MODES)
                .named("metric", metric, Metric::parse, ids(Metric.values(), Metric::id))
                .named("pooling", pooling, Pooling::parse, ids(Pooling.values(), Pooling::id))
                .fraction("sparsity", sparsity).fraction("nodeSparsity", nodeSparsity)
                .fraction("tableSparsity", tableSparsity)
                .overrides("sparsityOverrides", sparsityOverrides)
                .range("minTensorSize", minTensorSize, 0, Long.MAX_VALUE)
                .range("calibrationSamples", calibrationSamples, 1, SettingsValidator.MAX_SAMPLES)
                .range("calibrationRows", calibrationRows, 1, SettingsValidator.MAX_SAMPLES)
                .share("inputErrorCorrection", inputErrorCorrection)
                .share("residualErrorCorrection", residualErrorCorrection)
                .range("batchSize", batchSize, 1, SettingsValidator.MAX_BATCH)
                .range("tableBits", tableBits, 2, 8)
                .range("weightBits", weightBits, 7, 8)
                .searchBudget("searchBudget", searchBudget)
                .finite("minAccuracy", minAccuracy).atLeast("maxAccuracyDrop", maxAccuracyDrop, 0);
    }

    private static <T> List<String> ids(T[] values, Function<T, String> id) {
        return Arrays.stream(values).map(id).toList();
    }
}
