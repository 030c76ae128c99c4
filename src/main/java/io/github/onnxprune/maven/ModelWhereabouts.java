package io.github.onnxprune.maven;

import io.github.onnxprune.pipeline.ModelFinder;
import java.io.IOException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.apache.maven.project.MavenProject;

/**
 * Where a model the goal did not find in the build output is instead, for the warning or failure that says so: a
 * new user's models are often in a folder Maven never copies (src/main/onnx), or named from the project folder
 * (src/main/resources/models/x.onnx), or the goal ran before the resources were copied.
 *
 * @param outputFolder the folder models are read from ({@code <modelDirectory>}, target/classes by default)
 * @param projectFolder the project's base folder
 * @param buildFolder the project's build folder (target), never searched
 * @param resourceFolders the project's resource folders, whose files Maven copies into {@code outputFolder}
 */
record ModelWhereabouts(Path outputFolder, Path projectFolder, Path buildFolder, List<Path> resourceFolders) {

    /** How many misplaced files a message names at most. */
    static final int NAMED = 5;

    /** How deep under the project folder misplaced models are looked for (src/main/onnx/models/x.onnx is 4). */
    private static final int DEPTH = 8;

    ModelWhereabouts {
        outputFolder = outputFolder.toAbsolutePath().normalize();
        Path base = projectFolder.toAbsolutePath().normalize();
        projectFolder = base;
        buildFolder = buildFolder.toAbsolutePath().normalize();
        resourceFolders = resourceFolders.stream().map(folder -> base.resolve(folder).normalize()).toList();
    }

    /** The whereabouts of {@code project}'s models, read from {@code outputFolder}. */
    static ModelWhereabouts of(Path outputFolder, MavenProject project) {
        Path base = project.getBasedir().toPath();
        return new ModelWhereabouts(outputFolder, base, base.resolve(project.getBuild().getDirectory()),
                project.getResources().stream().map(resource -> base.resolve(resource.getDirectory())).toList());
    }

    /** The warning for a build that found no model at all in {@code outputFolder} with {@code includes}. */
    String noModelFound(List<String> includes) {
        if (!Files.isDirectory(outputFolder)) {
            return "No ONNX model found: " + outputFolder + " does not exist yet; nothing to prune. " + notBuilt();
        }
        String missed = "No ONNX model found in " + outputFolder + " matching " + includes + "; nothing to prune. ";
        List<String> outside = outsideResources(name -> name.endsWith(".onnx"));
        if (!outside.isEmpty()) {
            return missed + "The project holds " + String.join(", ", outside) + ", outside its resource folders, "
                    + neverCopied() + " Move the models under src/main/resources (or declare their folder as a"
                    + " <resource>).";
        }
        return missed + "Set <includes> or <models> if the models live elsewhere in it; a model outside it must"
                + " be a resource (under src/main/resources) to be pruned and shipped.";
    }

    /** The failure for a {@code <model><path>} (as written, and as the jar would name it) missing from the output. */
    String configuredModelMissing(String configured, String inJar) {
        String missing = "The configured model " + inJar + " does not exist in " + outputFolder + ". ";
        if (!Files.isDirectory(outputFolder)) {
            return missing + notBuilt();
        }
        Path inProject = projectFolder.resolve(inJar).normalize();
        if (inProject.startsWith(projectFolder) && Files.isRegularFile(inProject)) {
            Optional<String> asResource = resourceName(inProject);
            if (asResource.isPresent()) {
                return missing + "<models><model><path>" + configured + "</path> names it from the project folder,"
                        + " but a model's path is relative to " + outputFolder + ", where the resources are"
                        + " copied, and is its name inside the jar: write <path>" + asResource.get()
                        + "</path> instead.";
            }
            return missing + "It is " + inJar + " in the project folder, outside its resource folders, "
                    + neverCopied() + " Move it under src/main/resources (e.g. src/main/resources/models/"
                    + inProject.getFileName() + ", then <path>models/" + inProject.getFileName() + "</path>).";
        }
        String fileName = Path.of(inJar).getFileName().toString();
        List<String> outside = outsideResources(name -> name.equals(fileName));
        if (!outside.isEmpty()) {
            return missing + "The project holds " + String.join(", ", outside) + ", outside its resource folders, "
                    + neverCopied() + " Move it under src/main/resources and give <path> relative to it.";
        }
        return missing + "Check <models><model><path>: it is relative to the build output, where"
                + " src/main/resources is copied.";
    }

    /**
     * For a message about {@code file} in the build output: the sentence naming the resource it was copied from
     * (the file the user edits), or an empty string when no resource folder holds a file of its name and size.
     */
    String copiedFrom(Path file) {
        Path copy = file.toAbsolutePath().normalize();
        if (!copy.startsWith(outputFolder)) {
            return "";
        }
        Path relative = outputFolder.relativize(copy);
        for (Path folder : resourceFolders) {
            Path source = folder.resolve(relative);
            try {
                if (Files.isRegularFile(source) && Files.size(source) == Files.size(copy)) {
                    return " It is the build's copy of " + projectFolder.relativize(source).toString()
                            .replace('\\', '/') + ": replace that file.";
                }
            } catch (IOException e) {
                // Only advice: a file that cannot be measured is not named.
            }
        }
        return "";
    }

    private String notBuilt() {
        return "The prune goal reads the build output, which Maven fills in the process-resources phase: run it"
                + " as part of a build (mvn package: the goal binds to package), or after that phase, e.g."
                + " mvn process-classes onnx-prune:prune.";
    }

    private String neverCopied() {
        return "which Maven never copies to " + outputFolder + ": the plugin prunes the models there and ships them"
                + " in the jar.";
    }

    private Optional<String> resourceName(Path file) {
        return ModelFinder.intendedPath(file.toString(), resourceFolders);
    }

    /**
     * Up to {@link #NAMED} files of the project whose name {@code matches}, relative to the project folder with
     * forward slashes, sorted, that no resource folder holds; the build folder, src/test and hidden folders are not
     * searched.
     */
    private List<String> outsideResources(Predicate<String> matches) {
        List<String> found = new ArrayList<>();
        SimpleFileVisitor<Path> collect = new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) {
                boolean hidden = !dir.equals(projectFolder) && dir.getFileName().toString().startsWith(".");
                // Test models are not meant for the jar: naming them would advise moving them there.
                boolean tests = dir.equals(projectFolder.resolve("src/test"));
                return hidden || tests || dir.equals(buildFolder) || dir.equals(outputFolder)
                        ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                if (attributes.isRegularFile() && matches.test(file.getFileName().toString())
                        && resourceName(file).isEmpty()) {
                    found.add(projectFolder.relativize(file).toString().replace('\\', '/'));
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                return FileVisitResult.CONTINUE;
            }
        };
        try {
            Files.walkFileTree(projectFolder, EnumSet.noneOf(FileVisitOption.class), DEPTH, collect);
        } catch (IOException e) {
            // Only advice: a folder that cannot be listed leaves the message without it.
            return List.of();
        }
        return found.stream().sorted().limit(NAMED).toList();
    }
}
