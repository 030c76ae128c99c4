package io.github.onnxprune.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.onnxprune.pipeline.RunOutcome;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.maven.plugin.logging.SystemStreamLog;
import org.junit.jupiter.api.Test;

class ShippingNotesTest {

    /** The lines logged at INFO. */
    private static final class Lines extends SystemStreamLog {
        final List<String> info = new ArrayList<>();

        @Override
        public void info(CharSequence content) {
            info.add(content.toString());
        }
    }

    @Test
    void withoutAJarTheLineSaysWhyAndWhereTheModelsAre() {
        RunOutcome shipped = new RunOutcome(List.of(), Path.of("target/onnx-prune/report.json"), true, false);
        Lines alone = new Lines();
        ShippingNotes.log(alone, shipped, Path.of("target/onnx-prune"), null, null, file -> file.getPath(), true);
        Lines beforePackage = new Lines();
        ShippingNotes.log(beforePackage, shipped, Path.of("target/onnx-prune"), null, null, file -> file.getPath(),
                false);
        assertEquals(List.of("Run from the command line without the package phase, the goal knows no jar to"
                + " rewrite (a jar is known to the build that makes it): the pruned models are in"
                + " target/onnx-prune/models, laid out as in target/classes. Run mvn package to ship them in the"
                + " jar."), alone.info);
        assertEquals(List.of("No jar or war to ship into yet (this execution runs before package, or the packaging"
                + " builds none): the pruned models are in target/onnx-prune/models, laid out as in target/classes."
                + " Point tests, exec:java or Jib's <extraDirectories> there."), beforePackage.info);
    }
}
