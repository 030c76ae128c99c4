package io.github.onnxprune.report;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One step's part of a model's report, in a form every renderer handles without knowing the step: report.json
 * fields, log lines, metadata_props entries and its share of the summary row.
 *
 * @param step the step's id, as in the method column (e.g. "nodes")
 * @param fields report.json fields written at the model's level, in order; values are strings, numbers,
 *     booleans, lists and maps of them ({@link JsonFields} builds them)
 * @param tensors weight tensors the step pruned, for the table's tensors column
 * @param sparsity the fraction the step removed, for the table's sparsity column and {@code onnx-prune.sparsity};
 *     null when the step removes nothing by fraction (the last step with one wins)
 * @param reshapes whether the step changes tensor shapes, so the parameter count before and after is shown
 * @param logHeading the heading of its detail lines, after the model's name (e.g. "layers:")
 * @param log detail lines, printed indented under the heading; none prints nothing
 * @param metadata entries for the shipped model's metadata_props
 */
public record StepSection(String step, Map<String, Object> fields, int tensors, Double sparsity, boolean reshapes,
        String logHeading, List<String> log, Map<String, String> metadata) {

    public StepSection {
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
        log = List.copyOf(log);
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /** This section with one more field (or {@code name} replaced), for what its caller decided about the step. */
    public StepSection withField(String name, Object value) {
        Map<String, Object> replaced = new LinkedHashMap<>(fields);
        replaced.put(name, value);
        return new StepSection(step, replaced, tensors, sparsity, reshapes, logHeading, log, metadata);
    }

    /** The list field {@code name} as maps, empty when absent: how readers get structured items back. */
    @SuppressWarnings("unchecked")
    public List<Map<String, Object>> items(String name) {
        Object value = fields.get(name);
        if (value == null) {
            return List.of();
        }
        List<Map<String, Object>> items = new ArrayList<>();
        for (Object item : (List<Object>) value) {
            items.add((Map<String, Object>) item);
        }
        return items;
    }
}
