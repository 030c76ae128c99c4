package io.github.onnxprune.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Every parameter a user can set, as the built plugin descriptor declares it, has its {@code -D} property
 * {@code onnx-prune.<name>} and a row in README.md with the descriptor's default and the right "per model" mark.
 */
class ParameterDocumentationTest {

    /** What the goals' user-settable parameters are, straight from what Maven reads. */
    private static final Path DESCRIPTOR = Path.of("target/classes/META-INF/maven/plugin.xml");

    /**
     * Parameters without a property, each for a reason: a list of {@code <model>} elements cannot be written as
     * one property, and the report goal's page folder would share {@code onnx-prune.outputDirectory} with the
     * prune goal's output folder, which means something else.
     */
    private static final Set<String> WITHOUT_PROPERTY = Set.of("prune:models", "report:outputDirectory");

    private static Map<String, List<DescribedParameter>> goals;
    private static String readme;

    /** One editable parameter of a goal: its name, its {@code ${property}} expression and its default, or null. */
    private record DescribedParameter(String name, String expression, String defaultValue) {
    }

    @BeforeAll
    static void readDescriptorAndReadme() throws Exception {
        Element plugin = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(DESCRIPTOR.toFile())
                .getDocumentElement();
        goals = new LinkedHashMap<>();
        NodeList mojos = plugin.getElementsByTagName("mojo");
        for (int m = 0; m < mojos.getLength(); m++) {
            Element mojo = (Element) mojos.item(m);
            Map<String, Element> configured = new LinkedHashMap<>();
            Element configuration = child(mojo, "configuration");
            if (configuration != null) {
                NodeList entries = configuration.getChildNodes();
                for (int i = 0; i < entries.getLength(); i++) {
                    if (entries.item(i) instanceof Element entry) {
                        configured.put(entry.getTagName(), entry);
                    }
                }
            }
            List<DescribedParameter> parameters = new ArrayList<>();
            NodeList declared = child(mojo, "parameters").getElementsByTagName("parameter");
            for (int i = 0; i < declared.getLength(); i++) {
                Element parameter = (Element) declared.item(i);
                String name = text(parameter, "name");
                if (!"true".equals(text(parameter, "editable"))) {
                    continue;
                }
                Element entry = configured.get(name);
                String expression = entry == null || entry.getTextContent().isEmpty() ? null
                        : entry.getTextContent();
                String defaultValue = entry == null || !entry.hasAttribute("default-value") ? null
                        : entry.getAttribute("default-value");
                parameters.add(new DescribedParameter(name, expression, defaultValue));
            }
            goals.put(text(mojo, "goal"), parameters);
        }
        readme = Files.readString(Path.of("README.md"));
    }

    @Test
    void theDescriptorListsTheParametersThisTestChecks() {
        // A descriptor read wrongly would make every other check here pass on nothing.
        assertEquals(48, goals.get("prune").size());
        assertEquals(List.of("outputDirectory", "skip"),
                goals.get("report").stream().map(DescribedParameter::name).toList());
    }

    @Test
    void everyParameterHasItsOnnxPrunePropertyButTheTwoThatCannot() {
        List<String> wrong = new ArrayList<>();
        for (String goal : List.of("prune", "report")) {
            for (DescribedParameter parameter : goals.get(goal)) {
                String expected = WITHOUT_PROPERTY.contains(goal + ":" + parameter.name()) ? null
                        : "${onnx-prune." + parameter.name() + "}";
                if (!Objects.equals(expected, parameter.expression())) {
                    wrong.add(goal + ":" + parameter.name() + " has " + parameter.expression());
                }
            }
        }
        assertEquals(List.of(), wrong);
    }

    @Test
    void everyPruneParameterHasAReadmeRowWithItsDefaultAndPerModelMark() {
        Map<String, List<String>> rows = parameterRows();
        Set<String> perModel = Arrays.stream(ModelConfiguration.class.getDeclaredFields())
                .filter(f -> !Modifier.isStatic(f.getModifiers())).map(Field::getName).collect(Collectors.toSet());
        List<String> wrong = new ArrayList<>();
        for (DescribedParameter parameter : goals.get("prune")) {
            List<String> row = rows.remove(parameter.name());
            if (row == null) {
                wrong.add(parameter.name() + ": no row");
                continue;
            }
            String defaultCell = row.get(1);
            if (parameter.defaultValue() != null && !defaultCell.startsWith("`" + parameter.defaultValue() + "`")) {
                wrong.add(parameter.name() + ": default " + defaultCell + " but the goal's is "
                        + parameter.defaultValue());
            }
            String mark = perModel.contains(parameter.name()) ? "yes" : "";
            if (!row.get(2).equals(mark)) {
                wrong.add(parameter.name() + ": per model '" + row.get(2) + "' but <model> "
                        + (mark.isEmpty() ? "has no" : "has the") + " element");
            }
        }
        rows.keySet().forEach(name -> wrong.add(name + ": a row for no parameter"));
        assertEquals(List.of(), wrong);
    }

    @Test
    void theReportGoalsRowNamesEachParameterWithItsPropertyAndDefault() {
        String row = readme.lines().filter(line -> line.startsWith("| `report` |")).findFirst().orElseThrow();
        List<String> wrong = new ArrayList<>();
        for (DescribedParameter parameter : goals.get("report")) {
            String start = "`" + parameter.name() + "` (" + (parameter.expression() == null ? ""
                    : "`" + parameter.expression().substring(2, parameter.expression().length() - 1) + "`, ");
            int at = row.indexOf(start);
            // The README writes the build folder as a new user sees it.
            String shown = "default `" + parameter.defaultValue().replace("${project.build.directory}", "target")
                    + "`";
            if (at < 0 || !row.substring(at, row.indexOf(')', at + start.length())).contains(shown)) {
                wrong.add(parameter.name() + ": no " + start + "..." + shown + ")");
            }
        }
        assertEquals(List.of(), wrong);
    }

    /** The rows of README's parameter table by parameter name: its cells, without the name's backticks. */
    private static Map<String, List<String>> parameterRows() {
        List<String> lines = readme.lines().toList();
        int header = lines.indexOf("| parameter | default | per model | meaning |");
        Map<String, List<String>> rows = new LinkedHashMap<>();
        for (String line : lines.subList(header + 2, lines.size())) {
            if (!line.startsWith("|")) {
                break;
            }
            List<String> cells = Arrays.stream(line.substring(1, line.length() - 1).split("\\s\\|(?=\\s)", 4))
                    .map(String::strip).toList();
            rows.put(cells.get(0).replace("`", ""), cells);
        }
        return rows;
    }

    private static Element child(Element parent, String tag) {
        NodeList children = parent.getChildNodes();
        for (int i = 0; i < children.getLength(); i++) {
            if (children.item(i) instanceof Element element && element.getTagName().equals(tag)) {
                return element;
            }
        }
        return null;
    }

    private static String text(Element parent, String tag) {
        Element element = child(parent, tag);
        return element == null ? null : element.getTextContent();
    }
}
