package io.github.onnxprune.report;

import static io.github.onnxprune.report.HtmlReport.LABEL_WIDTH;
import static io.github.onnxprune.report.HtmlReport.WIDTH;
import static io.github.onnxprune.report.HtmlReport.coordinate;
import static io.github.onnxprune.report.HtmlReport.escape;
import static io.github.onnxprune.report.HtmlReport.metricRange;
import static io.github.onnxprune.report.HtmlReport.number;
import static io.github.onnxprune.report.HtmlReport.plotFrame;
import static io.github.onnxprune.report.HtmlReport.shorten;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * report.html's sensitivity profiles of one step's section: the weights' (with each group's output errors), the
 * units' and int8's, each as a table and, for the curves, as lines of metric against level, every cell and mark
 * carrying its value in {@code data-value} as {@link HtmlReport}'s other plots do.
 */
final class ProfileCharts {

    /** Line colours of the sensitivity curves, one per tensor or group in the legend's order. */
    private static final String[] PALETTE = {"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2",
        "#7f7f7f", "#bcbd22", "#17becf", "#d62728"};

    private ProfileCharts() {
    }

    /** Every profile {@code step} holds, in the order the page shows them; nothing for a step without one. */
    static void profiles(StringBuilder html, StepSection step) {
        sensitivity(html, step.items("sensitivity"));
        unitSensitivity(html, step.items("unitSensitivity"));
        int8Sensitivity(html, step.items("int8Sensitivity"));
    }

    /** The metric with only one group pruned, per group and level; failing levels red, unmeasured blank. */
    private static void sensitivity(StringBuilder html, List<Map<String, Object>> all) {
        outputErrors(html, all);
        List<Map<String, Object>> curves = all.stream().filter(c -> !((List<?>) c.get("points")).isEmpty())
                .toList();
        if (curves.isEmpty()) {
            return;
        }
        html.append("<h3>Sensitivity: the metric with only that tensor or group pruned (no re-fit)</h3>\n");
        curveTable(html, curves, "sensitivity", "tensor or group", "sparsity of that tensor alone");
    }

    /** The node-pruning profile: the metric with only one group of units removed, as table and lines. */
    private static void unitSensitivity(StringBuilder html, List<Map<String, Object>> curves) {
        if (curves.isEmpty()) {
            return;
        }
        html.append("<h3>Sensitivity of units: the metric with only that group's units removed (heads, neurons or"
                + " channels; no compensation)</h3>\n");
        curveTable(html, curves, "unit-sensitivity", "group of units", "fraction of that group's units removed");
    }

    /** The int8 profile: the metric with only one group of layers in int8, and its largest output error. */
    private static void int8Sensitivity(StringBuilder html, List<Map<String, Object>> groups) {
        if (groups.isEmpty()) {
            return;
        }
        html.append("<h3>Sensitivity to int8: the metric with only that group of layers quantized</h3>\n")
                .append("<table class=\"int8-sensitivity\">\n<tr><th>group of layers</th><th>metric</th>")
                .append("<th>largest output error</th></tr>\n");
        for (Map<String, Object> group : groups) {
            String name = escape(String.valueOf(group.get("name")));
            double metric = ((Number) group.get("metric")).doubleValue();
            boolean passes = Boolean.TRUE.equals(group.get("passes"));
            List<?> layers = group.get("layers") instanceof List<?> list ? list : List.of();
            html.append("<tr><td title=\"").append(escape(String.join(", ", layers.stream().map(String::valueOf)
                    .toList()))).append("\">").append(name).append("</td><td class=\"int8-sensitivity-point")
                    .append(passes ? "" : " fail").append("\" data-name=\"").append(name).append("\" data-value=\"")
                    .append(number(metric)).append("\">").append(String.format(Locale.ROOT, "%.4f", metric))
                    .append("</td><td>");
            if (group.get("outputError") instanceof Number error) {
                html.append(String.format(Locale.ROOT, "%.4f", error.doubleValue()));
            }
            html.append("</td></tr>\n");
        }
        html.append("</table>\n");
    }

