package io.github.onnxprune.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class SearchSettingsTest {

    @Test
    void aBudgetIsAWholeNumberOfCandidatesOrMinutesWithMOrMin() {
        assertEquals(new SearchSettings(true, 12, 0), SearchSettings.parse(true, "12"));
        assertEquals(new SearchSettings(true, 1, 0), SearchSettings.parse(true, " 1 "));
        assertEquals(new SearchSettings(true, 100, 0), SearchSettings.parse(true, "100"));
        assertEquals(new SearchSettings(false, 12, 5), SearchSettings.parse(false, "5m"));
        assertEquals(new SearchSettings(true, 12, 5), SearchSettings.parse(true, "5min"));
        assertEquals(new SearchSettings(true, 12, 2.5), SearchSettings.parse(true, "2.5 MIN"));
        assertEquals(new SearchSettings(true, 12, 1440), SearchSettings.parse(true, "1440minutes"));
        assertEquals("5", SearchSettings.minutesText(5));
        assertEquals("2.5", SearchSettings.minutesText(2.5));
    }

    @Test
    void anythingElseIsRefusedNamingTheElementAndWhatItTakes() {
        for (String bad : List.of("0", "101", "-3", "12.5", "5h", "m", "0m", "1441m", "five", "", "5 m 3",
                "99999999999")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SearchSettings.parse(true, bad), bad);
            assertEquals("searchBudget is '" + bad + "' but must be " + SearchSettings.EXPECTED, e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> SearchSettings.parse(true, null));
    }
}
