package io.github.onnxprune.maven;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.maven.artifact.Artifact;
import org.apache.maven.project.MavenProject;

/**
 * The archives of a project that carry the content of target/classes and so must ship the pruned models: the
 * main artifact (a jar, a war, or what spring-boot-maven-plugin's repackage or maven-shade-plugin made of it when
 * they ran first), jars and wars other plugins attached (a Spring Boot jar with a classifier, a shaded or assembled
 * jar), and the copies those plugins leave of the plain jar ({@code <name>.jar.original},
 * {@code original-<name>.jar}). Sources, javadoc and test jars are not among them, and neither are the copies
 * another {@code prune} execution attached with its own classifier.
 */
final class ProjectArchives {

    /** The project context key under which executions list the classified copies they attached. */
    private static final String CLASSIFIED_KEY = "onnx-prune.classifiedArtifacts";

    private static final Set<String> SHIPPING_TYPES = Set.of("jar", "war", "ejb");
    private static final Set<String> NOT_SHIPPING_CLASSIFIERS = Set.of("sources", "test-sources", "javadoc",
            "test-javadoc", "tests");

    private ProjectArchives() {
    }

    /** The project's own jar or war, when it has been built; null otherwise (pom packaging, an earlier phase). */
    static Path main(MavenProject project) {
        Artifact artifact = project.getArtifact();
        File file = artifact == null ? null : artifact.getFile();
        return isArchive(file) ? file.toPath() : null;
    }

    /** Every other archive that may hold the models; those that hold none of them are left alone by the run. */
    static List<Path> others(MavenProject project) {
        Path main = main(project);
        Set<Path> archives = new LinkedHashSet<>();
        for (Artifact attached : project.getAttachedArtifacts()) {
            File file = attached.getFile();
            if (isArchive(file) && SHIPPING_TYPES.contains(attached.getType())
                    && !NOT_SHIPPING_CLASSIFIERS.contains(String.valueOf(attached.getClassifier()))) {
                archives.add(file.toPath().toAbsolutePath().normalize());
            }
        }
        if (main != null) {
            Path folder = main.toAbsolutePath().getParent();
            String name = main.getFileName().toString();
            for (Path copy : List.of(folder.resolve(name + ".original"), folder.resolve("original-" + name))) {
                if (Files.isRegularFile(copy)) {
                    archives.add(copy.normalize());
                }
            }
            archives.remove(main.toAbsolutePath().normalize());
        }
        archives.removeAll(classifiedCopies(project));
        return new ArrayList<>(archives);
    }

    /** Records a classified copy this plugin attached, so that other executions leave its models alone. */
    static void recordClassified(MavenProject project, Path copy) {
        // A project is built by one thread at a time, even under -T, so its context needs no lock.
        Set<Path> copies = new LinkedHashSet<>(classifiedCopies(project));
        copies.add(copy.toAbsolutePath().normalize());
        project.setContextValue(CLASSIFIED_KEY, List.copyOf(copies));
    }

    private static List<Path> classifiedCopies(MavenProject project) {
        Object value = project.getContextValue(CLASSIFIED_KEY);
        List<Path> copies = new ArrayList<>();
        if (value instanceof List<?> list) {
            list.stream().filter(Path.class::isInstance).map(Path.class::cast).forEach(copies::add);
        }
        return copies;
    }

    private static boolean isArchive(File file) {
        return file != null && file.isFile() && (file.getName().endsWith(".jar") || file.getName().endsWith(".war"));
    }
}
