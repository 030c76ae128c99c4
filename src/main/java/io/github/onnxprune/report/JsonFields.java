package io.github.onnxprune.report;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds the ordered JSON objects a {@link StepSection} carries: {@code JsonFields.object().put(...).build()}. */
public final class JsonFields {

    private final Map<String, Object> fields = new LinkedHashMap<>();

    private JsonFields() {
    }

    /** An empty object. */
    public static JsonFields object() {
        return new JsonFields();
    }

    /** Adds a field: a string, number, boolean, list or map of those, or a long array (written as a list). */
    public JsonFields put(String name, Object value) {
        if (fields.containsKey(name)) {
            throw new IllegalArgumentException("field " + name + " set twice");
        }
        fields.put(name, normalise(value));
        return this;
    }

    /**
     * Whole numbers as Long and fractions as Double, as report.json reads them back, so a section compares and
     * renders the same before and after a round trip.
     */
    private static Object normalise(Object value) {
        if (value instanceof long[] array) {
            return Arrays.stream(array).boxed().toList();
        }
        if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if (value instanceof Float number) {
            return number.doubleValue();
        }
        if (value instanceof List<?> items) {
            return items.stream().map(JsonFields::normalise).toList();
        }
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> copy = new LinkedHashMap<>();
            map.forEach((key, item) -> copy.put((String) key, normalise(item)));
            return Collections.unmodifiableMap(copy);
        }
        return value;
    }

    /** The object, in insertion order, unmodifiable. */
    public Map<String, Object> build() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    /** A list of objects. */
    public static List<Map<String, Object>> list(List<JsonFields> items) {
        return items.stream().map(JsonFields::build).toList();
    }
}
