package io.github.onnxprune.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.onnxprune.onnx.ModelBytes;
import io.github.onnxprune.report.StepSection;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A searched run of a task, then the same task without a search at the fraction the search chose, in one pipeline:
 * what a search shares between its candidates must leave its choice as a run of its own would make it.
 *
 * @param searched the searched run's result
 * @param alone the unsearched run's result at the chosen fraction
 * @param candidates how many candidates the search evaluated
 * @param searchLines the progress lines of the searched run
 * @param aloneLines the progress lines of the unsearched run
 */
record SearchedThenAlone(ModelResult searched, ModelResult alone, int candidates, List<String> searchLines,
        List<String> aloneLines) {

    /** A task at a fraction, searched within a budget of evaluations when the budget is above 0. */
    interface Tasks {
        ModelTask at(double sparsity, int budget);
    }

    /** Runs {@code tasks} searched from {@code bound} within {@code budget}, then alone at the chosen fraction. */
    static SearchedThenAlone run(Tasks tasks, double bound, int budget) throws IOException {
        List<String> progress = new ArrayList<>();
        try (ModelPruningPipeline pipeline = new ModelPruningPipeline("1.2.3", 1, progress::add)) {
            ModelResult searched = pipeline.process(tasks.at(bound, budget));
            StepSection search = searched.report().steps().get(searched.report().steps().size() - 1);
            assertEquals("search", search.step());
            @SuppressWarnings("unchecked")
            Map<String, Object> fields = (Map<String, Object>) search.fields().get("search");
            int split = progress.size();
            ModelResult alone = pipeline.process(tasks.at(((Number) fields.get("sparsity")).doubleValue(), 0));
            return new SearchedThenAlone(searched, alone, ((Number) fields.get("evaluations")).intValue(),
                    List.copyOf(progress.subList(0, split)), List.copyOf(progress.subList(split, progress.size())));
        }
    }

    /** The graph each run shipped: the searched one's first, the unsearched one's second. */
    List<GraphProto> graphs() throws IOException {
        return List.of(ModelProto.parseFrom(ModelBytes.toArray(searched.prunedBytes())).getGraph(),
                ModelProto.parseFrom(ModelBytes.toArray(alone.prunedBytes())).getGraph());
    }
}
