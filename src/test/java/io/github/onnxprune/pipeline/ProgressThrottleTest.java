package io.github.onnxprune.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressThrottleTest {

    private final AtomicLong now = new AtomicLong(5_000_000_000L);
    private final List<String> info = new ArrayList<>();
    private final List<String> debug = new ArrayList<>();

    private void at(ProgressThrottle throttle, double seconds, String line) {
        now.set(5_000_000_000L + (long) (seconds * TimeUnit.SECONDS.toNanos(1)));
        throttle.accept(line);
    }

    @Test
    void aQuickRunLogsItsProgressAtDebugOnly() {
        ProgressThrottle throttle = new ProgressThrottle(info::add, debug::add, now::get);
        for (int layer = 1; layer <= 5; layer++) {
            at(throttle, layer * 0.2, "layer " + layer + " of 5");
        }
        assertEquals(List.of(), info);
        assertEquals(5, debug.size());
    }

    @Test
    void aLongRunShowsItsFirstLineAfterTenSecondsThenAtMostOneEveryTen() {
        ProgressThrottle throttle = new ProgressThrottle(info::add, debug::add, now::get);
        // A unit every 3 s for a minute: shown at 12, 24 (12 + 10 or more), 36, 48 and 60 s.
        for (int unit = 1; unit <= 20; unit++) {
            at(throttle, unit * 3.0, "unit " + unit + " of 20");
        }
        assertEquals(List.of("unit 4 of 20", "unit 8 of 20", "unit 12 of 20", "unit 16 of 20", "unit 20 of 20"),
                info);
        assertEquals(15, debug.size());
    }

    @Test
    void unitsLongerThanTheQuietTimeAreEachShown() {
        ProgressThrottle throttle = new ProgressThrottle(info::add, debug::add, now::get);
        at(throttle, 9.9, "group 1 of 3");
        at(throttle, 30, "group 2 of 3");
        at(throttle, 45, "group 3 of 3");
        assertEquals(List.of("group 2 of 3", "group 3 of 3"), info);
        assertEquals(List.of("group 1 of 3"), debug);
    }
}
