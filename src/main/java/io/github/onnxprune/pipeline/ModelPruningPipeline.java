package io.github.onnxprune.pipeline;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.eval.DataRole;
import io.github.onnxprune.eval.LatencyStats;
import io.github.onnxprune.eval.Metric;
import io.github.onnxprune.eval.OnnxRuntimeEvaluator;
import io.github.onnxprune.eval.ValidationData;
import io.github.onnxprune.eval.ValidationDataException;
import io.github.onnxprune.gate.AccuracyGate;
import io.github.onnxprune.gate.GateVerdict;
import io.github.onnxprune.onnx.ModelGraph;
import io.github.onnxprune.onnx.OnnxModelReader;
import io.github.onnxprune.onnx.PatchedSerialization;
import io.github.onnxprune.prune.calibrate.LayerReconstruction;
import io.github.onnxprune.prune.calibrate.RankingMemo;
import io.github.onnxprune.report.FileSizes;
import io.github.onnxprune.report.JsonFields;
import io.github.onnxprune.report.Latency;
import io.github.onnxprune.report.Measurement;
import io.github.onnxprune.report.ModelReport;
import io.github.onnxprune.report.Reconstruction;
import io.github.onnxprune.report.StepSection;
import io.github.onnxprune.search.SearchSettings;
import io.github.onnxprune.ship.ChunksAhead;
import io.github.onnxprune.ship.JarRewriter;
import io.github.onnxprune.prune.GlobalShares;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.step.ModelStep;
import io.github.onnxprune.step.StepInput;
import io.github.onnxprune.step.weights.WeightPruningStep;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * Prunes, measures and gates one model at a time. Knows nothing of Maven; ONNX Runtime is loaded only when a
 * model is first evaluated.
 */
public final class ModelPruningPipeline implements AutoCloseable {

    /** The share vectors the global scope prunes, scores on the calibration data and chooses among. */
    private static final List<GlobalShares> SHARE_CHOICES = List.of(GlobalShares.UNIFORM, GlobalShares.BLEND,
            GlobalShares.THRESHOLD);

    private final String pluginVersion;
    private final int intraOpThreads;
    private final Consumer<String> progress;
    private final Path scratchFolder;
    private final Consumer<String> debug;
    private OnnxRuntimeEvaluator evaluator;

    /** A pipeline stamping {@code pluginVersion} into shipped models and running ONNX Runtime on that many threads. */
    public ModelPruningPipeline(String pluginVersion, int intraOpThreads) {
        this(pluginVersion, intraOpThreads, line -> { });
    }

    /** A pipeline that also reports progress on long work (a search's candidates) to {@code progress}. */
    public ModelPruningPipeline(String pluginVersion, int intraOpThreads, Consumer<String> progress) {
        this(pluginVersion, intraOpThreads, progress, null);
    }

    /**
     * As {@link #ModelPruningPipeline(String, int, Consumer)}, writing the calibration values a re-fit keeps off the
     * heap to scratch files in {@code scratchFolder} (the system's temporary folder when null), deleted as it goes.
     */
    public ModelPruningPipeline(String pluginVersion, int intraOpThreads, Consumer<String> progress,
            Path scratchFolder) {
        this(pluginVersion, intraOpThreads, progress, scratchFolder, line -> { });
    }

    /**
     * As {@link #ModelPruningPipeline(String, int, Consumer, Path)}, telling {@code debug} how each shipped model
     * was serialized (patched from the original's bytes, or whole, and why).
     */
    public ModelPruningPipeline(String pluginVersion, int intraOpThreads, Consumer<String> progress,
            Path scratchFolder, Consumer<String> debug) {
        this.pluginVersion = pluginVersion;
        this.intraOpThreads = intraOpThreads;
        this.progress = progress;
        this.scratchFolder = scratchFolder;
        this.debug = debug;
    }

