package io.github.onnxprune.maven;

import io.github.onnxprune.eval.EvaluationException;
import io.github.onnxprune.eval.EvaluationSetupException;
import io.github.onnxprune.eval.RuntimeUnavailableException;
import io.github.onnxprune.eval.ValidationDataException;
import io.github.onnxprune.onnx.InvalidModelException;
import io.github.onnxprune.pipeline.ModelResult;
import io.github.onnxprune.pipeline.ModelTask;
import io.github.onnxprune.pipeline.PruneRun;
import io.github.onnxprune.pipeline.RunOutcome;
import io.github.onnxprune.pipeline.RunSettings;
import io.github.onnxprune.pipeline.SettingsValidator;
import io.github.onnxprune.pipeline.HeapExhaustedException;
import io.github.onnxprune.pipeline.UnexpectedModelException;
import io.github.onnxprune.report.ReportTable;
import io.github.onnxprune.ship.ShippingException;
import java.io.File;
import java.io.IOException;
import java.util.List;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecution;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Component;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;
import org.apache.maven.project.MavenProjectHelper;

/**
 * Prunes the ONNX models the project bundles, measures them with ONNX Runtime, fails the build when accuracy
 * falls below the limits, and ships the pruned models in the project's jar.
 */
@Mojo(name = "prune", defaultPhase = LifecyclePhase.PACKAGE, threadSafe = true)
public class PruneMojo extends AbstractMojo {

    @Parameter(defaultValue = "${project}", readonly = true, required = true)
    private MavenProject project;

    @Component
    private MavenProjectHelper projectHelper;

    /** Skips the goal. */
    @Parameter(property = "onnx-prune.skip", defaultValue = "false")
    private boolean skip;

    /** The folder the models are found in; the jar's content root. It is only read, never changed. */
    @Parameter(property = "onnx-prune.modelDirectory", defaultValue = "${project.build.outputDirectory}")
    private File modelDirectory;

    /** Ant patterns of models to prune, relative to modelDirectory. */
    @Parameter(property = "onnx-prune.includes")
    private List<String> includes;

    /** Ant patterns of models to leave alone. */
    @Parameter(property = "onnx-prune.excludes")
    private List<String> excludes;

    /**
     * Models with their own settings; each must exist. Their paths are pruned even if includes miss them. Each
     * {@code <model>} takes {@code <path>} (relative to modelDirectory, with forward slashes: the model's name in
     * the jar) and any of these per-model parameters, which then override the plugin-wide value of the same name:
     * {@code <method>}, {@code <sparsity>}, {@code <nodeSparsity>}, {@code <tableSparsity>}, {@code <scope>}, {@code <sparsityOverrides>},
     * {@code <opTypes>}, {@code <tensorIncludes>}, {@code <tensorExcludes>}, {@code <minTensorSize>},
     * {@code <importance>}, {@code <quantize>}, {@code <quantizeExcludes>}, {@code <quantizeFallback>}, {@code <tableBits>}, {@code <weightBits>},
     * {@code <validationData>}, {@code <labelName>}, {@code <metric>}, {@code <outputName>}, {@code <pooling>},
     * {@code <maskInput>}, {@code <batchSize>}, {@code <minAccuracy>}, {@code <maxAccuracyDrop>},
     * {@code <requireValidation>}, {@code <reconstruct>}, {@code <calibrationData>}, {@code <calibrationSamples>},
     * {@code <calibrationRows>}, {@code <inputErrorCorrection>}, {@code <residualErrorCorrection>},
     * {@code <refitSweptLayers>}, {@code <search>}, {@code <searchBudget>}, {@code <sensitivity>}.
     * Example: {@code <models><model><path>models/embedder.onnx</path><method>nodes</method>
     * <sparsity>0.25</sparsity></model></models>}.
     */
    @Parameter
    private List<ModelConfiguration> models;

    /** weights (zero single weights) or nodes (remove whole neurons and channels). */
    @Parameter(property = "onnx-prune.method", defaultValue = "weights")
    private String method;

    /** The fraction of weights (or, with method nodes, of units) to remove, in [0, 1). */
    @Parameter(property = "onnx-prune.sparsity", defaultValue = "0.5")
    private double sparsity;

