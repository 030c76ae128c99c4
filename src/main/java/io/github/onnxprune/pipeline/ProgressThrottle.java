package io.github.onnxprune.pipeline;

import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Passes a progress line to {@code shown} (the build log's INFO) once {@link #QUIET_SECONDS} have gone by since the
 * run started or since the last line shown, and every other line to {@code quiet} (DEBUG). A build that ends within
 * that time logs its results and nothing else, as Maven leaves its download meter out in batch mode and jacoco or
 * the enforcer log what they found rather than how far they got; a long re-fit, ranking or search still shows a
 * line with its elapsed time and estimate at least that often while its units keep finishing.
 */
public final class ProgressThrottle implements Consumer<String> {

    /** How long the log stays quiet before a progress line, and between two progress lines, at INFO. */
    static final long QUIET_SECONDS = 10;

    private final Consumer<String> shown;
    private final Consumer<String> quiet;
    private final LongSupplier nanoClock;
    private long lastShown;

    /** A throttle whose run starts now. */
    public ProgressThrottle(Consumer<String> shown, Consumer<String> quiet) {
        this(shown, quiet, System::nanoTime);
    }

    /** A throttle reading the time from {@code nanoClock} (as {@link System#nanoTime}), whose run starts now. */
    ProgressThrottle(Consumer<String> shown, Consumer<String> quiet, LongSupplier nanoClock) {
        this.shown = shown;
        this.quiet = quiet;
        this.nanoClock = nanoClock;
        this.lastShown = nanoClock.getAsLong();
    }

    // Synchronized: a re-fit on both cores may report from either thread.
    @Override
    public synchronized void accept(String line) {
        long now = nanoClock.getAsLong();
        if (now - lastShown >= TimeUnit.SECONDS.toNanos(QUIET_SECONDS)) {
            lastShown = now;
            shown.accept(line);
        } else {
            quiet.accept(line);
        }
    }
}
