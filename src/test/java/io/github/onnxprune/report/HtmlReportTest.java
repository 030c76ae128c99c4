package io.github.onnxprune.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class HtmlReportTest {

    @Test
    void everyPlottedValueIsTheValueReportJsonHolds() throws Exception {
        byte[] json = SearchedReport.json();
        ModelReport report = ReportJson.read(json).get(0);
        String html = new String(HtmlReport.toBytes("1.2.3", ReportJson.read(json)), StandardCharsets.UTF_8);

        // Self-contained: no script, stylesheet, image or font fetched from anywhere.
        assertFalse(html.contains("<script"));
        assertFalse(html.contains("<link"));
        assertFalse(html.contains("<img"));
        assertEquals(html.split("http", -1).length - 1,
                html.split("xmlns=\"http://www.w3.org/2000/svg\"", -1).length - 1,
                "the only URLs are SVG namespace names");

        Map<String, Double> table = values(html, "<td data-field=\"([a-z.]+)\" data-value=\"([^\"]+)\"");
        assertEquals(report.measurement().baseline(), table.get("metric.before"));
        assertEquals(report.measurement().pruned(), table.get("metric.after"));
        assertEquals((double) report.parametersAfter(), table.get("parameters.after"));
        assertEquals(report.sizes().deflatedAfter() / 1024.0, table.get("deflated.after"));
        assertEquals(report.latency().prunedMedian(), table.get("latency.after"));
        assertEquals(report.latency().batched().prunedPerSample(), table.get("batched.after"));
        Map<String, Double> bars = values(html,
                "<rect class=\"pair-bar\" data-field=\"([a-z.]+)\" data-value=\"([^\"]+)\"");
        assertEquals(report.sizes().after() / 1024.0, bars.get("size.after"));
        assertEquals(report.latency().baselineMedian(), bars.get("latency.before"));

        StepSection searchSection = report.steps().get(report.steps().size() - 1);
        List<Map<String, Object>> candidates = new ArrayList<>();
        for (Object item : (List<?>) ((Map<?, ?>) searchSection.fields().get("search")).get("candidates")) {
            @SuppressWarnings("unchecked")
            Map<String, Object> candidate = (Map<String, Object>) item;
            candidates.add(candidate);
        }
        Matcher points = Pattern.compile("<circle class=\"candidate\" data-index=\"(\\d+)\""
                + " data-sparsity=\"([^\"]+)\" data-value=\"([^\"]+)\" data-passes=\"(true|false)\"").matcher(html);
        int plotted = 0;
        while (points.find()) {
            Map<String, Object> candidate = candidates.get(plotted++);
            assertEquals(((Number) candidate.get("index")).intValue(), Integer.parseInt(points.group(1)));
            assertEquals(((Number) candidate.get("total")).doubleValue(), Double.parseDouble(points.group(2)));
            assertEquals(((Number) candidate.get("metric")).doubleValue(), Double.parseDouble(points.group(3)));
            assertEquals(candidate.get("passes"), Boolean.parseBoolean(points.group(4)));
        }
        assertEquals(candidates.size(), plotted);
        assertTrue(plotted >= 2);

        Matcher cells = Pattern.compile("<td class=\"sensitivity-point[^\"]*\" data-name=\"([^\"]+)\""
                + " data-sparsity=\"([^\"]+)\" data-value=\"([^\"]+)\"").matcher(html);
        List<String> drawn = new ArrayList<>();
        while (cells.find()) {
            drawn.add(cells.group(1) + "@" + cells.group(2) + "=" + cells.group(3));
        }
        List<String> stored = new ArrayList<>();
        for (Map<String, Object> curve : searchSection.items("sensitivity")) {
            for (Object item : (List<?>) curve.get("points")) {
                Map<?, ?> point = (Map<?, ?>) item;
                stored.add(curve.get("name") + "@" + ((Number) point.get("sparsity")).doubleValue() + "="
                        + ((Number) point.get("metric")).doubleValue());
            }
        }
        assertEquals(stored, drawn);
        assertTrue(stored.size() >= 3, stored.toString());
        Matcher marks = Pattern.compile("<circle class=\"sensitivity-mark\" data-name=\"([^\"]+)\""
                + " data-sparsity=\"([^\"]+)\" data-value=\"([^\"]+)\"").matcher(html);
        List<String> curvePoints = new ArrayList<>();
        while (marks.find()) {
            curvePoints.add(marks.group(1) + "@" + marks.group(2) + "=" + marks.group(3));
        }
        assertEquals(stored, curvePoints);
        assertEquals(searchSection.items("sensitivity").stream().filter(c -> !((List<?>) c.get("points")).isEmpty())
                .count(), html.split("<polyline ", -1).length - 1);
        // The cheap signal's table: every group's output error at every level, as report.json holds it.
        List<String> storedErrors = new ArrayList<>();
        for (Map<String, Object> curve : searchSection.items("sensitivity")) {
            for (Object item : (List<?>) curve.get("outputErrors")) {
                Map<?, ?> error = (Map<?, ?>) item;
                storedErrors.add(curve.get("name") + "@" + ((Number) error.get("sparsity")).doubleValue() + "="
                        + ((Number) error.get("outputError")).doubleValue());
            }
        }
        Matcher errorCells = Pattern.compile("<td class=\"output-error\" data-name=\"([^\"]+)\""
                + " data-sparsity=\"([^\"]+)\" data-value=\"([^\"]+)\"").matcher(html);
        List<String> drawnErrors = new ArrayList<>();
        while (errorCells.find()) {
            drawnErrors.add(errorCells.group(1) + "@" + errorCells.group(2) + "=" + errorCells.group(3));
        }
        assertEquals(storedErrors, drawnErrors);
        assertEquals(4 * searchSection.items("sensitivity").size(), drawnErrors.size());

        Map<String, Double> tensorBars = values(html,
                "<rect class=\"tensor-bar\" data-name=\"([^\"]+)\" data-value=\"([^\"]+)\"");
        Map<String, Double> layerBars = values(html,
                "<rect class=\"layer-bar\" data-name=\"([^\"]+)\" data-value=\"([^\"]+)\"");
        int tensors = 0;
        int layers = 0;
        for (StepSection step : report.steps()) {
            for (Map<String, Object> tensor : step.items("tensors")) {
                assertEquals(((Number) tensor.get("sparsityReached")).doubleValue(), tensorBars.get(
                        (String) tensor.get("name")));
                tensors++;
            }
            for (Map<String, Object> layer : step.items("layers")) {
                double before = ((Number) layer.get("unitsBefore")).doubleValue();
                double after = ((Number) layer.get("unitsAfter")).doubleValue();
                assertEquals(1 - after / before, layerBars.get((String) layer.get("layer")));
                layers++;
            }
        }
        assertEquals(3, tensors);
        assertEquals(tensors, tensorBars.size());
        assertEquals(3, layers);
        assertEquals(layers, layerBars.size());
    }

    @Test
    void textIsEscaped() {
        assertEquals("a&lt;b&gt;&amp;&quot;c&#39;", HtmlReport.escape("a<b>&\"c'"));
    }

    private static Map<String, Double> values(String html, String regex) {
        Map<String, Double> values = new LinkedHashMap<>();
        Matcher matcher = Pattern.compile(regex).matcher(html);
        while (matcher.find()) {
            values.put(matcher.group(1).replace("&amp;", "&"), Double.parseDouble(matcher.group(2)));
        }
        return values;
    }
}