    /** Runs every step for one model; nothing is written to disk. */
    public ModelResult process(ModelTask task) throws IOException {
        return process(task, null);
    }

    /**
     * Runs every step for one model, taking the original's deflated size from {@code builtJar}'s entry for it
     * when that entry holds the original's bytes (null: no jar, both models are deflated here). With a jar the
     * pruned model's deflated size is left {@link FileSizes#NOT_YET_DEFLATED}: the caller reads it from the
     * entry the jar rewrite writes, which deflates it anyway (see {@link PruneRun}).
     */
    public ModelResult process(ModelTask task, ShipTarget builtJar) throws IOException {
        return process(task, builtJar, ChunksAhead.NONE);
    }

    /**
     * As {@link #process(ModelTask, ShipTarget)}; when {@code builtJar} holds the original deflated, so that the
     * pruned model will be deflated into it, {@code ahead} starts deflating the original's chunks meanwhile.
     */
    public ModelResult process(ModelTask task, ShipTarget builtJar, ChunksAhead ahead) throws IOException {
        // Mapped, not read: the parsed model's tensors are views of these bytes, and ONNX Runtime reads them in
        // place, so a model costs the heap only its graph structure and the tensors a step rewrites.
        ByteBuffer originalBytes = OnnxModelReader.map(task.file());
        OptionalLong deflatedInJar = builtJar == null ? OptionalLong.empty()
                : JarRewriter.compressedSize(builtJar.archive(), builtJar.root() + task.entryName(), originalBytes);
        OriginalSizes originalSizing = OriginalSizes.start(originalBytes, deflatedInJar);
        try {
            return process(task, originalBytes, originalSizing, builtJar != null,
                    deflatedInJar.isPresent() ? ahead : ChunksAhead.NONE);
        } finally {
            originalSizing.cancel();
        }
    }

