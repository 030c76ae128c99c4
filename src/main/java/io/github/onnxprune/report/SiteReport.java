package io.github.onnxprune.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * The body of the onnx-prune page in a Maven site: for each prune execution's output folder, its models drawn as
 * report.html draws them (read from its report.json, so the page shows the figures the JSON holds), or, when no
 * execution has written a report yet, what to run to get one. Run as a goal, without a site, the same body stands
 * alone in a page of its own ({@link #page}).
 */
public final class SiteReport {

    private SiteReport() {
    }

    /**
     * The page's body as an HTML fragment (style included), for a site page to embed.
     *
     * @param folders the executions' output folders, in the order to show them
     * @param baseDirectory the project's folder, to show the folders relative to it
     */
    public static String body(List<Path> folders, Path baseDirectory) {
        StringBuilder html = new StringBuilder();
        html.append("<style>").append(HtmlReport.STYLE).append("</style>\n<div class=\"onnx-prune-report\">\n");
        int shown = 0;
        for (Path folder : folders) {
            Path json = folder.resolve("report.json");
            String name = HtmlReport.escape(shown(baseDirectory, json));
            List<ModelReport> reports;
            try {
                reports = ReportJson.read(Files.readAllBytes(json));
            } catch (NoSuchFileException e) {
                continue;
            } catch (IOException e) {
                html.append("<p class=\"fail unreadable\">").append(name).append(" could not be read (")
                        .append(HtmlReport.escape(String.valueOf(e.getMessage()))).append("): another version of "
                        + "the plugin may have written it, or it is damaged. Run <code>mvn clean package</code> to "
                        + "write it again, then this report.</p>\n");
                shown++;
                continue;
            }
            html.append("<p class=\"source\">From <code>").append(name).append("</code>: ").append(reports.size())
                    .append(reports.size() == 1 ? " model" : " models").append(".</p>\n");
            HtmlReport.models(html, reports);
            shown++;
        }
        if (shown == 0) {
            html.append("<p class=\"no-report\">No model has been pruned in this project yet: the prune goal "
                    + "writes its results (target/onnx-prune/report.json) when the project is packaged. Run "
                    + "<code>mvn package</code> first, then this report (for example "
                    + "<code>mvn package site</code>).</p>\n");
        }
        html.append("</div>\n");
        return html.toString();
    }

    /**
     * The page the goal writes when run alone (no site to embed it): {@link #body} under {@code title}, in a
     * self-contained UTF-8 document styled as report.html.
     *
     * @param title the page's title and heading
     */
    public static byte[] page(String title, List<Path> folders, Path baseDirectory) {
        String escaped = HtmlReport.escape(title);
        String html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + escaped
                + "</title>\n<style>body{font-family:sans-serif;margin:2em;color:#222}</style>\n</head>\n<body>\n<h1>"
                + escaped + "</h1>\n" + body(folders, baseDirectory) + "</body>\n</html>\n";
        return html.getBytes(StandardCharsets.UTF_8);
    }

    /** Whether {@link #body} finds a report in any of {@code folders}. */
    public static boolean anyReport(List<Path> folders) {
        return folders.stream().anyMatch(folder -> Files.isRegularFile(folder.resolve("report.json")));
    }

    private static String shown(Path baseDirectory, Path file) {
        Path absolute = file.toAbsolutePath().normalize();
        Path base = baseDirectory.toAbsolutePath().normalize();
        return (absolute.startsWith(base) ? base.relativize(absolute) : absolute).toString().replace('\\', '/');
    }
}
