package io.github.onnxprune.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SiteReportTest {

    @TempDir
    Path project;

    @Test
    void withoutAnyReportThePageSaysToPackageFirst() throws Exception {
        Path folder = Files.createDirectories(project.resolve("target/onnx-prune"));
        String body = SiteReport.body(List.of(folder), project);
        assertFalse(SiteReport.anyReport(List.of(folder)));
        assertTrue(body.contains("<p class=\"no-report\">No model has been pruned in this project yet: the prune goal"
                + " writes its results (target/onnx-prune/report.json) when the project is packaged. Run <code>mvn"
                + " package</code> first, then this report (for example <code>mvn package site</code>).</p>"), body);
        assertEquals(body, SiteReport.body(List.of(), project));
        assertFalse(body.contains("<section"));
    }

    @Test
    void eachExecutionsModelsFollowTheFileTheyWereReadFrom() throws Exception {
        Path first = write("target/onnx-prune", report("models/a.onnx", 0.9, 0.85));
        Path second = write("target/onnx-prune-sparse", report("models/b.onnx", 0.9, 0.5));
        String body = SiteReport.body(List.of(first, second), project);
        assertTrue(SiteReport.anyReport(List.of(first, second)));
        int firstSource = body.indexOf("From <code>target/onnx-prune/report.json</code>: 1 model.");
        int firstModel = body.indexOf("<section class=\"model\" data-model=\"models/a.onnx\">");
        int secondSource = body.indexOf("From <code>target/onnx-prune-sparse/report.json</code>: 1 model.");
        int secondModel = body.indexOf("<section class=\"model\" data-model=\"models/b.onnx\">");
        assertTrue(0 < firstSource && firstSource < firstModel && firstModel < secondSource
                && secondSource < secondModel, body);
        assertTrue(body.contains("<td data-field=\"metric.after\" data-value=\"0.85\">0.8500</td>"), body);
        assertTrue(body.contains("<td data-field=\"metric.after\" data-value=\"0.5\">0.5000</td>"), body);
        assertTrue(body.startsWith("<style>" + HtmlReport.STYLE + "</style>\n<div class=\"onnx-prune-report\">"));
        assertFalse(body.contains("No model has been pruned"));
    }

    @Test
    void anUnreadableReportIsNamedWithWhatToDoAndTheOthersStillShow() throws Exception {
        Path broken = write("target/onnx-prune", "{\"tool\":\"something else\"}".getBytes(StandardCharsets.UTF_8));
        Path good = write("target/onnx-prune-other", report("models/a.onnx", 0.9, 0.85));
        String body = SiteReport.body(List.of(broken, good), project);
        assertTrue(body.contains("<p class=\"fail unreadable\">target/onnx-prune/report.json could not be read"
                + " (report.json was not written by onnx-prune-maven-plugin): another version of the plugin may have"
                + " written it, or it is damaged. Run <code>mvn clean package</code> to write it again, then this"
                + " report.</p>"), body);
        assertTrue(body.contains("data-model=\"models/a.onnx\""));
        assertFalse(body.contains("No model has been pruned"));
    }

    @Test
    void runAloneTheBodyStandsInAPageOfItsOwnUnderTheTitle() throws Exception {
        Path folder = write("target/onnx-prune", report("models/a.onnx", 0.9, 0.85));
        String page = new String(SiteReport.page("ONNX <Prune>", List.of(folder), project), StandardCharsets.UTF_8);
        String body = SiteReport.body(List.of(folder), project);
        assertEquals("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                + "<title>ONNX &lt;Prune&gt;</title>\n"
                + "<style>body{font-family:sans-serif;margin:2em;color:#222}</style>\n"
                + "</head>\n<body>\n<h1>ONNX &lt;Prune&gt;</h1>\n" + body + "</body>\n</html>\n", page);
        assertTrue(page.contains("<td data-field=\"metric.after\" data-value=\"0.85\">0.8500</td>"), page);
    }

    private Path write(String folder, byte[] json) throws Exception {
        Path dir = Files.createDirectories(project.resolve(folder));
        Files.write(dir.resolve("report.json"), json);
        return dir;
    }

    private static byte[] report(String model, double baseline, double pruned) {
        ModelReport report = new ModelReport(model, "weights", 0.5, 100, 100,
                new Measurement("accuracy", baseline, pruned, 10), new Latency(5.0, 6.0, 4.0, 5.0, 3),
                new FileSizes(4096, 4096, 3000, 1000), List.of(), null, List.of(), List.of());
        return ReportJson.toBytes("1.2.3", List.of(report));
    }
}
