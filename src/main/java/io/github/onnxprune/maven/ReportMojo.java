package io.github.onnxprune.maven;

import io.github.onnxprune.report.SiteReport;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.apache.maven.doxia.sink.Sink;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.reporting.AbstractMavenReport;
import org.apache.maven.reporting.MavenReportException;

/**
 * The onnx-prune page of the project's site (target/site/onnx-prune.html in a site, target/reports/onnx-prune.html run alone): what the prune goal measured, as in
 * report.html, for every execution. Reads what {@code prune} wrote; it prunes nothing itself, so run it after
 * {@code package} ({@code mvn package site}, or {@code mvn package onnx-prune:report} for the page alone).
 *
 * @since 0.1.0
 */
@Mojo(name = "report", defaultPhase = LifecyclePhase.VERIFY, threadSafe = true)
public class ReportMojo extends AbstractMavenReport {

    /** Skips the report, as it skips pruning. */
    @Parameter(property = "onnx-prune.skip", defaultValue = "false")
    private boolean skip;

    @Parameter(defaultValue = "${project.build.directory}", readonly = true)
    private File buildDirectory;

    @Override
    public String getOutputName() {
        return "onnx-prune";
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
    public boolean canGenerateReport() {
        if (skip) {
            getLog().info("Skipping the ONNX prune report (onnx-prune.skip).");
        }
        return !skip;
    }

    @Override
    protected void executeReport(Locale locale) throws MavenReportException {
        List<Path> folders;
        try {
            folders = ExecutionFolder.existing(buildDirectory.toPath());
        } catch (IOException e) {
            throw new MavenReportException("Cannot list " + buildDirectory + " for onnx-prune results: " + e, e);
        }
        if (!SiteReport.anyReport(folders)) {
            getLog().info("No onnx-prune report.json under " + buildDirectory
                    + " yet; the page says to run mvn package first.");
        }
        Sink sink = getSink();
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
        sink.rawText(SiteReport.body(folders, getProject().getBasedir().toPath()));
        sink.section1_();
        sink.body_();
    }
}