    /** With method weights: the fraction of units removed before weight pruning; 0 for none. */
    @Parameter(property = "onnx-prune.nodeSparsity", defaultValue = "0")
    private double nodeSparsity;

    /**
     * With method weights: the fraction of each embedding table's values (tables Gather nodes look rows up in)
     * zeroed, the same in every row; 0 leaves tables dense. Tables are not re-fitted (see docs/quantization.md).
     */
    @Parameter(property = "onnx-prune.tableSparsity", defaultValue = "0")
    private double tableSparsity;

    /**
     * layerwise (each tensor or layer to the target), global (one total across them; for weights the shares
     * that score best on the calibration data among uniform, a scale-free blend and one raw threshold; see
     * docs/global-scope.md) or, for weights re-fitted on calibrationData, measured (one total shared out by each
     * layer's cost measured with the configured metric on the calibration data).
     */
    @Parameter(property = "onnx-prune.scope", defaultValue = "layerwise")
    private String scope;

    /** Per-tensor or per-layer sparsities as pattern=fraction, e.g. fc1.weight=0.3 or conv*=0.2. */
    @Parameter(property = "onnx-prune.sparsityOverrides")
    private List<String> sparsityOverrides;

    /** Operators whose weights are pruned: Gemm, MatMul, Conv, ConvTranspose (default all four). */
    @Parameter(property = "onnx-prune.opTypes")
    private List<String> opTypes;

    /** Name patterns (* and ?) of the only tensors to prune; empty for all. */
    @Parameter(property = "onnx-prune.tensorIncludes")
    private List<String> tensorIncludes;

    /** Name patterns of tensors (or, for node pruning, layers) to leave unpruned. */
    @Parameter(property = "onnx-prune.tensorExcludes")
    private List<String> tensorExcludes;

    /** Tensors with fewer elements are not pruned. */
    @Parameter(property = "onnx-prune.minTensorSize", defaultValue = "0")
    private long minTensorSize;

    /**
     * none, or int8: quantize MatMul, Gemm, Conv and embedding-table Gather layers after pruning (the gate
     * measures the int8 graph).
     */
    @Parameter(property = "onnx-prune.quantize", defaultValue = "none")
    private String quantize;

    /** Node-name patterns (* and ?) of layers that quantization leaves float. */
    @Parameter(property = "onnx-prune.quantizeExcludes")
    private List<String> quantizeExcludes;

    /** Whether a failed gate puts quantized layers back to float, largest output error first, until it passes. */
    @Parameter(property = "onnx-prune.quantizeFallback", defaultValue = "true")
    private boolean quantizeFallback;

    /**
     * With quantize int8: bits of embedding tables' values, 2 to 8. 8 keeps int8's full range; 4 keeps 15 levels
     * per row (lossy: its cosine cost is in docs/quantization.md), which deflate stores in half the bytes.
     */
    @Parameter(property = "onnx-prune.tableBits", defaultValue = "8")
    private int tableBits;

    /**
     * With quantize int8: bits of MatMul, Gemm and Conv weights, 7 or 8. 7 is exact on every x86 processor: ONNX
     * Runtime's kernels without VNNI (AVX2, AVX-512F) add pairs of uint8 x int8 products in 16 bits, which overflow
     * at 8 bits and give wrong results. 8 doubles the levels, for models that run only on VNNI or ARM processors.
     */
    @Parameter(property = "onnx-prune.weightBits", defaultValue = "7")
    private int weightBits;

    /**
     * Whether sparsity and nodeSparsity are upper bounds: the plugin then searches for the strongest compression
     * whose gate passes and logs a pom snippet that pins it.
     */
    @Parameter(property = "onnx-prune.search", defaultValue = "false")
    private boolean search;

    /**
     * What a search may spend: a number of model evaluations, its candidates and the sensitivity profile's runs
     * together (e.g. 12), or minutes (e.g. 5m or 5min: at most 12 evaluations, and none started after that time).
     */
    @Parameter(property = "onnx-prune.searchBudget", defaultValue = "12")
    private String searchBudget;

    /**
     * Measure the sensitivity profile without searching: the metric with each layer (or transformer group) alone
     * pruned to 25, 50, 75 and 90% of its weights, in report.json and report.html.
     */
    @Parameter(property = "onnx-prune.sensitivity", defaultValue = "false")
    private boolean sensitivity;

