package io.github.onnxprune.maven;

import io.github.onnxprune.report.SiteReport;
import io.github.onnxprune.ship.AtomicFiles;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.apache.maven.doxia.sink.Sink;
import org.apache.maven.doxia.sink.SinkFactory;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;
import org.apache.maven.reporting.MavenMultiPageReport;
import org.apache.maven.reporting.MavenReportException;

/**
 * The onnx-prune page of the project's site (target/site/onnx-prune.html in a site, target/reports/onnx-prune.html
 * run alone): what the prune goal measured, as in report.html, for every execution. Reads what {@code prune} wrote;
 * it prunes nothing itself, so run it after {@code package} ({@code mvn package site}, or
 * {@code mvn package onnx-prune:report} for the page alone).
 *
 * <p>Built on maven-reporting-api alone, not maven-reporting-impl: in a site, maven-site-plugin hands it the Doxia
 * sink of its skinned page; run alone, it writes a page of its own. maven-reporting-impl would put the site
 * renderer, Doxia, Velocity and their Plexus components (27 jars) into the plugin's class realm, which Maven sets up
 * before every {@code prune} too.
 *
 * @since 0.1.0
 */
@Mojo(name = "report", defaultPhase = LifecyclePhase.VERIFY, threadSafe = true)
public class ReportMojo extends AbstractMojo implements MavenMultiPageReport {

    /** Skips the report, as it skips pruning. */
    @Parameter(property = "onnx-prune.skip", defaultValue = "false")
    private boolean skip;

    /**
     * Where the page is written when the goal runs alone; in a site, maven-site-plugin's output folder is used
     * instead.
     */
    @Parameter(defaultValue = "${project.build.directory}/reports", required = true)
    private File outputDirectory;

    @Parameter(defaultValue = "${project}", readonly = true, required = true)
    private MavenProject project;

    @Parameter(defaultValue = "${project.build.directory}", readonly = true)
    private File buildDirectory;

    /** Set by maven-site-plugin to its output folder; null when the goal runs alone. */
    private File siteOutputDirectory;

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        if (!canGenerateReport()) {
            return;
        }
        Path page = getReportOutputDirectory().toPath().resolve(getOutputName() + ".html");
        try {
            AtomicFiles.write(page, SiteReport.page(getName(Locale.ROOT), executionFolders(), basedir()));
        } catch (IOException e) {
            throw new MojoFailureException("Cannot write the ONNX prune report " + page + ": " + e.getMessage()
                    + ". Check that the folder is writable, or set the report goal's <outputDirectory>.", e);
        }
        getLog().info("ONNX prune report: " + page);
    }

    @Override
    public void generate(Sink sink, SinkFactory sinkFactory, Locale locale) throws MavenReportException {
        generate(sink, locale);
    }

    @Override
    public void generate(Sink sink, Locale locale) throws MavenReportException {
        List<Path> folders;
        try {
            folders = executionFolders();
        } catch (MojoFailureException e) {
            throw new MavenReportException(e.getMessage(), e);
        }
        sink.head();
        sink.title();
        sink.text(getName(locale));
        sink.title_();
        sink.head_();
        sink.body();
        sink.section1();
        sink.sectionTitle1();
        sink.text(getName(locale));
        sink.sectionTitle1_();
        sink.rawText(SiteReport.body(folders, basedir()));
        sink.section1_();
        sink.body_();
    }

    private List<Path> executionFolders() throws MojoFailureException {
        List<Path> folders;
        try {
            folders = ExecutionFolder.existing(buildDirectory.toPath());
        } catch (IOException e) {
            throw new MojoFailureException("Cannot list " + buildDirectory + " for onnx-prune results: " + e, e);
        }
        if (!SiteReport.anyReport(folders)) {
            getLog().info("No onnx-prune report.json under " + buildDirectory
                    + " yet; the page says to run mvn package first.");
        }
        return folders;
    }

    private Path basedir() {
        return project.getBasedir().toPath();
    }

    @Override
    public String getOutputName() {
        return "onnx-prune";
    }

    @Override
    public String getCategoryName() {
        return CATEGORY_PROJECT_REPORTS;
    }

    @Override
    public String getName(Locale locale) {
        return "ONNX Prune";
    }

    @Override
    public String getDescription(Locale locale) {
        return "The ONNX models this project ships, before and after pruning: accuracy, size, latency and how the"
                + " sparsity was chosen.";
    }

    @Override
    public void setReportOutputDirectory(File directory) {
        siteOutputDirectory = directory;
    }

    @Override
    public File getReportOutputDirectory() {
        return siteOutputDirectory != null ? siteOutputDirectory : outputDirectory;
    }

    @Override
    public boolean isExternalReport() {
        return false;
    }

    @Override
    public boolean canGenerateReport() {
        if (skip) {
            getLog().info("Skipping the ONNX prune report (onnx-prune.skip).");
        }
        return !skip;
    }
}
