package io.github.onnxprune.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelWhereaboutsTest {

    @TempDir
    Path project;

    private ModelWhereabouts whereabouts() {
        return new ModelWhereabouts(project.resolve("target/classes"), project, project.resolve("target"),
                List.of(Path.of("src/main/resources")));
    }

    private void file(String path) throws IOException {
        Files.createDirectories(project.resolve(path).getParent());
        Files.write(project.resolve(path), new byte[] {1});
    }

    @Test
    void beforeTheResourcesAreCopiedTheWarningSaysToRunTheGoalInABuild() throws IOException {
        file("src/main/resources/models/wine.onnx");
        assertEquals("No ONNX model found: " + project.resolve("target/classes") + " does not exist yet; nothing to"
                + " prune. The prune goal reads the build output, which Maven fills in the process-resources phase:"
                + " run it as part of a build (mvn package: the goal binds to package), or after that phase, e.g."
                + " mvn process-classes onnx-prune:prune.", whereabouts().noModelFound(List.of("**/*.onnx")));
    }

    @Test
    void aModelOutsideTheResourceFoldersIsNamedWithWhereItMustGo() throws IOException {
        Files.createDirectories(project.resolve("target/classes"));
        file("src/main/onnx/wine.onnx");
        file("target/other/stale.onnx");
        file(".git/objects/x.onnx");
        file("src/test/resources/fixture.onnx");
        Path output = project.resolve("target/classes");
        assertEquals("No ONNX model found in " + output + " matching [**/*.onnx]; nothing to prune. The project"
                + " holds src/main/onnx/wine.onnx, outside its resource folders, which Maven never copies to " + output
                + ": the plugin prunes the models there and ships them in the jar. Move the models under"
                + " src/main/resources (or declare their folder as a <resource>).",
                whereabouts().noModelFound(List.of("**/*.onnx")));
    }

    @Test
    void withNothingMisplacedTheWarningPointsAtIncludes() throws IOException {
        Files.createDirectories(project.resolve("target/classes"));
        file("src/main/resources/models/wine.onnx");
        assertEquals("No ONNX model found in " + project.resolve("target/classes") + " matching [models/*.bin];"
                + " nothing to prune. Set <includes> or <models> if the models live elsewhere in it; a model outside"
                + " it must be a resource (under src/main/resources) to be pruned and shipped.",
                whereabouts().noModelFound(List.of("models/*.bin")));
    }

    @Test
    void aPathWrittenFromTheProjectFolderGetsTheNameToWriteInstead() throws IOException {
        Files.createDirectories(project.resolve("target/classes/models"));
        file("src/main/resources/models/wine.onnx");
        Path output = project.resolve("target/classes");
        assertEquals("The configured model src/main/resources/models/wine.onnx does not exist in " + output + "."
                + " <models><model><path>src/main/resources/models/wine.onnx</path> names it from the project"
                + " folder, but a model's path is relative to " + output + ", where the resources are copied, and"
                + " is its name inside the jar: write <path>models/wine.onnx</path> instead.",
                whereabouts().configuredModelMissing("src/main/resources/models/wine.onnx",
                        "src/main/resources/models/wine.onnx"));
    }

    @Test
    void aConfiguredModelOutsideTheResourcesSaysItIsNeverCopied() throws IOException {
        Files.createDirectories(project.resolve("target/classes"));
        file("src/main/onnx/wine.onnx");
        Path output = project.resolve("target/classes");
        String never = ", outside its resource folders, which Maven never copies to " + output + ": the plugin"
                + " prunes the models there and ships them in the jar.";
        assertEquals("The configured model src/main/onnx/wine.onnx does not exist in " + output + ". It is"
                + " src/main/onnx/wine.onnx in the project folder" + never + " Move it under src/main/resources"
                + " (e.g. src/main/resources/models/wine.onnx, then <path>models/wine.onnx</path>).",
                whereabouts().configuredModelMissing("src/main/onnx/wine.onnx", "src/main/onnx/wine.onnx"));
        assertEquals("The configured model models/wine.onnx does not exist in " + output + ". The project holds"
                + " src/main/onnx/wine.onnx" + never + " Move it under src/main/resources and give <path> relative"
                + " to it.", whereabouts().configuredModelMissing("models/wine.onnx", "models/wine.onnx"));
        assertEquals("The configured model models/missing.onnx does not exist in " + output + ". Check"
                + " <models><model><path>: it is relative to the build output, where src/main/resources is copied.",
                whereabouts().configuredModelMissing("models/missing.onnx", "models/missing.onnx"));
    }

    @Test
    void aMessageAboutTheBuildsCopyNamesTheResourceItCameFrom() throws IOException {
        file("src/main/resources/models/wine.onnx");
        file("target/classes/models/wine.onnx");
        file("target/classes/models/generated.onnx");
        assertEquals(" It is the build's copy of src/main/resources/models/wine.onnx: replace that file.",
                whereabouts().copiedFrom(project.resolve("target/classes/models/wine.onnx")));
        assertEquals("", whereabouts().copiedFrom(project.resolve("target/classes/models/generated.onnx")));
        assertEquals("", whereabouts().copiedFrom(project.resolve("elsewhere/wine.onnx")));
    }
}