    /**
     * A profile's table (one row per group, one column per level, failing levels red) followed by its lines;
     * {@code kind} prefixes every class so that two profiles on one page stay apart.
     */
    private static void curveTable(StringBuilder html, List<Map<String, Object>> curves, String kind,
            String groupHeader, String axis) {
        html.append("<table class=\"").append(kind).append("\">\n<tr><th>").append(groupHeader)
                .append("</th><th>weights</th>");
        List<String> levels = new ArrayList<>();
        for (Map<String, Object> curve : curves) {
            for (Object item : (List<?>) curve.get("points")) {
                String level = String.format(Locale.ROOT, "%.0f%%",
                        ((Number) ((Map<?, ?>) item).get("sparsity")).doubleValue() * 100);
                if (!levels.contains(level)) {
                    levels.add(level);
                }
            }
        }
        levels.forEach(level -> html.append("<th>").append(level).append("</th>"));
        html.append("</tr>\n");
        for (Map<String, Object> curve : curves) {
            html.append("<tr><td").append(members(curve)).append(">")
                    .append(escape(String.valueOf(curve.get("name")))).append("</td><td>")
                    .append(curve.get("size")).append("</td>");
            List<?> points = (List<?>) curve.get("points");
            for (int i = 0; i < levels.size(); i++) {
                if (i >= points.size()) {
                    html.append("<td></td>");
                    continue;
                }
                Map<?, ?> point = (Map<?, ?>) points.get(i);
                double metric = ((Number) point.get("metric")).doubleValue();
                boolean passes = Boolean.TRUE.equals(point.get("passes"));
                html.append("<td class=\"").append(kind).append("-point").append(passes ? "" : " fail")
                        .append("\" data-name=\"").append(escape(String.valueOf(curve.get("name"))))
                        .append("\" data-sparsity=\"").append(number(((Number) point.get("sparsity")).doubleValue()))
                        .append("\" data-value=\"").append(number(metric)).append("\">")
                        .append(String.format(Locale.ROOT, "%.4f", metric)).append("</td>");
            }
            html.append("</tr>\n");
        }
        html.append("</table>\n");
        sensitivityCurves(html, curves, kind, axis);
    }

    /**
     * The cheap signal: each group's layers' relative output error, pruned alone, per level; computed without a
     * model run, so a profile the search's budget left no evaluation for still has it.
     */
    private static void outputErrors(StringBuilder html, List<Map<String, Object>> curves) {
        List<Map<String, Object>> signalled = curves.stream().filter(c -> c.get("outputErrors") instanceof List<?>)
                .toList();
        if (signalled.isEmpty()) {
            return;
        }
        html.append("<h3>Output error of each group's layers pruned alone (relative squared error, no model run)"
                + "</h3>\n<table class=\"output-errors\">\n<tr><th>tensor or group</th><th>weights</th>");
        for (Object item : (List<?>) signalled.get(0).get("outputErrors")) {
            html.append("<th>").append(String.format(Locale.ROOT, "%.0f%%",
                    ((Number) ((Map<?, ?>) item).get("sparsity")).doubleValue() * 100)).append("</th>");
        }
        html.append("</tr>\n");
        for (Map<String, Object> curve : signalled) {
            String name = escape(String.valueOf(curve.get("name")));
            html.append("<tr><td").append(members(curve)).append(">").append(name).append("</td><td>")
                    .append(curve.get("size")).append("</td>");
            for (Object item : (List<?>) curve.get("outputErrors")) {
                Map<?, ?> error = (Map<?, ?>) item;
                double value = ((Number) error.get("outputError")).doubleValue();
                html.append("<td class=\"output-error\" data-name=\"").append(name).append("\" data-sparsity=\"")
                        .append(number(((Number) error.get("sparsity")).doubleValue())).append("\" data-value=\"")
                        .append(number(value)).append("\">").append(String.format(Locale.ROOT, "%.4f", value))
                        .append("</td>");
            }
            html.append("</tr>\n");
        }
        html.append("</table>\n");
    }