    private ModelResult process(ModelTask task, ByteBuffer originalBytes, OriginalSizes originalSizing,
            boolean deflatedByShipping, ChunksAhead ahead) throws IOException {
        ModelProto original = OnnxModelReader.parse(task.file(), originalBytes);
        if (ModelStamp.isStamped(original)) {
            long parameters = ModelGraph.of(original).parameterCount();
            ModelReport report = new ModelReport(task.entryName(), "none", task.pruning().sparsity(),
                    parameters, parameters, null, null, originalSizing.join(), List.of(), null, List.of(),
                    List.of());
            return new ModelResult(task, originalBytes, report, true);
        }
        ShippedBytes.deflateAhead(task, original, originalBytes, ahead, debug);
        long parametersBefore = ModelGraph.of(original).parameterCount();
        ValidationData data = null;
        if (task.evaluation().validationData() != null) {
            data = task.readData(task.evaluation().validationData(), original, DataRole.VALIDATION);
        }

        List<ModelStep<?>> steps = StepPlan.of(task);
        // Global scope chooses its shares on the calibration data even when nothing is re-fitted on it.
        Calibration calibration = steps.stream().anyMatch(ModelStep::wantsCalibration)
                || choosesShares(task.pruning())
                ? Calibration.load(task, original, originalBytes, data, this::evaluator, scratchFolder) : null;
        EvaluationSettings evaluation = task.evaluation();
        float[][] baselineOutputs = data == null ? null : evaluator().run(originalBytes, data,
                evaluation.outputName(), evaluation.batchSize()).rows();
        Context context = new Context(original, originalBytes, data, calibration, baselineOutputs,
                new RankingMemo());
        SearchSettings search = task.pruning().search();
        // The search's section, or without a search the sensitivity profile's when <sensitivity> asks for one.
        StepSection searchOrProfile = null;
        Attempt attempt;
        if (search.enabled() && data != null) {
            SearchStage.Outcome searched = SearchStage.run(task, original, searchRuns(context), calibration,
                    progress);
            attempt = searched.attempt();
            task = attempt.task();
            searchOrProfile = searched.section();
        } else {
            attempt = attempt(task, context);
            if (search.profile() && data != null) {
                searchOrProfile = profiles(task, context).section(calibration == null ? null
                        : calibration.collector());
            }
        }
        List<Ran<?>> ran = attempt.ran();
        ModelProto model = attempt.model();
        Measurement measurement = attempt.measurement();
        List<String> violations = attempt.violations();
        PruningSettings pruning = task.pruning();
        String method = ran.isEmpty() ? "none"
                : String.join("+", ran.stream().map(r -> r.step().id()).toList());
        // Timing runs on one core; a deflate still running on the other must not share the machine with it.
        FileSizes originalSizes = originalSizing.join();
        Latency latency = null;
        // Timing a large model costs most of a plain prune's time (seconds per model for a transformer), so a
        // build may leave it out with latencyRuns 0.
        if (data != null && evaluation.latencyRuns() > 0) {
            OnnxRuntimeEvaluator runtime = evaluator();
            ByteBuffer measured = bytes(model, original, originalBytes);
            LatencyStats before = runtime.measureLatency(originalBytes, data, evaluation.warmupRuns(),
                    evaluation.latencyRuns());
            LatencyStats after = runtime.measureLatency(measured, data, evaluation.warmupRuns(),
                    evaluation.latencyRuns());
            latency = new Latency(before.medianMicros(), before.p95Micros(), after.medianMicros(),
                    after.p95Micros(), after.runs(), BatchedLatencies.measure(runtime, originalBytes, measured, data,
                            evaluation.batchSize()));
        }

        List<StepSection> sections = new ArrayList<>();
        List<LayerReconstruction> reconstructed = new ArrayList<>();
        boolean refitted = false;
        List<String> unchanged = new ArrayList<>();
        for (Ran<?> done : ran) {
            sections.add(done.result().section());
            if (done.result().refitted() != null) {
                refitted = true;
                reconstructed.addAll(done.result().refitted());
            }
            if (!done.result().unchangedReason().isEmpty()) {
                unchanged.add(done.step().id() + ": " + done.result().unchangedReason());
            }
        }
        if (searchOrProfile != null) {
            sections.add(searchOrProfile);
        }
        // A model no step changed is shipped as it came: stamping it would claim a pruning that did not happen.
        boolean changed = isChanged(model, original);
        List<String> warnings = new ArrayList<>();
        if (!changed) {
            warnings.add("Model " + task.entryName() + ": nothing was pruned (" + (unchanged.isEmpty()
                    ? "no step ran" : String.join("; ", unchanged))
                    + "); it is shipped unchanged, without onnx-prune metadata.");
        }
        if (search.enabled() && data == null) {
            warnings.add("Model " + task.entryName() + ": <search> needs <validationData> to measure candidates;"
                    + " it was pruned to the configured fractions instead.");
        } else if (!search.enabled() && search.profile() && data == null) {
            warnings.add("Model " + task.entryName() + ": <sensitivity> needs <validationData> to measure each"
                    + " group alone; no profile was measured.");
        }
        long parametersAfter = ModelGraph.of(model).parameterCount();
        ModelReport draft = new ModelReport(task.entryName(), method, pruning.sparsity(), parametersBefore,
                parametersAfter, measurement, latency, originalSizes, sections, null, warnings, List.of());
        ByteBuffer shipped = changed ? ShippedBytes.serialize(task, original, originalBytes,
                ModelStamp.stamp(model, draft, pluginVersion), ahead, debug) : originalBytes;
        Reconstruction reconstruction = calibration == null || !refitted ? null
                : new Reconstruction(calibration.source(), calibration.collector().sampleCount(),
                        measurement != null && calibration.sameAsValidation(), reconstructed);
        FileSizes sizes = deflatedByShipping ? originalSizes.withAfterNotYetDeflated(shipped)
                : originalSizes.withAfter(shipped);
        ModelReport report = new ModelReport(task.entryName(), method, pruning.sparsity(), parametersBefore,
                parametersAfter, measurement, latency, sizes, sections, reconstruction, warnings, violations);
        return new ModelResult(task, shipped, report, false);
    }

