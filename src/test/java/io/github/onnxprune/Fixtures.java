package io.github.onnxprune;

import java.nio.file.Path;

/** Paths of the committed real-data fixtures (made by tools/fixtures/generate_fixtures.py). */
public final class Fixtures {

    private Fixtures() {
    }

    /** A fixture file or folder under src/test/resources/fixtures. */
    public static Path fixture(String relative) {
        return Path.of("src/test/resources/fixtures").resolve(relative);
    }
}
