package io.github.onnxprune.search;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether to search for the strongest compression that passes the gate, and how much it may spend: a number of
 * model evaluations (its candidates and the sensitivity profile's runs together), or minutes of wall time (then at
 * most {@link #DEFAULT_BUDGET} evaluations).
 *
 * @param enabled when true the configured fractions are upper bounds, not targets
 * @param budget the most model evaluations, candidates and profile runs together, 1 to {@link #MAX_BUDGET}
 * @param minutes the wall time after which no new evaluation is started, counted from the search's start; 0 for
 *     no time limit
 * @param profile whether a run that does not search measures the sensitivity profile all the same
 *     ({@code <sensitivity>}); a search profiles with what its budget leaves either way
 */
public record SearchSettings(boolean enabled, int budget, double minutes, boolean profile) {

    /** The default budget. */
    public static final int DEFAULT_BUDGET = 12;

    /** The largest budget accepted. */
    public static final int MAX_BUDGET = 100;

    /** The longest time budget accepted: a day, past which a build is better pinned than searched. */
    public static final double MAX_MINUTES = 24 * 60;

    /** No search. */
    public static final SearchSettings OFF = new SearchSettings(false, DEFAULT_BUDGET);

    private static final Pattern MINUTES = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(?:m|min|mins|minutes?)");

    private static final Pattern CANDIDATES = Pattern.compile("\\d+");

    public SearchSettings {
        if (budget < 1 || budget > MAX_BUDGET) {
            throw new IllegalArgumentException(problem(Integer.toString(budget)));
        }
        if (!(minutes >= 0 && minutes <= MAX_MINUTES)) {
            throw new IllegalArgumentException(problem(minutes + "m"));
        }
    }

    /** No profile outside a search. */
    public SearchSettings(boolean enabled, int budget, double minutes) {
        this(enabled, budget, minutes, false);
    }

    /** A budget of evaluations only. */
    public SearchSettings(boolean enabled, int budget) {
        this(enabled, budget, 0);
    }

    /** These settings with the profile measured, or not, in a run that does not search. */
    public SearchSettings withProfile(boolean measure) {
        return new SearchSettings(enabled, budget, minutes, measure);
    }

    /**
     * Reads {@code <searchBudget>}: a whole number of evaluations ({@code 12}) or minutes ({@code 5m},
     * {@code 5min}, {@code 2.5m}).
     *
     * @throws IllegalArgumentException naming the element and what it accepts
     */
    public static SearchSettings parse(boolean enabled, String budget) {
        String text = budget == null ? "" : budget.trim().toLowerCase(Locale.ROOT);
        if (CANDIDATES.matcher(text).matches() && text.length() <= 4) {
            int candidates = Integer.parseInt(text);
            if (candidates >= 1 && candidates <= MAX_BUDGET) {
                return new SearchSettings(enabled, candidates, 0);
            }
        }
        Matcher minutes = MINUTES.matcher(text);
        if (minutes.matches() && minutes.group(1).length() <= 8) {
            double value = Double.parseDouble(minutes.group(1));
            if (value > 0 && value <= MAX_MINUTES) {
                return new SearchSettings(enabled, DEFAULT_BUDGET, value);
            }
        }
        throw new IllegalArgumentException(problem(budget));
    }

    /** What {@link #parse} accepts, for failure messages. */
    public static final String EXPECTED = "a whole number of evaluations from 1 to " + MAX_BUDGET
            + " (e.g. 12) or of minutes above 0 and at most " + (int) MAX_MINUTES + " followed by m or min (e.g. 5m"
            + " or 5min, which measures at most " + DEFAULT_BUDGET + " evaluations and starts none after that time)";

    /** What is wrong with {@code value} as a budget. */
    static String problem(String value) {
        return "searchBudget is '" + value + "' but must be " + EXPECTED;
    }

    /** 5, or 2.5: a time budget as the user wrote it. */
    static String minutesText(double value) {
        return value == Math.rint(value) ? String.format(Locale.ROOT, "%.0f", value) : Double.toString(value);
    }
}