    /** The profiles of {@code task} on {@code context}'s model, scored by the task's metric and gate. */
    private Profiles profiles(ModelTask task, Context context) {
        return new Profiles(task, context.original(), context.data(), progress, this::evaluator, model -> {
            Measurement measured = measure(task, context.data(), context.baselineOutputs(),
                    bytes(model, context.original(), context.originalBytes()));
            return new Profiles.Scored(measured.pruned(), gate(task, measured, "", List.of()).isEmpty());
        });
    }

    /** The attempts, profiles and gate a search of {@code context}'s model runs. */
    private SearchStage.Runs searchRuns(Context context) {
        return new SearchStage.Runs() {
            @Override
            public Attempt attempt(ModelTask task) {
                return ModelPruningPipeline.this.attempt(task, context);
            }

            @Override
            public Profiles profiles(ModelTask task) {
                return ModelPruningPipeline.this.profiles(task, context);
            }

            @Override
            public List<String> gate(ModelTask task, Measurement measurement, String described,
                    List<String> remedies) {
                return ModelPruningPipeline.gate(task, measurement, described, remedies);
            }
        };
    }

    /**
     * What a run of the steps needs that does not change between runs, and what the unit rankings measured on
     * the original, which a search's candidates share: they differ only in how many units go.
     */
    private record Context(ModelProto original, ByteBuffer originalBytes, ValidationData data,
            Calibration calibration, float[][] baselineOutputs, RankingMemo rankings) {
    }

    /** Runs the steps of {@code task}, measures the result and, while the gate fails, asks the last step to relax. */
    private Attempt attempt(ModelTask task, Context context) {
        List<ModelStep<?>> steps = StepPlan.of(task);
        boolean measuredScope = task.pruning().scope() == Scope.MEASURED && task.pruning().sparsity() > 0
                && context.calibration() != null;
        List<Ran<?>> ran = measuredScope ? measured(task, context)
                : sharesChosenOnCalibration(task, context, run(task, context));
        // The share choice's model runs on the calibration data, which a search reports beside its evaluations.
        int shareRuns = !measuredScope && choosesShares(task.pruning()) && context.calibration() != null
                ? SHARE_CHOICES.size() : 0;
        ModelProto original = context.original();
        Calibration calibration = context.calibration();
        ModelProto model = ran.isEmpty() ? original : ran.get(ran.size() - 1).result().model();
        boolean anyRefit = ran.stream().anyMatch(r -> r.result().refitted() != null);
        String described = describeForGate(task.pruning(), anyRefit ? calibration : null);
        List<String> remedies = steps.stream().flatMap(step -> step.remedies().stream()).distinct().toList();
        if (context.data() == null) {
            return new Attempt(task, ran, model, null, List.of(), described, remedies, shareRuns);
        }
        ValidationData data = context.data();
        ByteBuffer originalBytes = context.originalBytes();
        Measurement measurement = measure(task, data, context.baselineOutputs(),
                bytes(model, original, originalBytes));
        List<String> violations = gate(task, measurement, described, remedies);
        // Fallback, not failure: the last step may undo part of its work (int8 puts its worst layer back to
        // float) until the gate passes or it has nothing left to undo. Earlier steps feed it, so only it may.
        int rounds = 0;
        String finalDescription = described;
        while (!violations.isEmpty() && !ran.isEmpty()) {
            Ran<?> last = ran.get(ran.size() - 1);
            String cause = String.format(Locale.ROOT, "%s %s did not pass the gate", measurement.metric(),
                    AccuracyGate.format(measurement.pruned()));
            Optional<? extends Ran<?>> relaxed = last.relax(cause);
            if (relaxed.isEmpty()) {
                break;
            }
            ran.set(ran.size() - 1, relaxed.get());
            model = relaxed.get().result().model();
            rounds++;
            measurement = measure(task, data, context.baselineOutputs(), bytes(model, original, originalBytes));
            finalDescription = String.format(Locale.ROOT, "%s, then relaxing %s %d time%s by its fallback",
                    described, last.step().id(), rounds, rounds == 1 ? "" : "s");
            violations = gate(task, measurement, finalDescription, remedies);
        }
        return new Attempt(task, ran, model, measurement, violations, finalDescription, remedies, shareRuns);
    }

