package io.github.onnxprune.maven;

import io.github.onnxprune.eval.Metric;
import io.github.onnxprune.eval.Pooling;
import io.github.onnxprune.eval.ScoredOutput;
import io.github.onnxprune.gate.GateLimits;
import io.github.onnxprune.pipeline.CalibrationSettings;
import io.github.onnxprune.pipeline.EvaluationSettings;
import io.github.onnxprune.pipeline.ModelFinder;
import io.github.onnxprune.pipeline.ModelTask;
import io.github.onnxprune.pipeline.PruneMethod;
import io.github.onnxprune.pipeline.PruningSettings;
import io.github.onnxprune.pipeline.Quantization;
import io.github.onnxprune.prune.NamePattern;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.SparsityOverride;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.nodes.UnitImportance;
import io.github.onnxprune.search.SearchSettings;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.project.MavenProject;

/**
 * The prune goal's parameters as the core's per-model tasks: the models found and configured, each with its
 * {@code <model>} element's values where it sets them and the plugin-wide values elsewhere.
 */
final class ModelTasks {

    /** The plugin-wide values, in the shape of a {@code <model>} element that sets every one of them. */
    private final ModelConfiguration pluginWide;
    private final int warmupRuns;
    private final int latencyRuns;
    private final MavenProject project;

    ModelTasks(ModelConfiguration pluginWide, int warmupRuns, int latencyRuns, MavenProject project) {
        this.pluginWide = pluginWide;
        this.warmupRuns = warmupRuns;
        this.latencyRuns = latencyRuns;
        this.project = project;
    }

    /**
     * One task per model: those under {@code root} matching {@code includes} and not {@code excludes}, then each
     * {@code <model>} element's (which replaces a found model's defaults by its own values), in that order.
     */
    List<ModelTask> of(Path root, List<String> includes, List<String> excludes, List<ModelConfiguration> models)
            throws MojoExecutionException, MojoFailureException {
        Map<String, ModelConfiguration> byPath = new LinkedHashMap<>();
        List<String> found;
        try {
            found = ModelFinder.find(root, includes, excludes == null ? List.of() : excludes);
        } catch (IOException e) {
            throw new MojoExecutionException("Cannot list models in " + root + ": " + e.getMessage(), e);
        }
        for (String path : found) {
            byPath.put(path, null);
        }
        for (ModelConfiguration model : listOrEmpty(models)) {
            if (model.path == null || model.path.isBlank()) {
                throw new MojoFailureException("A <model> element has no <path>. Give the model's path relative"
                        + " to " + root + ", e.g. <path>models/classifier.onnx</path>.");
            }
            String path = ModelPaths.inJar(model.path, root, project);
            if (!Files.isRegularFile(root.resolve(path))) {
                throw new MojoFailureException(ModelWhereabouts.of(root, project)
                        .configuredModelMissing(model.path, path));
            }
            byPath.put(path, model);
        }
        List<ModelTask> tasks = new ArrayList<>();
        for (Map.Entry<String, ModelConfiguration> entry : byPath.entrySet()) {
            tasks.add(task(root, entry.getKey(), entry.getValue() == null ? new ModelConfiguration()
                    : entry.getValue()));
        }
        return tasks;
    }

