package io.github.onnxprune.report;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * report.html: one self-contained page (inline CSS and SVG drawn here, nothing fetched at view time) with, per
 * model, the before/after table, the search trace, the sensitivity profiles ({@link ProfileCharts}), the per-layer
 * sparsity and units, and size and latency bars.
 * Rendered from the reports as report.json reads back, so both always show the same figures; every plotted mark
 * carries its value in a {@code data-value} attribute so that a test can check the picture against the JSON.
 */
public final class HtmlReport {

    static final int WIDTH = 640;
    private static final int BAR_HEIGHT = 16;
    static final int LABEL_WIDTH = 220;

    private HtmlReport() {
    }

    /**
     * The page's rules, all under the {@code onnx-prune-report} class so that the same markup can sit inside a
     * site skin's page ({@link SiteReport}) without restyling it.
     */
    static final String STYLE = ".onnx-prune-report table{border-collapse:collapse;margin:1em 0}"
            + ".onnx-prune-report td,.onnx-prune-report th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
            + ".onnx-prune-report th:first-child,.onnx-prune-report td:first-child{text-align:left}"
            + ".onnx-prune-report .fail{color:#b00}.onnx-prune-report .pass{color:#070}"
            + ".onnx-prune-report svg{display:block;margin:0.5em 0 1.5em}.onnx-prune-report svg text{font-size:11px}";