    /** A group's tensors as the cell's tooltip; nothing for a group of one tensor, which its name says. */
    private static String members(Map<String, Object> curve) {
        List<?> tensors = curve.get("tensors") instanceof List<?> list ? list : List.of();
        return tensors.size() < 2 ? "" : " title=\"" + escape(String.join(", ", tensors.stream()
                .map(String::valueOf).toList())) + "\"";
    }

    /**
     * The same points as lines of metric against sparsity, one colour per tensor or group, so the one that falls
     * first stands out; a failing point is drawn hollow.
     */
    private static void sensitivityCurves(StringBuilder html, List<Map<String, Object>> curves, String kind,
            String axis) {
        List<Object> points = new ArrayList<>();
        curves.forEach(curve -> points.addAll((List<?>) curve.get("points")));
        double[] range = metricRange(points);
        double low = range[0];
        double high = range[1];
        int plotWidth = WIDTH - LABEL_WIDTH - 60;
        int plotHeight = 160;
        int legendHeight = curves.size() * 14;
        html.append("<svg class=\"").append(kind).append("-curves\" width=\"").append(WIDTH).append("\" height=\"")
                .append(Math.max(plotHeight, legendHeight) + 50).append("\" xmlns=\"http://www.w3.org/2000/svg\">\n");
        plotFrame(html, plotWidth, plotHeight, low, high, axis);
        for (int c = 0; c < curves.size(); c++) {
            Map<String, Object> curve = curves.get(c);
            String name = escape(String.valueOf(curve.get("name")));
            String colour = PALETTE[c % PALETTE.length];
            StringBuilder line = new StringBuilder();
            StringBuilder marks = new StringBuilder();
            for (Object item : (List<?>) curve.get("points")) {
                Map<?, ?> point = (Map<?, ?>) item;
                double sparsity = ((Number) point.get("sparsity")).doubleValue();
                double metric = ((Number) point.get("metric")).doubleValue();
                boolean passes = Boolean.TRUE.equals(point.get("passes"));
                String x = coordinate(60 + sparsity * plotWidth);
                String y = coordinate(10 + (high - metric) / (high - low) * plotHeight);
                line.append(line.length() == 0 ? "" : " ").append(x).append(',').append(y);
                marks.append("<circle class=\"").append(kind).append("-mark\" data-name=\"").append(name)
                        .append("\" data-sparsity=\"").append(number(sparsity)).append("\" data-value=\"")
                        .append(number(metric)).append("\" data-passes=\"").append(passes).append("\" cx=\"")
                        .append(x).append("\" cy=\"").append(y).append("\" r=\"4\" stroke=\"").append(colour)
                        .append("\" stroke-width=\"2\" fill=\"").append(passes ? colour : "#fff")
                        .append("\"><title>").append(name).append(String.format(Locale.ROOT,
                                " at %.0f%%: %.4f, %s", sparsity * 100, metric, passes ? "passes" : "fails"))
                        .append("</title></circle>\n");
            }
            html.append("<polyline points=\"").append(line).append("\" fill=\"none\" stroke=\"").append(colour)
                    .append("\" stroke-width=\"1.5\"/>\n").append(marks);
            int legendY = 20 + c * 14;
            html.append("<rect x=\"").append(60 + plotWidth + 15).append("\" y=\"").append(legendY - 9)
                    .append("\" width=\"10\" height=\"10\" fill=\"").append(colour).append("\"/>\n<text x=\"")
                    .append(60 + plotWidth + 30).append("\" y=\"").append(legendY).append("\">")
                    .append(escape(shorten(String.valueOf(curve.get("name"))))).append("</text>\n");
        }
        html.append("</svg>\n");
    }
}