    private ModelTask task(Path root, String path, ModelConfiguration model) throws MojoFailureException {
        try {
            PruningSettings pruning = new PruningSettings(
                    PruneMethod.parse(or(model.method, pluginWide.method)),
                    or(model.sparsity, pluginWide.sparsity),
                    or(model.nodeSparsity, pluginWide.nodeSparsity),
                    Scope.parse(or(model.scope, pluginWide.scope)),
                    or(model.sparsityOverrides, listOrEmpty(pluginWide.sparsityOverrides)).stream()
                            .map(SparsityOverride::parse).toList(),
                    new TensorFilter(
                            new LinkedHashSet<>(or(model.opTypes, listOrEmpty(pluginWide.opTypes).isEmpty()
                                    ? List.copyOf(TensorFilter.DEFAULT_OP_TYPES) : pluginWide.opTypes)),
                            patterns(or(model.tensorIncludes, listOrEmpty(pluginWide.tensorIncludes))),
                            patterns(or(model.tensorExcludes, listOrEmpty(pluginWide.tensorExcludes))),
                            or(model.minTensorSize, pluginWide.minTensorSize)),
                    UnitImportance.parse(or(model.importance, pluginWide.importance)),
                    new Quantization(or(model.quantize, pluginWide.quantize),
                            patterns(or(model.quantizeExcludes, listOrEmpty(pluginWide.quantizeExcludes))),
                            or(model.quantizeFallback, pluginWide.quantizeFallback),
                            or(model.tableBits, pluginWide.tableBits), or(model.weightBits, pluginWide.weightBits)),
                    SearchSettings.parse(or(model.search, pluginWide.search),
                                    or(model.searchBudget, pluginWide.searchBudget))
                            .withProfile(or(model.sensitivity, pluginWide.sensitivity)),
                    or(model.tableSparsity, pluginWide.tableSparsity));
            File data = or(model.validationData, pluginWide.validationData);
            boolean required = or(model.requireValidation, pluginWide.requireValidation);
            if (data == null && required) {
                throw new MojoFailureException("Model " + path + " has no validation data, so its accuracy after"
                        + " pruning cannot be checked. Set <validationData> (a .npz, a folder of .npy files,"
                        + " ONNX test_data_set folders or a .csv), or set <requireValidation>false"
                        + "</requireValidation> to ship it unmeasured.");
            }
            if (data != null && !data.exists()) {
                throw new MojoFailureException("Validation data " + data + " for model " + path
                        + " does not exist. Check <validationData>; relative paths start at "
                        + project.getBasedir() + ".");
            }
            File calibration = or(model.calibrationData, pluginWide.calibrationData);
            if (calibration != null && !calibration.exists()) {
                throw new MojoFailureException("Calibration data " + calibration + " for model " + path
                        + " does not exist. Check <calibrationData>; relative paths start at "
                        + project.getBasedir() + ". Leave it out to calibrate on <validationData>.");
            }
            EvaluationSettings evaluation = new EvaluationSettings(data == null ? null : data.toPath(),
                    or(model.labelName, pluginWide.labelName), Metric.parse(or(model.metric, pluginWide.metric)),
                    new ScoredOutput(or(model.outputName, pluginWide.outputName),
                            Pooling.parse(or(model.pooling, pluginWide.pooling)),
                            or(model.maskInput, pluginWide.maskInput)),
                    or(model.batchSize, pluginWide.batchSize), warmupRuns, latencyRuns, required,
                    new CalibrationSettings(or(model.reconstruct, pluginWide.reconstruct),
                            calibration == null ? null : calibration.toPath(),
                            or(model.calibrationSamples, pluginWide.calibrationSamples),
                            or(model.calibrationRows, pluginWide.calibrationRows),
                            or(model.inputErrorCorrection, pluginWide.inputErrorCorrection),
                            or(model.residualErrorCorrection, pluginWide.residualErrorCorrection),
                            or(model.refitSweptLayers, pluginWide.refitSweptLayers)));
            GateLimits limits = new GateLimits(or(model.minAccuracy, pluginWide.minAccuracy),
                    or(model.maxAccuracyDrop, pluginWide.maxAccuracyDrop));
            return new ModelTask(root.resolve(path), path, pruning, evaluation, limits);
        } catch (IllegalArgumentException e) {
            throw new MojoFailureException("Invalid onnx-prune configuration for model " + path + ": "
                    + sentence(e.getMessage()), e);
        }
    }

    private static String sentence(String text) {
        return text.endsWith(".") ? text : text + ".";
    }

    private static List<NamePattern> patterns(List<String> globs) {
        return globs.stream().map(NamePattern::new).toList();
    }

    static <T> List<T> listOrEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }

    private static <T> T or(T specific, T general) {
        return specific != null ? specific : general;
    }
}