    /** Runs the steps of {@code task} one after the other on the original. */
    private List<Ran<?>> run(ModelTask task, Context context) {
        return run(task, context, GlobalShares.BLEND);
    }

    /** Runs the steps of {@code task}, a global scope of weights sharing its total as {@code shares} says. */
    private List<Ran<?>> run(ModelTask task, Context context, GlobalShares shares) {
        List<Ran<?>> ran = new ArrayList<>();
        Calibration calibration = context.calibration();
        ModelProto model = context.original();
        for (ModelStep<?> step : StepPlan.of(task, shares, context.rankings())) {
            Ran<?> done = Ran.run(step, new StepInput(model, context.original(),
                    step.wantsCalibration() && calibration != null ? calibration.collector() : null,
                    line -> progress.accept(task.entryName() + " " + step.id() + ": " + line)));
            ran.add(done);
            model = done.result().model();
        }
        return ran;
    }

    /** Whether a run with these settings chooses the global scope's shares on the calibration data. */
    private static boolean choosesShares(PruningSettings pruning) {
        return pruning.scope() == Scope.GLOBAL && pruning.method() == PruneMethod.WEIGHTS
                && pruning.nodeSparsity() == 0 && pruning.sparsity() > 0;
    }

    /**
     * Global weights with calibration data (the validation data when none is configured): uniform shares and one
     * raw magnitude threshold are pruned (and re-fitted, when the blend was) too, each measured with the metric on
     * the calibration samples, and the best kept; ties keep uniform shares (what layerwise gives), then the blend,
     * so the threshold, which layer scale can fool, is kept only where it measures strictly better.
     */
    private List<Ran<?>> sharesChosenOnCalibration(ModelTask task, Context context, List<Ran<?>> blend) {
        if (!choosesShares(task.pruning()) || context.calibration() == null) {
            return blend;
        }
        CalibrationScore score = context.calibration().score();
        boolean higher = task.evaluation().metric().higherIsBetter();
        Map<String, Object> metrics = new LinkedHashMap<>();
        GlobalShares kept = null;
        List<Ran<?>> keptRan = null;
        double keptScore = 0;
        for (GlobalShares shares : SHARE_CHOICES) {
            List<Ran<?>> ran = shares == GlobalShares.BLEND ? blend : run(task, context, shares);
            double measured = score.of(bytes(last(ran), context.original(), context.originalBytes()));
            metrics.put(shares.id() + "Metric", measured);
            // Only the best so far is held: each alternative is a whole model (hundreds of MB for a transformer).
            if (kept == null || (higher ? measured > keptScore : measured < keptScore)) {
                kept = shares;
                keptRan = ran;
                keptScore = measured;
            }
        }
        progress.accept(String.format(Locale.ROOT, "%s weights: global scope: %s on the %s: %.4f with uniform"
                + " shares, %.4f with the blend, %.4f with one magnitude threshold; keeping %s", task.entryName(),
                task.evaluation().metric().id(), context.calibration().sameAsValidation()
                        ? "validation data (also the calibration data)" : "calibration data",
                (Double) metrics.get("uniformMetric"), (Double) metrics.get("blendMetric"),
                (Double) metrics.get("thresholdMetric"), switch (kept) {
                    case UNIFORM -> "uniform shares";
                    case BLEND -> "the blend";
                    case THRESHOLD -> "the threshold";
                }));
        JsonFields fields = JsonFields.object().put("kept", kept.id())
                .put("onValidationData", context.calibration().sameAsValidation());
        metrics.forEach(fields::put);
        Map<String, Object> shares = fields.build();
        List<Ran<?>> chosen = new ArrayList<>(keptRan);
        chosen.replaceAll(r -> !r.step().id().equals(WeightPruningStep.ID) ? r : r.withSection(r.result().section()
                .withField("globalShares", shares)));
        return chosen;
    }

