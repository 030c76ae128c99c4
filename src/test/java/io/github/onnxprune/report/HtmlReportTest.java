package io.github.onnxprune.report;

import static io.github.onnxprune.Fixtures.fixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.onnxprune.eval.Metric;
import io.github.onnxprune.gate.GateLimits;
import io.github.onnxprune.pipeline.CalibrationSettings;
import io.github.onnxprune.pipeline.EvaluationSettings;
import io.github.onnxprune.pipeline.ModelPruningPipeline;
import io.github.onnxprune.pipeline.ModelTask;
import io.github.onnxprune.pipeline.PruneMethod;
import io.github.onnxprune.pipeline.PruningSettings;
import io.github.onnxprune.pipeline.Quantization;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.nodes.UnitImportance;
import io.github.onnxprune.search.SearchSettings;
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
        ModelTask task = new ModelTask(fixture("digits-mlp/model.onnx"), "models/digits.onnx",
                new PruningSettings(PruneMethod.WEIGHTS, 0.95, 0.25, Scope.GLOBAL, List.of(), TensorFilter.all(),
                        UnitImportance.L1, Quantization.NONE, new SearchSettings(true, 6)),
                new EvaluationSettings(fixture("digits-mlp/validation.npz"), null, Metric.ACCURACY, null, 64, 0, 3,
                        true, CalibrationSettings.defaults()),
                new GateLimits(null, 0.02));
        ModelReport produced;
        try (ModelPruningPipeline pipeline = new ModelPruningPipeline("1.2.3", 1)) {
            produced = pipeline.process(task).report();
        }
        byte[] json = ReportJson.toBytes("1.2.3", List.of(produced));
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
                stored.add(curve.get("tensor") + "@" + ((Number) point.get("sparsity")).doubleValue() + "="
                        + ((Number) point.get("metric")).doubleValue());
            }
        }
        assertEquals(stored, drawn);
        assertTrue(stored.size() >= 3, stored.toString());

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