    /**
     * How node pruning ranks units: l1 or l2 norm of their weights, fluctuation on the calibration data, or
     * compensated (the output error a unit's removal leaves once its reader is re-fitted; needs data).
     */
    @Parameter(property = "onnx-prune.importance", defaultValue = "l1")
    private String importance;

    /** Validation data: a folder of .npy files, a .npz, ONNX test_data_set folders, or a .csv. */
    @Parameter(property = "onnx-prune.validationData")
    private File validationData;

    /**
     * Compensate pruning from calibration data: node pruning re-fits the layers that read removed units, weight
     * pruning re-fits the kept weights, each by least squares so that layer outputs match the original model's.
     */
    @Parameter(property = "onnx-prune.reconstruct", defaultValue = "true")
    private boolean reconstruct;

    /** Samples to fit the reconstruction on, in the validation data formats; defaults to the validation data. */
    @Parameter(property = "onnx-prune.calibrationData")
    private File calibrationData;

    /** The most calibration samples used (the first ones). */
    @Parameter(property = "onnx-prune.calibrationSamples", defaultValue = "512")
    private int calibrationSamples;

    /**
     * The most calibration rows (samples, or tokens and positions) a re-fitted weight layer is fitted on; more fit
     * better and cost time in proportion.
     */
    @Parameter(property = "onnx-prune.calibrationRows", defaultValue = "8192")
    private int calibrationRows;

    /**
     * The share, 0 to 1, of the error a re-fitted weight layer reading token sequences inherits from the layers
     * before it that its fit corrects (0: the dense weights on the pruned inputs are the target).
     */
    @Parameter(property = "onnx-prune.inputErrorCorrection", defaultValue = "0")
    private double inputErrorCorrection;

    /**
     * The share, 0 to 1, of the residual stream's error at its Add that a re-fitted weight layer writing into it
     * (a transformer block's attention output and feed-forward output projections) also corrects.
     */
    @Parameter(property = "onnx-prune.residualErrorCorrection", defaultValue = "0")
    private double residualErrorCorrection;

    /**
     * Whether weight layers whose zeros the column sweep chose (too costly for the exact path) are re-fitted per
     * output by least squares up to 10^11 multiply-adds each, not only up to the exact path's 2*10^10: on MiniLM
     * the feed-forward output projections, +0.001 pooled cosine for 1.1-2.2x the re-fit's CPU time.
     */
    @Parameter(property = "onnx-prune.refitSweptLayers", defaultValue = "false")
    private boolean refitSweptLayers;

    /** The labels array (npy, npz) or column (csv); defaults to labels, or label for csv. */
    @Parameter(property = "onnx-prune.labelName")
    private String labelName;

    /** accuracy, top5, agreement, cosine or mse. */
    @Parameter(property = "onnx-prune.metric", defaultValue = "accuracy")
    private String metric;

    /** The model output the metric reads; defaults to the first. */
    @Parameter(property = "onnx-prune.outputName")
    private String outputName;

    /**
     * For cosine and mse on an output with several dimensions per sample: flatten (all values as one vector) or
     * mean (average over tokens where maskInput is not 0, the sentence-transformers convention).
     */
    @Parameter(property = "onnx-prune.pooling")
    private String pooling;

    /** The input marking real tokens for mean pooling; defaults to attention_mask when the model has it. */
    @Parameter(property = "onnx-prune.maskInput")
    private String maskInput;

    /** Samples per inference call when the model's batch dimension is dynamic. */
    @Parameter(property = "onnx-prune.batchSize", defaultValue = "64")
    private int batchSize;

    /** Untimed single-sample runs before latency is measured. */
    @Parameter(property = "onnx-prune.warmupRuns", defaultValue = "5")
    private int warmupRuns;

    /** Timed single-sample runs per model for the latency figures; 0 measures no latency (single or batched). */
    @Parameter(property = "onnx-prune.latencyRuns", defaultValue = "50")
    private int latencyRuns;

    /** ONNX Runtime threads per session. */
    @Parameter(property = "onnx-prune.intraOpThreads", defaultValue = "1")
    private int intraOpThreads;

    /** Lowest acceptable metric value of the pruned model (a ceiling for mse); unset for none. */
    @Parameter(property = "onnx-prune.minAccuracy")
    private Double minAccuracy;