    /** The measured scope: each layer's cost measured on calibration data, then the steps at its shares. */
    private List<Ran<?>> measured(ModelTask task, Context context) {
        MeasuredShares.Allocated allocated = MeasuredShares.allocate(task, context.original(), context.calibration(),
                progress);
        progress.accept(allocated.summary());
        List<Ran<?>> ran = run(allocated.task(), context);
        ran.replaceAll(r -> r.result().refitted() == null ? r : r.withSection(r.result().section()
                .withField("measuredShares", allocated.report())));
        return ran;
    }

    private static ModelProto last(List<Ran<?>> ran) {
        return ran.get(ran.size() - 1).result().model();
    }

    private static boolean isChanged(ModelProto model, ModelProto original) {
        return model != original && !model.equals(original);
    }

    /** The bytes that are measured and, stamped, shipped: the original's own when no step changed anything. */
    private static ByteBuffer bytes(ModelProto model, ModelProto original, ByteBuffer originalBytes) {
        // Serialized outside the heap each time it is needed rather than kept: a search keeps several attempts.
        return isChanged(model, original) ? PatchedSerialization.serialize(original, originalBytes, model).bytes()
                : originalBytes;
    }

    /** The metric of {@code candidate} against the original's outputs. */
    private Measurement measure(ModelTask task, ValidationData data, float[][] baselineOutputs,
            ByteBuffer candidate) {
        EvaluationSettings evaluation = task.evaluation();
        float[][] prunedOutputs = evaluator().run(candidate, data, evaluation.outputName(),
                evaluation.batchSize()).rows();
        Metric metric = evaluation.metric();
        long[] labels = data.effectiveLabels();
        try {
            return new Measurement(metric.id(), metric.score(baselineOutputs, baselineOutputs, labels),
                    metric.score(baselineOutputs, prunedOutputs, labels), data.sampleCount());
        } catch (ValidationDataException e) {
            // The metric knows what is wrong with the labels; the user needs to know which file.
            throw new ValidationDataException("validation data " + evaluation.validationData() + " for model "
                    + task.entryName() + ": " + e.getMessage(), e);
        }
    }

    private static List<String> gate(ModelTask task, Measurement measurement, String described,
            List<String> remedies) {
        if (!task.limits().any()) {
            return List.of();
        }
        GateVerdict verdict = AccuracyGate.check(task.entryName(), measurement.metric(),
                task.evaluation().metric().higherIsBetter(), measurement.baseline(), measurement.pruned(), described,
                task.limits(), remedies);
        return verdict.violations();
    }

    /** What was done, and whether the metric saw the samples the re-fit was fitted on, for the gate's message. */
    private static String describeForGate(PruningSettings pruning, Calibration calibration) {
        String described = pruning.describe();
        if (calibration != null && calibration.sameAsValidation()) {
            // A metric measured on the re-fit's own samples flatters the model; a user reading a failure or a
            // narrow pass needs to know.
            described += " and re-fitting on the validation data itself";
        }
        return described;
    }

    private OnnxRuntimeEvaluator evaluator() {
        if (evaluator == null) {
            evaluator = new OnnxRuntimeEvaluator(intraOpThreads);
        }
        return evaluator;
    }

    @Override
    public void close() {
        if (evaluator != null) {
            evaluator.close();
            evaluator = null;
        }
    }
}
