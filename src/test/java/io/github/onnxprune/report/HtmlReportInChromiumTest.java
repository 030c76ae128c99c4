package io.github.onnxprune.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * report.html as a real browser shows it: Debian's headless chromium opens a page the code wrote from a real run,
 * paints it into a screenshot and serialises the DOM it built, and prints every console message to its log. Runs
 * in the {@code chromium} surefire execution, which the {@code chromium} profile adds when /usr/bin/chromium
 * exists (CI installs it); the default test execution leaves this tag out, so a build without a browser passes.
 */
@Tag("chromium")
class HtmlReportInChromiumTest {

    /** Where the page, its screenshot, DOM and the browser's log are kept for a look after the build. */
    private static final Path OUT = Path.of("target", "chromium-test");
    private static final String CHROMIUM = System.getProperty("onnx-prune.chromium", "/usr/bin/chromium");
    private static final long TIMEOUT_SECONDS = 90;
    private static final int WINDOW_WIDTH = 900;
    private static final int WINDOW_HEIGHT = 2200;
    /** A page problem in chromium's log: a console message or uncaught exception, or a page that failed to load. */
    private static final Pattern PAGE_PROBLEM = Pattern.compile(":CONSOLE[:(]|headless_command_handler.*failed",
            Pattern.CASE_INSENSITIVE);

    private static byte[] json;
    private static Browsed page;

    @BeforeAll
    static void openTheReportOfARealRun() throws Exception {
        json = SearchedReport.json();
        Files.createDirectories(OUT);
        Files.write(OUT.resolve("report.json"), json);
        // As PruneRun writes it: drawn from report.json read back.
        Files.write(OUT.resolve("report.html"), HtmlReport.toBytes("1.2.3", ReportJson.read(json)));
        page = browse(OUT.resolve("report.html"), "report");
    }