    /** Largest acceptable loss of the metric against the original model. */
    @Parameter(property = "onnx-prune.maxAccuracyDrop", defaultValue = "0.01")
    private Double maxAccuracyDrop;

    /** Whether a broken limit fails the build; false logs it as a warning and ships anyway. */
    @Parameter(property = "onnx-prune.failOnViolation", defaultValue = "true")
    private boolean failOnViolation;

    /** Whether a model without validation data fails the build. */
    @Parameter(property = "onnx-prune.requireValidation", defaultValue = "true")
    private boolean requireValidation;

    /** Prune and measure even when nothing changed since the last run, instead of reusing its result. */
    @Parameter(property = "onnx-prune.force", defaultValue = "false")
    private boolean force;

    /** Attach the pruned models under this classifier and leave the main jar as built. */
    @Parameter(property = "onnx-prune.classifier")
    private String classifier;

    /**
     * Where pruned models, report.json and the fingerprint are written; by default target/onnx-prune for the
     * default execution and target/onnx-prune-&lt;execution id&gt; for any other, so executions never share one.
     */
    @Parameter(property = "onnx-prune.outputDirectory")
    private File outputDirectory;

    @Parameter(defaultValue = "${mojoExecution}", readonly = true)
    private MojoExecution mojoExecution;

    @Parameter(defaultValue = "${project.build.directory}", readonly = true)
    private File buildDirectory;

    /** Timestamp for reproducible output, as maven-archiver reads it. */
    @Parameter(defaultValue = "${project.build.outputTimestamp}")
    private String outputTimestamp;

