package io.github.onnxprune.pipeline;

import io.github.onnxprune.search.SearchSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Checks parameters (numbers and named values) before any work is done and collects every problem into one
 * paragraph that names the pom element, its property and the allowed values, so a user fixes the configuration
 * in one go.
 */
public final class SettingsValidator {

    /** Most ONNX Runtime threads per session; more only adds contention on any machine a build runs on. */
    public static final int MAX_THREADS = 1024;

    /** Most timed or untimed latency runs; a million single-sample runs already take minutes. */
    public static final int MAX_RUNS = 1_000_000;

    /** Largest batch: a batch is one tensor, and larger ones only cost memory. */
    public static final int MAX_BATCH = 1 << 20;

    /** Most calibration samples; reconstruction budgets use far fewer rows per layer. */
    public static final int MAX_SAMPLES = 10_000_000;

    private final List<String> problems;
    private final String model;

    /** A validator of plugin-wide parameters. */
    public SettingsValidator() {
        this(new ArrayList<>(), null);
    }

    private SettingsValidator(List<String> problems, String model) {
        this.problems = problems;
        this.model = model;
    }

    /** A validator for one {@code <model>} element's overrides, reporting into the same paragraph. */
    public SettingsValidator forModel(String path) {
        return new SettingsValidator(problems, path == null ? "(no path)" : path);
    }

    /** A fraction to remove, in [0, 1); null means unset. */
    public SettingsValidator fraction(String name, Double value) {
        if (value != null && !(value >= 0.0 && value < 1.0)) {
            add(name, format(value), "a fraction at least 0 and below 1 (0.5 removes half)");
        }
        return this;
    }

    /** A share in [0, 1], both ends included; null means unset. */
    public SettingsValidator share(String name, Double value) {
        if (value != null && !(value >= 0.0 && value <= 1.0)) {
            add(name, format(value), "a share from 0 to 1");
        }
        return this;
    }

    /** Every {@code pattern=fraction} entry of a sparsityOverrides list; null means unset. */
    public SettingsValidator overrides(String name, List<String> overrides) {
        if (overrides == null) {
            return this;
        }
        for (String entry : overrides) {
            int equals = entry == null ? -1 : entry.lastIndexOf('=');
            Double fraction = null;
            if (equals > 0) {
                try {
                    fraction = Double.parseDouble(entry.substring(equals + 1).trim());
                } catch (NumberFormatException e) {
                    fraction = null;
                }
            }
            if (fraction == null || !(fraction >= 0.0 && fraction < 1.0)) {
                add(name, "'" + entry + "'", "entries of the form pattern=fraction with a fraction at least 0 and"
                        + " below 1, e.g. fc1.weight=0.3");
            }
        }
        return this;
    }

    /** A whole number in [min, max]; null means unset. */
    public SettingsValidator range(String name, Long value, long min, long max) {
        if (value != null && (value < min || value > max)) {
            String range = max == Long.MAX_VALUE ? min + " or more" : "from " + min + " to " + max;
            add(name, Long.toString(value), "a whole number " + range);
        }
        return this;
    }

    /** A whole number in [min, max]; null means unset. */
    public SettingsValidator range(String name, Integer value, long min, long max) {
        return range(name, value == null ? null : value.longValue(), min, max);
    }

    /** A search budget, candidates or minutes ({@link SearchSettings#parse}); null means unset. */
    public SettingsValidator searchBudget(String name, String value) {
        if (value != null) {
            try {
                SearchSettings.parse(false, value);
            } catch (IllegalArgumentException e) {
                add(name, "'" + value + "'", SearchSettings.EXPECTED);
            }
        }
        return this;
    }

    /**
     * A named value (a method, scope, metric, ...) that {@code parse} accepts, one of {@code allowed}; null means
     * unset. Checked with the numbers, so a misspelt value fails before any model is read, naming its element.
     */
    public SettingsValidator named(String name, String value, Consumer<String> parse, List<String> allowed) {
        if (value != null) {
            try {
                parse.accept(value);
            } catch (IllegalArgumentException e) {
                add(name, "'" + value + "'", "one of " + String.join(", ", allowed));
            }
        }
        return this;
    }

    /** A finite number not below {@code min}; null means unset. */
    public SettingsValidator atLeast(String name, Double value, double min) {
        if (value != null && !(Double.isFinite(value) && value >= min)) {
            add(name, format(value), "a number of " + format(min) + " or more");
        }
        return this;
    }

    /** Any finite number; null means unset. */
    public SettingsValidator finite(String name, Double value) {
        if (value != null && !Double.isFinite(value)) {
            add(name, format(value), "a finite number");
        }
        return this;
    }

    /** The paragraph describing every problem found, or empty when all parameters are in range. */
    public Optional<String> failure() {
        if (problems.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("Invalid onnx-prune configuration: " + String.join("; ", problems) + ". Fix "
                + (problems.size() == 1 ? "it" : "them") + " in the plugin's <configuration> or on the command"
                + " line; nothing was pruned.");
    }

    private void add(String name, String value, String expected) {
        String element = model == null ? "<" + name + "> (property onnx-prune." + name + ")"
                : "<" + name + "> of <model> " + model;
        problems.add(element + " is " + value + " but must be " + expected);
    }

    private static String format(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? String.format(Locale.ROOT, "%.0f", value)
                : Double.toString(value);
    }
}