    /** The page for {@code reports}, UTF-8. */
    public static byte[] toBytes(String pluginVersion, List<ModelReport> reports) {
        StringBuilder html = new StringBuilder();
        html.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<title>onnx-prune report</title>\n<style>\n")
                .append("body{font-family:sans-serif;margin:2em;color:#222}").append(STYLE)
                .append("\n</style>\n</head>\n<body>\n<div class=\"onnx-prune-report\">\n")
                .append("<h1>onnx-prune report</h1>\n<p>onnx-prune-maven-plugin ").append(escape(pluginVersion))
                .append(", ").append(reports.size()).append(reports.size() == 1 ? " model" : " models")
                .append(". The same figures as report.json.</p>\n");
        models(html, reports);
        html.append("</div>\n</body>\n</html>\n");
        return html.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** One section per model, as the page shows them; for pages that hold the reports of several runs. */
    static void models(StringBuilder html, List<ModelReport> reports) {
        for (ModelReport report : reports) {
            model(html, report);
        }
    }

    private static void model(StringBuilder html, ModelReport report) {
        html.append("<section class=\"model\" data-model=\"").append(escape(report.model())).append("\">\n<h2>")
                .append(escape(report.model())).append("</h2>\n<p>method ").append(escape(report.method()));
        if (!report.violations().isEmpty()) {
            html.append(" &mdash; <span class=\"fail\">gate failed</span>");
        } else if (report.measurement() != null) {
            html.append(" &mdash; <span class=\"pass\">gate passed</span>");
        }
        html.append("</p>\n");
        for (String violation : report.violations()) {
            html.append("<p class=\"fail violation\">").append(escape(violation)).append("</p>\n");
        }
        table(html, report);
        for (StepSection step : report.steps()) {
            if (step.fields().get("search") instanceof Map<?, ?> search) {
                searchTrace(html, search);
            }
            ProfileCharts.profiles(html, step);
        }
        layerBars(html, report);
        sizeAndLatency(html, report);
        html.append("</section>\n");
    }

    private static void table(StringBuilder html, ModelReport report) {
        html.append("<table class=\"summary\">\n<tr><th></th><th>before</th><th>after</th></tr>\n");
        Measurement m = report.measurement();
        if (m != null) {
            row(html, escape(m.metric()) + " (" + m.samples() + " samples)", "metric", m.baseline(), m.pruned(),
                    "%.4f");
        }
        row(html, "parameters", "parameters", report.parametersBefore(), report.parametersAfter(), "%.0f");
        row(html, "file size (KiB)", "size", report.sizes().before() / 1024.0, report.sizes().after() / 1024.0,
                "%.1f");
        row(html, "deflated in the jar (KiB)", "deflated", report.sizes().deflatedBefore() / 1024.0,
                report.sizes().deflatedAfter() / 1024.0, "%.1f");
        Latency latency = report.latency();
        if (latency != null) {
            row(html, "latency median (&micro;s)", "latency", latency.baselineMedian(), latency.prunedMedian(),
                    "%.1f");
            if (latency.batched() != null) {
                row(html, "batched (&micro;s per sample)", "batched", latency.batched().baselinePerSample(),
                        latency.batched().prunedPerSample(), "%.2f");
            }
        }
        html.append("</table>\n");
    }

    private static void row(StringBuilder html, String label, String field, double before, double after,
            String format) {
        html.append("<tr><td>").append(label).append("</td><td data-field=\"").append(field)
                .append(".before\" data-value=\"").append(number(before)).append("\">")
                .append(String.format(Locale.ROOT, format, before)).append("</td><td data-field=\"").append(field)
                .append(".after\" data-value=\"").append(number(after)).append("\">")
                .append(String.format(Locale.ROOT, format, after)).append("</td></tr>\n");
    }

    /**
     * The fraction of the searched weights a candidate removes in all: its {@code total} (which differs from its
     * {@code sparsity} when a fallback held tensors back), or its sparsity in a report written before totals.
     */
    private static double total(Map<?, ?> candidate) {
        Object total = candidate.get("total");
        return ((Number) (total != null ? total : candidate.get("sparsity"))).doubleValue();
    }

    /**
     * The lowest and highest {@code metric} of the items, widened when they are equal so a flat series still gets
     * a vertical axis.
     */
    static double[] metricRange(List<?> items) {
        double low = Double.MAX_VALUE;
        double high = -Double.MAX_VALUE;
        for (Object item : items) {
            double metric = ((Number) ((Map<?, ?>) item).get("metric")).doubleValue();
            low = Math.min(low, metric);
            high = Math.max(high, metric);
        }
        if (high - low < 1e-9) {
            low -= 0.05;
            high += 0.05;
        }
        return new double[] {low, high};
    }

    /**
     * A plot's frame at x 60, y 10: sparsity 0 to 1 across, the metric from {@code low} to {@code high} up, and
     * the horizontal axis's label.
     */
    static void plotFrame(StringBuilder html, int plotWidth, int plotHeight, double low, double high,
            String xLabel) {
        html.append("<rect x=\"60\" y=\"10\" width=\"").append(plotWidth).append("\" height=\"")
                .append(plotHeight).append("\" fill=\"none\" stroke=\"#999\"/>\n");
        axisLabel(html, 60, plotHeight + 25, "0");
        axisLabel(html, 60 + plotWidth, plotHeight + 25, "1");
        axisLabel(html, 30, 14, String.format(Locale.ROOT, "%.3f", high));
        axisLabel(html, 30, plotHeight + 10, String.format(Locale.ROOT, "%.3f", low));
        axisLabel(html, 60 + plotWidth / 2, plotHeight + 45, xLabel);
    }

    /** Metric against sparsity of every candidate: green passed, red failed, the chosen one ringed. */
    private static void searchTrace(StringBuilder html, Map<?, ?> search) {
        List<?> candidates = (List<?>) search.get("candidates");
        double chosen = total(search);
        double[] range = metricRange(candidates);
        double low = range[0];
        double high = range[1];
        int plotWidth = WIDTH - 80;
        int plotHeight = 200;
        html.append("<h3>Search: metric against sparsity</h3>\n<svg class=\"search\" width=\"").append(WIDTH)
                .append("\" height=\"").append(plotHeight + 50).append("\" xmlns=\"http://www.w3.org/2000/svg\">\n");
        plotFrame(html, plotWidth, plotHeight, low, high, "sparsity (chosen: "
                + String.format(Locale.ROOT, "%.4f", chosen) + ")");
        for (Object item : candidates) {
            Map<?, ?> candidate = (Map<?, ?>) item;
            double sparsity = total(candidate);
            double metric = ((Number) candidate.get("metric")).doubleValue();
            boolean passes = Boolean.TRUE.equals(candidate.get("passes"));
            double x = 60 + sparsity * plotWidth;
            double y = 10 + (high - metric) / (high - low) * plotHeight;
            html.append("<circle class=\"candidate\" data-index=\"").append(candidate.get("index"))
                    .append("\" data-sparsity=\"").append(number(sparsity)).append("\" data-value=\"")
                    .append(number(metric)).append("\" data-passes=\"").append(passes).append("\" cx=\"")
                    .append(coordinate(x)).append("\" cy=\"").append(coordinate(y)).append("\" r=\"")
                    .append(sparsity == chosen && passes ? 7 : 4).append("\" fill=\"")
                    .append(passes ? "#2a2" : "#c33").append("\"><title>").append(String.format(Locale.ROOT,
                            "candidate %s: sparsity %.4f, metric %.4f, %s", candidate.get("index"), sparsity,
                            metric, passes ? "passes" : "fails")).append("</title></circle>\n");
        }
        html.append("</svg>\n");
    }

    /** One bar per pruned weight tensor (its sparsity) and per node-pruned layer (its units kept). */
    private static void layerBars(StringBuilder html, ModelReport report) {
        List<String[]> bars = new ArrayList<>();
        for (StepSection step : report.steps()) {
            for (Map<String, Object> tensor : step.items("tensors")) {
                bars.add(new String[] {"tensor", String.valueOf(tensor.get("name")),
                    number(((Number) tensor.get("sparsityReached")).doubleValue()), "sparsity"});
            }
            for (Map<String, Object> layer : step.items("layers")) {
                if (layer.get("unitsBefore") instanceof Number before
                        && layer.get("unitsAfter") instanceof Number after && before.doubleValue() > 0) {
                    bars.add(new String[] {"layer", String.valueOf(layer.get("layer")),
                        number(1 - after.doubleValue() / before.doubleValue()), "units removed"});
                }
            }
        }
        if (bars.isEmpty()) {
            return;
        }
        int plotWidth = WIDTH - LABEL_WIDTH - 60;
        html.append("<h3>Per layer</h3>\n<svg class=\"layers\" width=\"").append(WIDTH).append("\" height=\"")
                .append(bars.size() * (BAR_HEIGHT + 4) + 10).append("\" xmlns=\"http://www.w3.org/2000/svg\">\n");
        int y = 5;
        for (String[] bar : bars) {
            double value = Double.parseDouble(bar[2]);
            html.append("<text x=\"0\" y=\"").append(y + 12).append("\">").append(escape(shorten(bar[1])))
                    .append("</text>\n<rect class=\"").append(bar[0]).append("-bar\" data-name=\"")
                    .append(escape(bar[1])).append("\" data-value=\"").append(bar[2]).append("\" x=\"")
                    .append(LABEL_WIDTH).append("\" y=\"").append(y).append("\" width=\"")
                    .append(coordinate(value * plotWidth)).append("\" height=\"").append(BAR_HEIGHT)
                    .append("\" fill=\"").append(bar[0].equals("tensor") ? "#48c" : "#c84").append("\"><title>")
                    .append(escape(bar[1])).append(": ").append(bar[3]).append(' ')
                    .append(String.format(Locale.ROOT, "%.4f", value)).append("</title></rect>\n<text x=\"")
                    .append(coordinate(LABEL_WIDTH + value * plotWidth + 4)).append("\" y=\"").append(y + 12)
                    .append("\">").append(String.format(Locale.ROOT, "%.1f%% %s", value * 100, bar[3]))
                    .append("</text>\n");
            y += BAR_HEIGHT + 4;
        }
        html.append("</svg>\n");
    }

    /** Before and after bars of file size, deflated size and latency, each scaled to its own larger value. */
    private static void sizeAndLatency(StringBuilder html, ModelReport report) {
        List<Object[]> pairs = new ArrayList<>();
        pairs.add(new Object[] {"size", "file KiB", report.sizes().before() / 1024.0,
            report.sizes().after() / 1024.0});
        pairs.add(new Object[] {"deflated", "deflated KiB", report.sizes().deflatedBefore() / 1024.0,
            report.sizes().deflatedAfter() / 1024.0});
        if (report.latency() != null) {
            pairs.add(new Object[] {"latency", "latency µs", report.latency().baselineMedian(),
                report.latency().prunedMedian()});
        }
        int plotWidth = WIDTH - LABEL_WIDTH - 80;
        html.append("<h3>Size and latency (grey before, blue after)</h3>\n<svg class=\"sizes\" width=\"")
                .append(WIDTH).append("\" height=\"").append(pairs.size() * (2 * BAR_HEIGHT + 8) + 10)
                .append("\" xmlns=\"http://www.w3.org/2000/svg\">\n");
        int y = 5;
        for (Object[] pair : pairs) {
            double before = (Double) pair[2];
            double after = (Double) pair[3];
            double scale = Math.max(before, after) <= 0 ? 0 : plotWidth / Math.max(before, after);
            html.append("<text x=\"0\" y=\"").append(y + 20).append("\">").append(pair[1]).append("</text>\n");
            for (int i = 0; i < 2; i++) {
                double value = i == 0 ? before : after;
                html.append("<rect class=\"pair-bar\" data-field=\"").append(pair[0]).append(i == 0 ? ".before"
                        : ".after").append("\" data-value=\"").append(number(value)).append("\" x=\"")
                        .append(LABEL_WIDTH).append("\" y=\"").append(y + i * BAR_HEIGHT).append("\" width=\"")
                        .append(coordinate(value * scale)).append("\" height=\"").append(BAR_HEIGHT - 2)
                        .append("\" fill=\"").append(i == 0 ? "#aaa" : "#48c").append("\"/>\n<text x=\"")
                        .append(coordinate(LABEL_WIDTH + value * scale + 4)).append("\" y=\"")
                        .append(y + i * BAR_HEIGHT + 11).append("\">")
                        .append(String.format(Locale.ROOT, "%.1f", value)).append("</text>\n");
            }
            y += 2 * BAR_HEIGHT + 8;
        }
        html.append("</svg>\n");
    }

    private static void axisLabel(StringBuilder html, int x, int y, String text) {
        html.append("<text x=\"").append(x).append("\" y=\"").append(y).append("\" text-anchor=\"middle\">")
                .append(escape(text)).append("</text>\n");
    }

    static String shorten(String name) {
        return name.length() <= 32 ? name : "…" + name.substring(name.length() - 31);
    }

    /** A value as data attributes carry it: Java's shortest round-trip form, so a test can compare exactly. */
    static String number(double value) {
        return Double.toString(value);
    }

    static String coordinate(double value) {
        return String.format(Locale.ROOT, "%.1f", value);
    }

    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