    @Test
    void itPaintsThePageWithTheReportsColours() throws Exception {
        BufferedImage image = ImageIO.read(page.screenshot().toFile());
        assertEquals(WINDOW_WIDTH, image.getWidth());
        assertEquals(WINDOW_HEIGHT, image.getHeight());
        Map<Integer, Integer> colours = new HashMap<>();
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                colours.merge(image.getRGB(x, y) & 0xffffff, 1, Integer::sum);
            }
        }
        assertTrue(colours.size() > 50, "a page of text and plots, not a blank: " + colours.size() + " colours");
        // The fills the page's SVG uses, painted: tensor bars and after-bars blue, before-bars grey, units-removed
        // bars brown, passing candidates green and failing ones red.
        for (String fill : List.of("4488cc", "aaaaaa", "cc8844", "22aa22", "cc3333")) {
            int pixels = colours.getOrDefault(Integer.parseInt(fill, 16), 0);
            assertTrue(pixels >= 20, "#" + fill + " painted on " + pixels + " pixels of " + page.screenshot());
        }
    }

    @Test
    void theBrowserLogsNoConsoleMessageOrError() {
        assertEquals(List.of(), page.problems(), "chromium's log: " + page.log());
    }

    @Test
    void aConsoleErrorOrUncaughtExceptionWouldBeSeen() throws Exception {
        // The check above means something only if a page's console reaches the log this way.
        Path probe = OUT.resolve("probe.html");
        Files.writeString(probe, "<!DOCTYPE html><html><body><p>probe</p><script>console.error('probe-error');"
                + " throw new Error('probe-uncaught');</script></body></html>");
        List<String> problems = browse(probe, "probe").problems();
        assertEquals(2, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("\"probe-error\""), problems.get(0));
        assertTrue(problems.get(1).contains("\"Uncaught Error: probe-uncaught\""), problems.get(1));
    }

    @Test
    void theDomTheBrowserBuiltPlotsTheValuesOfReportJson() throws Exception {
        ModelReport report = ReportJson.read(json).get(0);
        List<Map<String, String>> elements = elements(page.dom());

        Map<String, String> cells = new LinkedHashMap<>();
        for (Map<String, String> cell : withTag(elements, "td")) {
            if (cell.containsKey("data-field")) {
                cells.put(cell.get("data-field"), cell.get("data-value"));
            }
        }
        assertEquals(Double.toString(report.measurement().baseline()), cells.get("metric.before"));
        assertEquals(Double.toString(report.measurement().pruned()), cells.get("metric.after"));
        assertEquals(Double.toString(report.parametersBefore()), cells.get("parameters.before"));
        assertEquals(Double.toString(report.sizes().deflatedAfter() / 1024.0), cells.get("deflated.after"));
        assertEquals(Double.toString(report.latency().prunedMedian()), cells.get("latency.after"));
        assertTrue(page.dom().contains(String.format(Locale.ROOT, ">%.4f</td>", report.measurement().pruned())));

        // Candidates where the plot's axes put them: x from 60 over 560 px for sparsity 0 to 1.
        StepSection search = report.steps().stream().filter(step -> step.fields().containsKey("search")).findFirst()
                .orElseThrow();
        List<?> candidates = (List<?>) ((Map<?, ?>) search.fields().get("search")).get("candidates");
        List<Map<String, String>> points = withClass(elements, "circle", "candidate");
        assertEquals(candidates.size(), points.size());
        assertTrue(points.size() >= 2);
        for (int i = 0; i < points.size(); i++) {
            Map<?, ?> candidate = (Map<?, ?>) candidates.get(i);
            Map<String, String> point = points.get(i);
            // A fallback candidate is plotted at its total, which differs from its uniform sparsity.
            double sparsity = ((Number) candidate.get("total")).doubleValue();
            assertEquals(Double.toString(sparsity), point.get("data-sparsity"));
            assertEquals(Double.toString(((Number) candidate.get("metric")).doubleValue()), point.get("data-value"));
            assertEquals(String.valueOf(candidate.get("passes")), point.get("data-passes"));
            assertEquals(60 + sparsity * 560, Double.parseDouble(point.get("cx")), 0.051);
            assertEquals(Boolean.TRUE.equals(candidate.get("passes")) ? "#2a2" : "#c33", point.get("fill"));
        }

        // Sensitivity: each curve's points as the table's cells and as the plot's marks.
        List<String> stored = new ArrayList<>();
        for (Map<String, Object> curve : search.items("sensitivity")) {
            for (Object item : (List<?>) curve.get("points")) {
                Map<?, ?> point = (Map<?, ?>) item;
                stored.add(curve.get("name") + "@" + ((Number) point.get("sparsity")).doubleValue() + "="
                        + ((Number) point.get("metric")).doubleValue());
            }
        }
        assertTrue(stored.size() >= 3, stored.toString());
        assertEquals(stored, namedValues(withClass(elements, "td", "sensitivity-point")));
        assertEquals(stored, namedValues(withClass(elements, "circle", "sensitivity-mark")));
        // The cheap signal: every group's output error at every level, without a model run.
        List<String> errors = new ArrayList<>();
        for (Map<String, Object> curve : search.items("sensitivity")) {
            for (Object item : (List<?>) curve.get("outputErrors")) {
                Map<?, ?> error = (Map<?, ?>) item;
                errors.add(curve.get("name") + "@" + ((Number) error.get("sparsity")).doubleValue() + "="
                        + ((Number) error.get("outputError")).doubleValue());
            }
        }
        assertEquals(4 * search.items("sensitivity").size(), errors.size(), errors.toString());
        assertEquals(errors, namedValues(withClass(elements, "td", "output-error")));

        // Per-layer bars: 360 px stand for 100%.
        int bars = 0;
        for (StepSection step : report.steps()) {
            for (Map<String, Object> tensor : step.items("tensors")) {
                double reached = ((Number) tensor.get("sparsityReached")).doubleValue();
                Map<String, String> bar = named(withClass(elements, "rect", "tensor-bar"), (String) tensor.get("name"));
                assertEquals(Double.toString(reached), bar.get("data-value"));
                assertEquals(reached * 360, Double.parseDouble(bar.get("width")), 0.051);
                bars++;
            }
            for (Map<String, Object> layer : step.items("layers")) {
                double removed = 1 - ((Number) layer.get("unitsAfter")).doubleValue()
                        / ((Number) layer.get("unitsBefore")).doubleValue();
                Map<String, String> bar = named(withClass(elements, "rect", "layer-bar"), (String) layer.get("layer"));
                assertEquals(Double.toString(removed), bar.get("data-value"));
                bars++;
            }
        }
        assertEquals(6, bars);
        List<Map<String, String>> pairs = withClass(elements, "rect", "pair-bar");
        assertEquals(Double.toString(report.sizes().after() / 1024.0), pairs.stream()
                .filter(bar -> "size.after".equals(bar.get("data-field"))).findFirst().orElseThrow().get("data-value"));
    }

    @Test
    void theUnitsAndInt8ProfilesShowTheValuesReportJsonHolds() throws Exception {
        byte[] profiledJson = SearchedReport.profiledJson();
        Files.write(OUT.resolve("profiled.json"), profiledJson);
        List<ModelReport> reports = ReportJson.read(profiledJson);
        Files.write(OUT.resolve("profiled.html"), HtmlReport.toBytes("1.2.3", reports));
        Browsed profiled = browse(OUT.resolve("profiled.html"), "profiled");
        assertEquals(List.of(), profiled.problems(), profiled.log());
        List<Map<String, String>> elements = elements(profiled.dom());
        StepSection profile = reports.get(0).steps().stream().filter(step -> step.step().equals("sensitivity"))
                .findFirst().orElseThrow();
        List<String> units = new ArrayList<>();
        for (Map<String, Object> curve : profile.items("unitSensitivity")) {
            for (Object item : (List<?>) curve.get("points")) {
                Map<?, ?> point = (Map<?, ?>) item;
                units.add(curve.get("name") + "@" + ((Number) point.get("sparsity")).doubleValue() + "="
                        + ((Number) point.get("metric")).doubleValue());
            }
        }
        assertTrue(units.size() >= 3, units.toString());
        assertEquals(units, namedValues(withClass(elements, "td", "unit-sensitivity-point")));
        assertEquals(units, namedValues(withClass(elements, "circle", "unit-sensitivity-mark")));
        List<String> int8 = new ArrayList<>();
        for (Map<String, Object> group : profile.items("int8Sensitivity")) {
            int8.add(group.get("name") + "=" + ((Number) group.get("metric")).doubleValue());
        }
        assertEquals(3, int8.size(), int8.toString());
        assertEquals(int8, withClass(elements, "td", "int8-sensitivity-point").stream()
                .map(e -> e.get("data-name") + "=" + e.get("data-value")).toList());
    }

    /** What chromium made of one page. */
    private record Browsed(Path screenshot, String dom, String log, List<String> problems) {
    }

    private static Browsed browse(Path html, String name) throws IOException, InterruptedException {
        Path screenshot = OUT.resolve(name + ".png").toAbsolutePath();
        Path dom = OUT.resolve(name + "-dom.html");
        Path log = OUT.resolve(name + "-chromium.log");
        Path profile = Files.createTempDirectory("onnx-prune-chromium");
        Files.deleteIfExists(screenshot);
        try {
            // --no-sandbox: chromium's sandbox refuses to start as root (CI containers); the page is our own file.
            Process process = new ProcessBuilder(CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                    "--hide-scrollbars", "--force-color-profile=srgb", "--user-data-dir=" + profile,
                    "--enable-logging=stderr", "--v=0", "--window-size=" + WINDOW_WIDTH + "," + WINDOW_HEIGHT,
                    "--screenshot=" + screenshot, "--dump-dom", html.toAbsolutePath().toUri().toString())
                    .redirectOutput(dom.toFile()).redirectError(log.toFile()).start();
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                fail(CHROMIUM + " did not finish " + html + " within " + TIMEOUT_SECONDS + " s; its log: " + log);
            }
            String logText = Files.readString(log, StandardCharsets.UTF_8);
            assertEquals(0, process.exitValue(), CHROMIUM + " failed on " + html + ": " + logText);
            assertTrue(Files.size(screenshot) > 0, "no screenshot: " + logText);
            List<String> problems = logText.lines().filter(line -> PAGE_PROBLEM.matcher(line).find()).toList();
            return new Browsed(screenshot, Files.readString(dom, StandardCharsets.UTF_8), logText, problems);
        } finally {
            try (Stream<Path> files = Files.walk(profile)) {
                files.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(file -> file.toFile().delete());
            }
        }
    }

    /** Every start tag of the DOM chromium serialised, as its name (key "tag") and attributes. */
    private static List<Map<String, String>> elements(String dom) {
        List<Map<String, String>> elements = new ArrayList<>();
        Matcher tag = Pattern.compile("<([a-z]+)((?:\\s+[a-z-]+=\"[^\"]*\")*)\\s*/?>").matcher(dom);
        Pattern attribute = Pattern.compile("([a-z-]+)=\"([^\"]*)\"");
        while (tag.find()) {
            Map<String, String> element = new LinkedHashMap<>();
            element.put("tag", tag.group(1));
            Matcher a = attribute.matcher(tag.group(2));
            while (a.find()) {
                element.put(a.group(1), a.group(2).replace("&amp;", "&"));
            }
            elements.add(element);
        }
        return elements;
    }

    private static List<Map<String, String>> withTag(List<Map<String, String>> elements, String tag) {
        return elements.stream().filter(e -> e.get("tag").equals(tag)).toList();
    }

    private static List<Map<String, String>> withClass(List<Map<String, String>> elements, String tag, String name) {
        return withTag(elements, tag).stream()
                .filter(e -> List.of(e.getOrDefault("class", "").split(" ")).contains(name)).toList();
    }

    private static Map<String, String> named(List<Map<String, String>> elements, String name) {
        return elements.stream().filter(e -> name.equals(e.get("data-name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no element for " + name + " in " + elements));
    }

    private static List<String> namedValues(List<Map<String, String>> elements) {
        return elements.stream().map(e -> e.get("data-name") + "@" + e.get("data-sparsity") + "=" + e.get("data-value"))
                .toList();
    }
}
