package io.github.onnxprune.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.Fixtures;
import io.github.onnxprune.eval.Metric;
import io.github.onnxprune.eval.ScoredOutput;
import io.github.onnxprune.gate.GateLimits;
import io.github.onnxprune.onnx.ModelBytes;
import io.github.onnxprune.prune.SparsityOverride;
import io.github.onnxprune.report.StepSection;
import io.github.onnxprune.search.SearchReport;
import io.github.onnxprune.search.SearchSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SearchPipelineTest {

    private static ModelTask searching(double sparsity, GateLimits limits) {
        return searching(sparsity, limits, 12);
    }

    private static ModelTask searching(double sparsity, GateLimits limits, int budget) {
        ModelTask plain = ModelPruningPipelineTest.task("digits-mlp/model.onnx", "digits-mlp/validation.npz",
                sparsity, limits);
        PruningSettings p = plain.pruning();
        return new ModelTask(plain.file(), plain.entryName(), new PruningSettings(p.method(), p.sparsity(),
                p.nodeSparsity(), p.scope(), p.overrides(), p.filter(), p.importance(), p.quantization(),
                new SearchSettings(true, budget)), plain.evaluation(), limits);
    }

    @Test
    void findsTheStrongestPassingSparsityBelowTheBoundAndShipsIt() throws Exception {
        List<String> progress = new ArrayList<>();
        ModelResult first;
        ModelResult second;
        try (ModelPruningPipeline pipeline = new ModelPruningPipeline("1.2.3", 1, progress::add)) {
            first = pipeline.process(searching(0.95, new GateLimits(null, 0.02)));
            second = pipeline.process(searching(0.95, new GateLimits(null, 0.02)));
        }
        assertTrue(first.passed());
        assertArrayEquals(ModelBytes.toArray(first.prunedBytes()), ModelBytes.toArray(second.prunedBytes()));
        StepSection search = first.report().steps().get(first.report().steps().size() - 1);
        assertEquals("search", search.step());
        @SuppressWarnings("unchecked")
        Map<String, Object> fields = (Map<String, Object>) search.fields().get("search");
        int evaluations = ((Number) fields.get("evaluations")).intValue();
        assertTrue(evaluations >= 2 && evaluations <= 12, "evaluations " + evaluations);
        double chosen = ((Number) fields.get("sparsity")).doubleValue();
        assertEquals(((Number) fields.get("total")).doubleValue(), first.report().sparsity(), 0.001,
                progress.toString());
        assertTrue(chosen > 0.2 && chosen < 0.95, "chosen " + chosen);
        assertTrue(first.report().measurement().baseline() - first.report().measurement().pruned() <= 0.02);
        // Both runs logged the same lines: the budget of 12 evaluations went to the candidates, none to the profile,
        // which still has its cheap signal (one line each).
        assertEquals(2 * (evaluations + 1), progress.size(), progress.toString());
        assertEquals("models/m.onnx sensitivity: output error of each group's layers pruned alone, for 3 of 3"
                + " groups, in ", progress.get(evaluations).replaceAll("[0-9.]+ s \\(no evaluation\\)$", ""));
        assertTrue(progress.get(0).startsWith("models/m.onnx search: candidate 1 of at most 12: sparsity 0.9500"),
                progress.get(0));
        assertTrue(search.log().contains(String.format(java.util.Locale.ROOT, "  <sparsity>%.4f</sparsity>",
                chosen)), search.log().toString());
        assertTrue(search.log().contains("  <search>false</search>"));
        // No model run was left for the profile, yet every tensor has its output error at every level, rising.
        List<Map<String, Object>> curves = search.items("sensitivity");
        assertEquals(List.of("fc1.weight", "fc2.weight", "fc3.weight"), curves.stream().map(c -> c.get("name"))
                .toList());
        for (Map<String, Object> curve : curves) {
            assertEquals(List.of(), curve.get("points"));
            List<?> errors = (List<?>) curve.get("outputErrors");
            assertEquals(List.of(0.25, 0.5, 0.75, 0.9), errors.stream().map(e -> ((Map<?, ?>) e).get("sparsity"))
                    .toList());
            for (int i = 1; i < errors.size(); i++) {
                assertTrue(((Number) ((Map<?, ?>) errors.get(i - 1)).get("outputError")).doubleValue()
                        < ((Number) ((Map<?, ?>) errors.get(i)).get("outputError")).doubleValue(), curve.toString());
            }
        }
        assertEquals(0, ((Number) fields.get("profileEvaluations")).intValue());
        assertTrue(search.log().get(0).contains(" (" + evaluations + " of the budget's 12 evaluations, none left for"
                + " the sensitivity profile); "), search.log().get(0));
    }

    @Test
    void aGateNoCompressionMeetsFailsSayingTheBestItFound() throws Exception {
        // An mse ceiling of 0: the original (0 against itself) meets it, every pruned candidate misses it.
        ModelTask accuracy = searching(0.9, new GateLimits(0.0, null), 6);
        EvaluationSettings e = accuracy.evaluation();
        ModelTask mse = new ModelTask(accuracy.file(), accuracy.entryName(), accuracy.pruning(),
                new EvaluationSettings(e.validationData(), e.labelName(), Metric.MSE, e.outputName(), e.batchSize(),
                        e.warmupRuns(), e.latencyRuns(), e.requireValidation()), accuracy.limits());
        List<String> progress = new ArrayList<>();
        ModelResult result;
        try (ModelPruningPipeline pipeline = new ModelPruningPipeline("1.2.3", 1, progress::add)) {
            result = pipeline.process(mse);
        }
        assertFalse(result.passed());
        String violation = result.report().violations().get(0);
        assertTrue(violation.contains("a search measured (none passed the gate, from sparsity 0.9000 down to"),
                violation);
        assertEquals(6, progress.stream().filter(line -> line.startsWith("models/m.onnx search: candidate ")).count(),
                progress.toString());
    }

    @Test
    void aFloorTheOriginalAlreadyMissesStopsTheSearchBeforeItsFirstCandidate() throws Exception {
        List<String> progress = new ArrayList<>();
        ModelResult result;
        try (ModelPruningPipeline pipeline = new ModelPruningPipeline("1.2.3", 1, progress::add)) {
            result = pipeline.process(searching(0.9, new GateLimits(0.99, null), 6));
        }
        // Before session 21 the search measured its 6 candidates (6 progress lines) and then failed the same way.
        assertEquals(List.of(), progress);
        assertFalse(result.passed());
        assertEquals(List.of("Model models/m.onnx: the original model already scores accuracy 0.9722 on the"
                + " validation data, but the minimum allowed (minAccuracy) is 0.9900, so no pruning can pass; the"
                + " search stopped before its first candidate. Check that <validationData> matches the model (the"
                + " labels named by <labelName>, the features in the model's order and scaling, the <outputName> and"
                + " <metric> that fit it), or set <minAccuracy> to what the original model reaches."),
                result.report().violations());
        assertEquals(0.9722, result.report().measurement().pruned(), 0.0001);
        assertEquals(result.report().measurement().baseline(), result.report().measurement().pruned());
        assertEquals("none", result.report().method());
        assertTrue(result.report().steps().stream().noneMatch(step -> step.step().equals("search")));
        assertEquals(List.of("Model models/m.onnx: nothing was pruned (the search stopped before its first"
                + " candidate); it is shipped unchanged, without onnx-prune metadata."), result.report().warnings());
    }

    @Test
    void withoutValidationDataASearchWarnsAndPrunesToTheBounds() throws Exception {
        ModelTask plain = ModelPruningPipelineTest.task("digits-mlp/model.onnx", null, 0.5, new GateLimits(null, null));
        PruningSettings p = plain.pruning();
        ModelTask task = new ModelTask(plain.file(), plain.entryName(), new PruningSettings(p.method(), 0.5, 0,
                p.scope(), p.overrides(), p.filter(), p.importance(), p.quantization(), new SearchSettings(true, 12)),
                plain.evaluation(), plain.limits());
        ModelResult result;
        try (ModelPruningPipeline pipeline = new ModelPruningPipeline("1.2.3", 1)) {
            result = pipeline.process(task);
        }
        assertEquals(List.of("Model models/m.onnx: <search> needs <validationData> to measure candidates; it was"
                + " pruned to the configured fractions instead."), result.report().warnings());
        assertEquals(0.5, result.report().sparsity(), 0.001);
    }

    @Test
    void aFallbackThatHoldsTheMostSensitiveTensorBackIsChosenAndItsPinRebuildsTheSameWeights() throws Exception {
        ModelResult searched;
        ModelResult pinned;
        try (ModelPruningPipeline pipeline = new ModelPruningPipeline("1.2.3", 1)) {
            // 24 evaluations: 7 bisect, 5 scan the grid above the best pass, 8 profile the three tensors, which
            // leaves 4 to the fallback.
            searched = pipeline.process(searching(0.95, new GateLimits(null, 0.02), 24));
            ModelTask plain = ModelPruningPipelineTest.task("digits-mlp/model.onnx", "digits-mlp/validation.npz",
                    0.4709, new GateLimits(null, 0.02));
            PruningSettings p = plain.pruning();
            pinned = pipeline.process(new ModelTask(plain.file(), plain.entryName(), new PruningSettings(p.method(),
                    0.4709, 0, p.scope(), List.of(SparsityOverride.parse("fc3.weight=0.1826"),
                            SparsityOverride.parse("fc2.weight=0.1826")), p.filter(), p.importance()),
                    plain.evaluation(), plain.limits()));
        }
        StepSection search = searched.report().steps().get(searched.report().steps().size() - 1);
        @SuppressWarnings("unchecked")
        Map<String, Object> fields = (Map<String, Object>) search.fields().get("search");
        // Bisection's best uniform fraction was 0.3117 and the grid above it passed at 0.32; holding fc3 (which
        // fails alone at 50%) at half the total passed up to 0.3393 and failed at 0.3652; holding fc2 back as well
        // let the other tensor go to 0.4709, 0.3652 of all weights, and the gate passed.
        assertEquals(0.4709, fields.get("sparsity"));
        assertEquals(0.3652, fields.get("total"));
        assertEquals(List.of(Map.of("tensor", "fc3.weight", "sparsity", 0.1826),
                Map.of("tensor", "fc2.weight", "sparsity", 0.1826)), fields.get("restored"));
        assertTrue(search.log().containsAll(List.of("  <sparsity>0.4709</sparsity>", "  <sparsityOverrides>",
                "    <sparsityOverride>fc3.weight=0.1826</sparsityOverride>",
                "    <sparsityOverride>fc2.weight=0.1826</sparsityOverride>", "  </sparsityOverrides>")),
                search.log().toString());
        // Every tensor's sensitivity: the metric with it alone pruned, level by level until the gate fails.
        List<Map<String, Object>> curves = search.items("sensitivity");
        // An MLP has no blocks: one group per tensor, named after it.
        assertEquals(List.of("fc1.weight", "fc2.weight", "fc3.weight"),
                curves.stream().map(c -> c.get("name")).toList());
        assertEquals(List.of(List.of("fc1.weight"), List.of("fc2.weight"), List.of("fc3.weight")),
                curves.stream().map(c -> c.get("tensors")).toList());
        for (Map<String, Object> curve : curves) {
            List<?> points = (List<?>) curve.get("points");
            assertTrue(points.size() >= 1 && points.size() <= 4);
            for (int i = 0; i < points.size() - 1; i++) {
                assertEquals(Boolean.TRUE, ((Map<?, ?>) points.get(i)).get("passes"));
            }
        }
        // The profile's model runs count in the budget beside the candidates, in report.json and the summary line.
        int profiled = curves.stream().mapToInt(c -> ((List<?>) c.get("points")).size()).sum();
        assertEquals(8, profiled);
        assertEquals(profiled, ((Number) fields.get("profileEvaluations")).intValue());
        assertEquals(16, ((Number) fields.get("evaluations")).intValue());
        assertTrue(search.log().get(0).contains(" (24 of the budget's 24 evaluations, 8 of them the sensitivity"
                + " profile's); "), search.log().get(0));
        assertTrue(pinned.passed());
        assertEquals(ModelProto.parseFrom(searched.prunedBytes()).getGraph(),
                ModelProto.parseFrom(pinned.prunedBytes()).getGraph());
    }

    @Test
    void sensitivityWithoutSearchProfilesEveryTensorAndShipsTheSameModel() throws Exception {
        ModelTask plain = ModelPruningPipelineTest.task("digits-mlp/model.onnx", "digits-mlp/validation.npz", 0.5,
                new GateLimits(null, 0.05));
        ModelTask profiled = ModelPruningPipelineTest.profiled(plain);
        List<ModelResult> results = ModelPruningPipelineTest.processed(plain, profiled);
        ModelResult without = results.get(0);
        ModelResult with = results.get(1);
        assertTrue(without.report().step(SearchReport.PROFILE_ID).isEmpty());
        StepSection profile = with.report().step(SearchReport.PROFILE_ID).orElseThrow();
        List<Map<String, Object>> curves = profile.items("sensitivity");
        assertEquals(List.of("fc1.weight", "fc2.weight", "fc3.weight"),
                curves.stream().map(c -> c.get("name")).toList());
        // Each level up to the first that fails the gate (at most 25, 50, 75 and 90%).
        for (Map<String, Object> curve : curves) {
            List<?> points = (List<?>) curve.get("points");
            assertEquals(0.25, ((Map<?, ?>) points.get(0)).get("sparsity"));
            for (int i = 0; i < points.size() - 1; i++) {
                assertEquals(Boolean.TRUE, ((Map<?, ?>) points.get(i)).get("passes"));
            }
        }
        int evaluations = curves.stream().mapToInt(c -> ((List<?>) c.get("points")).size()).sum();
        assertEquals("3 tensors profiled in " + evaluations + " evaluations, each alone pruned plain",
                profile.log().get(0));
        // The profile is reported, never applied: the shipped model is the plain run's, byte for byte.
        assertArrayEquals(ModelBytes.toArray(without.prunedBytes()), ModelBytes.toArray(with.prunedBytes()));
    }

    @Test
    void aBertEncoderIsProfiledByBlockAndRoleInReportJson() throws Exception {
        ModelTask plain = ModelPruningPipelineTest.task("digits-bert/model.onnx", null, 0.5,
                new GateLimits(null, 0.05));
        PruningSettings p = plain.pruning();
        ModelTask task = new ModelTask(plain.file(), plain.entryName(), new PruningSettings(p.method(),
                p.sparsity(), p.nodeSparsity(), p.scope(), p.overrides(), p.filter(), p.importance(),
                p.quantization(), new SearchSettings(true, 17)),
                new EvaluationSettings(Fixtures.fixture("digits-bert/validation.npz"),
                        "labels", Metric.ACCURACY, ScoredOutput.named("logits"), 64, 1, 3, true),
                plain.limits());
        List<String> progress = new ArrayList<>();
        ModelResult result;
        try (ModelPruningPipeline pipeline = new ModelPruningPipeline("1.2.3", 1, progress::add)) {
            result = pipeline.process(task);
        }
        StepSection search = result.report().steps().get(result.report().steps().size() - 1);
        List<Map<String, Object>> curves = search.items("sensitivity");
        assertEquals(List.of("block 0 attention (4 tensors)", "block 0 feed-forward (2 tensors)",
                "block 1 attention (4 tensors)", "block 1 feed-forward (2 tensors)", "classifier.weight"),
                curves.stream().map(c -> c.get("name")).toList());
        assertEquals(List.of(List.of("onnx::MatMul_344", "onnx::MatMul_347", "onnx::MatMul_350",
                "onnx::MatMul_354"), List.of("onnx::MatMul_355", "onnx::MatMul_356"), List.of("onnx::MatMul_357",
                        "onnx::MatMul_360", "onnx::MatMul_363", "onnx::MatMul_367"), List.of("onnx::MatMul_368",
                                "onnx::MatMul_369"), List.of("classifier.weight")),
                curves.stream().map(c -> c.get("tensors")).toList());
        assertEquals(List.of(4096L, 8192L, 4096L, 8192L, 320L), curves.stream().map(c -> c.get("size")).toList());
        assertTrue(progress.stream().anyMatch(l -> l.startsWith("models/m.onnx sensitivity: level 25% (1 of 4): 5"
                + " groups measured, ")), progress.toString());
    }
}
