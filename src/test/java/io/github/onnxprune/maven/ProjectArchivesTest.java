package io.github.onnxprune.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.maven.artifact.Artifact;
import org.apache.maven.artifact.DefaultArtifact;
import org.apache.maven.artifact.handler.DefaultArtifactHandler;
import org.apache.maven.model.Model;
import org.apache.maven.project.MavenProject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProjectArchivesTest {

    @TempDir
    Path target;

    private Artifact artifact(String classifier, String type, Path file) {
        DefaultArtifact artifact = new DefaultArtifact("g", "app", "1.0", "compile", type, classifier,
                new DefaultArtifactHandler(type));
        artifact.setFile(file == null ? null : file.toFile());
        return artifact;
    }

    private Path file(String name) throws IOException {
        return Files.write(target.resolve(name), new byte[] {1});
    }

    @Test
    void theArchivesBesideTheJarAreAttachedJarsAndWarsAndTheCopiesBootAndShadeKeep() throws IOException {
        MavenProject project = new MavenProject(new Model());
        Path jar = file("app-1.0.jar");
        project.setArtifact(artifact(null, "jar", jar));
        Path boot = file("app-1.0-exec.jar");
        project.addAttachedArtifact(artifact("exec", "jar", boot));
        project.addAttachedArtifact(artifact("sources", "java-source", file("app-1.0-sources.jar")));
        project.addAttachedArtifact(artifact("tests", "test-jar", file("app-1.0-tests.jar")));
        project.addAttachedArtifact(artifact("javadoc", "javadoc", file("app-1.0-javadoc.jar")));
        Path otherExecution = file("app-1.0-sparse.jar");
        project.addAttachedArtifact(artifact("sparse", "jar", otherExecution));
        ProjectArchives.recordClassified(project, otherExecution);
        Path bootOriginal = file("app-1.0.jar.original");
        Path shadeOriginal = file("original-app-1.0.jar");

        assertEquals(jar, ProjectArchives.main(project));
        assertEquals(List.of(boot, bootOriginal, shadeOriginal), ProjectArchives.others(project));
    }

    @Test
    void beforePackageThereIsNoArchive() {
        MavenProject project = new MavenProject(new Model());
        project.setArtifact(artifact(null, "jar", null));

        assertNull(ProjectArchives.main(project));
        assertEquals(List.of(), ProjectArchives.others(project));
    }
}
