package io.github.onnxprune.maven;

import io.github.onnxprune.pipeline.ModelFinder;
import io.github.onnxprune.ship.ConfinedPaths;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.maven.model.Resource;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.project.MavenProject;

/** Turns a configured {@code <model><path>} into the model's name in the jar, or a failure saying what to write. */
final class ModelPaths {

    private ModelPaths() {
    }

    /**
     * The configured {@code <path>} as the relative, normalised name it has in the jar; anything absolute, with
     * {@code ..} or otherwise not normalised fails, suggesting what to write.
     */
    static String inJar(String configured, Path root, MavenProject project) throws MojoFailureException {
        String path = configured.replace('\\', '/');
        Optional<String> problem = ConfinedPaths.problem(path);
        if (problem.isEmpty()) {
            return path;
        }
        List<Path> roots = new ArrayList<>(List.of(root));
        for (Resource resource : project.getResources()) {
            roots.add(project.getBasedir().toPath().resolve(resource.getDirectory()));
        }
        Optional<String> intended = ModelFinder.intendedPath(configured, roots)
                .filter(p -> ConfinedPaths.problem(p).isEmpty());
        throw new MojoFailureException("<models><model><path>" + configured + "</path> " + problem.get()
                + ". A model's path is relative to <modelDirectory> (" + root + ", where src/main/resources is"
                + " copied) and is its name inside the jar; nothing outside that folder is pruned or written. "
                + intended.map(p -> "Write <path>" + p + "</path> instead.")
                        .orElse("Write the model's path inside that folder, e.g."
                                + " <path>models/classifier.onnx</path>."));
    }
}
