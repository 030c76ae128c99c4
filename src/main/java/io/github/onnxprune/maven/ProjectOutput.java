package io.github.onnxprune.maven;

import io.github.onnxprune.pipeline.PruneRun;
import io.github.onnxprune.ship.AtomicFiles;
import io.github.onnxprune.ship.ShippingException;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugin.logging.Log;
import org.apache.maven.project.MavenProject;
import org.apache.maven.project.MavenProjectHelper;

/**
 * Where one {@code prune} execution writes and ships: its own output folder, the project's archive, the
 * classified copy, and how those paths are shown to the user.
 */
final class ProjectOutput {

    private final MavenProject project;
    private final File outputDirectory;
    private final File buildDirectory;
    private final String executionId;
    private final String classifier;

    ProjectOutput(MavenProject project, File outputDirectory, File buildDirectory, String executionId,
            String classifier) {
        this.project = project;
        this.outputDirectory = outputDirectory;
        this.buildDirectory = buildDirectory != null ? buildDirectory : new File(project.getBasedir(), "target");
        this.executionId = executionId;
        this.classifier = classifier == null || classifier.isBlank() ? null : classifier;
    }

    /** This execution's own output folder. */
    Path folder() {
        return ExecutionFolder.of(outputDirectory, buildDirectory.getPath(), executionId);
    }

    /** The project's jar or war as built so far, or null. */
    Path jar() {
        return ProjectArchives.main(project);
    }

    /** Where the classified copy goes, or null when the pruned models replace the archive's own. */
    Path classifiedArtifact() {
        if (classifier == null) {
            return null;
        }
        Path jar = jar();
        String extension = jar == null ? ".zip" : jar.toString().endsWith(".war") ? ".war" : ".jar";
        return buildDirectory.toPath().resolve(project.getBuild().getFinalName() + "-" + classifier + extension);
    }

    /** Attaches the classified copy when this execution wrote one. */
    void attachIfClassified(MavenProjectHelper helper) {
        Path artifact = classifiedArtifact();
        if (artifact != null && Files.isRegularFile(artifact)) {
            String type = artifact.toString().substring(artifact.toString().lastIndexOf('.') + 1);
            helper.attachArtifact(project, type, classifier, artifact.toFile());
            ProjectArchives.recordClassified(project, artifact);
        }
    }

    /** Names the module and execution, so the table can be told apart from other modules' in a reactor. */
    String heading() {
        return "ONNX models of " + project.getArtifactId() + " (execution " + (executionId == null ? "default"
                : executionId) + ", report " + relative(folder().resolve("report.json").toFile()) + "):";
    }

    /**
     * Puts back the original models into archives that an earlier in-place run pruned, since jar:jar does not
     * rebuild an unchanged jar; loads no native code and writes nothing when no earlier run replaced anything.
     */
    void restoreOriginals(Log log) throws MojoFailureException {
        try {
            Path jar = jar();
            if (PruneRun.restoreOriginals(folder(), jar)) {
                log.info("Put the original models back into " + (jar != null ? relative(jar.toFile())
                        : "the archives") + ", which an earlier run had shipped pruned.");
            }
        } catch (ShippingException e) {
            throw new MojoFailureException(e.getMessage(), e);
        } catch (IOException e) {
            throw fileFailure(e);
        }
    }

    /** A file that could not be read or written, as the user can act on it. */
    static MojoFailureException fileFailure(IOException e) {
        return new MojoFailureException("onnx-prune could not read or write a file: " + AtomicFiles.describe(e)
                + ". Every file it"
                + " writes is replaced in one step, so the jar and target/onnx-prune hold either their previous or"
                + " their new content, and src/main/resources is never written. Check that target/ is writable and"
                + " the disk has space, then build again.", e);
    }

    /** The time stamped on entries of a zip the run creates, from project.build.outputTimestamp. */
    static FileTime entryTime(String outputTimestamp, Log log) {
        if (outputTimestamp != null && !outputTimestamp.isBlank() && !outputTimestamp.matches("\\d?")) {
            try {
                return FileTime.from(outputTimestamp.matches("\\d+")
                        ? Instant.ofEpochSecond(Long.parseLong(outputTimestamp)) : Instant.parse(outputTimestamp));
            } catch (DateTimeParseException | NumberFormatException e) {
                log.debug("Unparseable project.build.outputTimestamp " + outputTimestamp);
            }
        }
        // Without a configured timestamp a fixed one still keeps the archive reproducible.
        return FileTime.from(Instant.parse("1980-01-01T00:00:02Z"));
    }

    /** The path as the user thinks of it, e.g. target/onnx-prune, when it lies inside the project. */
    String relative(File file) {
        Path base = project.getBasedir().toPath().toAbsolutePath();
        Path path = file.toPath().toAbsolutePath();
        return path.startsWith(base) ? base.relativize(path).toString().replace('\\', '/') : path.toString();
    }
}
