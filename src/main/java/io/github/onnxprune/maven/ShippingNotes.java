package io.github.onnxprune.maven;

import io.github.onnxprune.pipeline.RunOutcome;
import io.github.onnxprune.pipeline.ShipTarget;
import io.github.onnxprune.ship.ArchiveLayout;
import java.io.File;
import java.nio.file.Path;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.maven.plugin.logging.Log;

/** The log lines that say where the checked models went when that is not simply the project's jar. */
final class ShippingNotes {

    private ShippingNotes() {
    }

    /**
     * Logs the archives rewritten beside a plain jar, or where the models are when there is no archive yet;
     * {@code alone} when the goal was run by itself (mvn onnx-prune:prune), which no jar-building goal precedes.
     */
    static void log(Log log, RunOutcome outcome, Path output, Path jar, Path classified, Function<File, String> name,
            boolean alone) {
        if (!outcome.shipped()) {
            return;
        }
        if (jar == null && classified == null) {
            String models = name.apply(output.resolve("models").toFile());
            log.info(alone ? "Run from the command line without the package phase, the goal knows no jar to rewrite"
                    + " (a jar is known to the build that makes it): the pruned models are in " + models + ", laid"
                    + " out as in target/classes. Run mvn package to ship them in the jar."
                    : "No jar or war to ship into yet (this execution runs before package, or the packaging builds"
                    + " none): the pruned models are in " + models + ", laid out as in target/classes. Point tests,"
                    + " exec:java or Jib's <extraDirectories> there.");
            return;
        }
        boolean plainJarOnly = outcome.targets().size() == 1 && outcome.targets().get(0).root().isEmpty();
        if (!outcome.targets().isEmpty() && !plainJarOnly) {
            log.info("Shipped the pruned models into " + outcome.targets().stream()
                    .map(target -> describe(target, name)).collect(Collectors.joining(", ")) + ".");
        }
    }

    private static String describe(ShipTarget target, Function<File, String> name) {
        return name.apply(target.archive().toFile()) + (target.root().isEmpty() ? ""
                : " (" + ArchiveLayout.describe(target.root()) + ")");
    }
}
