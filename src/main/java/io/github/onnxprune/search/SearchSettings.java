package io.github.onnxprune.search;

/**
 * Whether to search for the strongest compression that passes the gate, and how many candidates it may measure.
 *
 * @param enabled when true the configured fractions are upper bounds, not targets
 * @param budget the most candidates measured, 1 to {@link #MAX_BUDGET}
 */
public record SearchSettings(boolean enabled, int budget) {

    /** The default budget. */
    public static final int DEFAULT_BUDGET = 12;

    /** The largest budget accepted. */
    public static final int MAX_BUDGET = 100;

    /** No search. */
    public static final SearchSettings OFF = new SearchSettings(false, DEFAULT_BUDGET);

    public SearchSettings {
        if (budget < 1 || budget > MAX_BUDGET) {
            throw new IllegalArgumentException("searchBudget is " + budget + " but must be a whole number from 1 to "
                    + MAX_BUDGET);
        }
    }
}