    @Parameter(defaultValue = "${plugin.version}", readonly = true)
    private String pluginVersion;

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        if (skip) {
            getLog().info("Skipping ONNX model pruning (onnx-prune.skip).");
            out().restoreOriginals(getLog());
            return;
        }
        validateParameters();
        List<ModelTask> tasks = tasks();
        if (tasks.isEmpty() && "pom".equals(project.getPackaging())) {
            getLog().info("Nothing to prune: packaging pom builds no jar or war, and " + modelDirectory
                    + " holds no ONNX model.");
            return;
        }
        if (tasks.isEmpty()) {
            getLog().warn(ModelWhereabouts.of(modelDirectory.toPath(), project).noModelFound(includePatterns()));
            out().restoreOriginals(getLog());
            return;
        }
        RunOutcome outcome = run(tasks);
        if (outcome.reused()) {
            getLog().info("Models unchanged since the last run (fingerprint " + outcome.fingerprint().substring(0, 12)
                    + "); reusing " + out().relative(out().folder().toFile())
                    + ". Build with -Donnx-prune.force to prune and measure again.");
        }
        getLog().info(out().heading());
        for (String line : ReportTable.lines(outcome.results().stream().map(ModelResult::report).toList())) {
            getLog().info(line);
        }
        for (ModelResult result : outcome.results()) {
            result.report().warnings().forEach(getLog()::warn);
            if (result.alreadyPruned()) {
                getLog().warn("Model " + result.task().entryName() + " was already pruned by onnx-prune;"
                        + " it is shipped unchanged.");
            }
        }
        List<String> violations = outcome.violations();
        if (!violations.isEmpty()) {
            if (failOnViolation) {
                throw new MojoFailureException(String.join(" ", violations)
                        + " Details: " + outcome.report() + ".");
            }
            violations.forEach(getLog()::warn);
        }
        ProjectOutput out = out();
        ShippingNotes.log(getLog(), outcome, out.folder(), out.jar(), out.classifiedArtifact(), out::relative,
                mojoExecution != null && "default-cli".equals(mojoExecution.getExecutionId()));
        out.attachIfClassified(projectHelper);
    }

    /**
     * Every numeric parameter in range before any work, reported in one paragraph naming the elements: the
     * plugin-wide values through the same checks as a {@code <model>} element's, then the plugin-wide-only ones.
     */
    private void validateParameters() throws MojoFailureException {
        ModelConfiguration pluginWide = pluginWide();
        SettingsValidator settings = pluginWide.check(new SettingsValidator())
                .range("warmupRuns", warmupRuns, 0, SettingsValidator.MAX_RUNS)
                .range("latencyRuns", latencyRuns, 0, SettingsValidator.MAX_RUNS)
                .range("intraOpThreads", intraOpThreads, 1, SettingsValidator.MAX_THREADS);
        for (ModelConfiguration model : ModelTasks.listOrEmpty(models)) {
            model.check(settings.forModel(model.path));
        }
        if (settings.failure().isPresent()) {
            throw new MojoFailureException(settings.failure().get());
        }
    }

    private RunOutcome run(List<ModelTask> tasks) throws MojoExecutionException, MojoFailureException {
        if (classifier != null && !classifier.isBlank() && !classifier.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw new MojoFailureException("<classifier>" + classifier + "</classifier> may only hold letters,"
                    + " digits, '.', '_' and '-': it names the file <finalName>-<classifier>.jar beside the jar.");
        }
        try {
            ProjectOutput out = out();
            return PruneRun.execute(tasks, new RunSettings(out.folder(), out.jar(), out.classifiedArtifact(),
                    failOnViolation, pluginVersion, intraOpThreads, ProjectOutput.entryTime(outputTimestamp, getLog()),
                    force, ProjectArchives.others(project), getLog()::info, getLog()::debug));
        } catch (InvalidModelException e) {
            throw new MojoFailureException(e.getMessage()
                    + ModelWhereabouts.of(modelDirectory.toPath(), project).copiedFrom(e.file()), e);
        } catch (ValidationDataException | ShippingException | EvaluationSetupException e) {
            throw new MojoFailureException(e.getMessage(), e);
        } catch (RuntimeUnavailableException | EvaluationException | UnexpectedModelException
                | HeapExhaustedException e) {
            throw new MojoExecutionException(e.getMessage(), e);
        } catch (IOException e) {
            throw ProjectOutput.fileFailure(e);
        }
    }

    private List<ModelTask> tasks() throws MojoExecutionException, MojoFailureException {
        return new ModelTasks(pluginWide(), warmupRuns, latencyRuns, project)
                .of(modelDirectory.toPath(), includePatterns(), excludes, models);
    }

    /** Every plugin-wide value a {@code <model>} element can override, as the element's defaults. */
    private ModelConfiguration pluginWide() {
        ModelConfiguration pluginWide = new ModelConfiguration();
        pluginWide.method = method;
        pluginWide.sparsity = sparsity;
        pluginWide.nodeSparsity = nodeSparsity;
        pluginWide.tableSparsity = tableSparsity;
        pluginWide.scope = scope;
        pluginWide.sparsityOverrides = sparsityOverrides;
        pluginWide.opTypes = opTypes;
        pluginWide.tensorIncludes = tensorIncludes;
        pluginWide.tensorExcludes = tensorExcludes;
        pluginWide.minTensorSize = minTensorSize;
        pluginWide.importance = importance;
        pluginWide.quantize = quantize;
        pluginWide.quantizeExcludes = quantizeExcludes;
        pluginWide.quantizeFallback = quantizeFallback;
        pluginWide.tableBits = tableBits;
        pluginWide.weightBits = weightBits;
        pluginWide.search = search;
        pluginWide.searchBudget = searchBudget;
        pluginWide.sensitivity = sensitivity;
        pluginWide.validationData = validationData;
        pluginWide.labelName = labelName;
        pluginWide.metric = metric;
        pluginWide.outputName = outputName;
        pluginWide.pooling = pooling;
        pluginWide.maskInput = maskInput;
        pluginWide.batchSize = batchSize;
        pluginWide.minAccuracy = minAccuracy;
        pluginWide.maxAccuracyDrop = maxAccuracyDrop;
        pluginWide.requireValidation = requireValidation;
        pluginWide.reconstruct = reconstruct;
        pluginWide.calibrationData = calibrationData;
        pluginWide.calibrationSamples = calibrationSamples;
        pluginWide.calibrationRows = calibrationRows;
        pluginWide.inputErrorCorrection = inputErrorCorrection;
        pluginWide.residualErrorCorrection = residualErrorCorrection;
        pluginWide.refitSweptLayers = refitSweptLayers;
        return pluginWide;
    }

    private ProjectOutput out() {
        return new ProjectOutput(project, outputDirectory, buildDirectory,
                mojoExecution == null ? null : mojoExecution.getExecutionId(), classifier);
    }

    private List<String> includePatterns() {
        return includes == null || includes.isEmpty() ? List.of("**/*.onnx") : includes;
    }
}
