package io.github.onnxprune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The team's source rules that a reader checks by eye and so misses: lines of at most 120 columns, no file over
 * 500 lines, a Javadoc on every public type.
 */
class SourceRulesTest {

    private static final int MAX_COLUMNS = 120;
    private static final int MAX_LINES = 500;
    private static final Pattern PUBLIC_TYPE = Pattern.compile("\\s*public\\s+((static|final|abstract|sealed"
            + "|non-sealed)\\s+)*(class|record|interface|enum|@interface)\\s.*");

    private static List<Path> sources(String root) throws IOException {
        try (Stream<Path> files = Files.walk(Path.of(root))) {
            return files.filter(file -> file.toString().endsWith(".java")).sorted().toList();
        }
    }

    @Test
    void everyLineFitsIn120ColumnsAndEveryFileIn500Lines() throws IOException {
        List<String> wrong = new ArrayList<>();
        List<Path> files = new ArrayList<>(sources("src/main/java"));
        files.addAll(sources("src/test/java"));
        assertTrue(files.size() > 400, "found " + files.size() + " sources");
        for (Path file : files) {
            List<String> lines = Files.readAllLines(file);
            if (lines.size() > MAX_LINES) {
                wrong.add(file + ": " + lines.size() + " lines");
            }
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).length() > MAX_COLUMNS) {
                    wrong.add(file + ":" + (i + 1) + ": " + lines.get(i).length() + " columns");
                }
            }
        }
        assertEquals(List.of(), wrong);
    }

    @Test
    void everyPublicTypeHasAJavadoc() throws IOException {
        List<String> wrong = new ArrayList<>();
        for (Path file : sources("src/main/java")) {
            List<String> lines = Files.readAllLines(file);
            for (int i = 0; i < lines.size(); i++) {
                if (!PUBLIC_TYPE.matcher(lines.get(i)).matches()) {
                    continue;
                }
                int above = i - 1;
                while (above >= 0 && lines.get(above).strip().startsWith("@")) {
                    above--;
                }
                if (above < 0 || !lines.get(above).strip().endsWith("*/")) {
                    wrong.add(file + ":" + (i + 1) + ": " + lines.get(i).strip());
                }
            }
        }
        assertEquals(List.of(), wrong);
    }
}
