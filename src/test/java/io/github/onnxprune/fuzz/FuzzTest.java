package io.github.onnxprune.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A few hundred seeded mutations of the fixtures through the real entry point: each ends in success or in a
 * worded failure naming the file, and nothing is written outside the case folders. The long run is
 * {@link FuzzBenchmark}.
 */
class FuzzTest {

    private static final int CASES = 200;

    @TempDir
    Path work;

    @Test
    void everyMutatedCaseEndsInSuccessOrAFailureNamingTheFile() throws Exception {
        Map<String, String> before = projectFiles();
        Fuzzer fuzzer = new Fuzzer(20261125L, work, 8);
        Map<Fuzzer.Outcome, Integer> outcomes = new EnumMap<>(Fuzzer.Outcome.class);
        List<String> defects = new ArrayList<>();
        for (int i = 0; i < CASES; i++) {
            Fuzzer.Result result = fuzzer.run(i);
            outcomes.merge(result.outcome(), 1, Integer::sum);
            if (result.defect()) {
                defects.add("case " + i + " " + result.mutation() + ": " + result.detail());
            }
        }
        assertEquals(List.of(), defects);
        // The mix proves the cases reach every stage: some pass all the way through ONNX Runtime, and both the
        // model checks and the data checks refuse some.
        assertTrue(outcomes.getOrDefault(Fuzzer.Outcome.SUCCESS, 0) >= CASES / 5, outcomes.toString());
        assertTrue(outcomes.getOrDefault(Fuzzer.Outcome.INVALID_MODEL, 0) >= CASES / 5, outcomes.toString());
        assertTrue(outcomes.getOrDefault(Fuzzer.Outcome.INVALID_DATA, 0) >= CASES / 10, outcomes.toString());
        try (Stream<Path> left = Files.list(work)) {
            assertEquals(0, left.count(), "case folders left behind");
        }
        assertEquals(before, projectFiles(), "files outside the case folders changed");
    }

    /** Every file of the project outside target/ and .git, with its SHA-256. */
    private static Map<String, String> projectFiles() throws IOException, NoSuchAlgorithmException {
        Map<String, String> files = new TreeMap<>();
        Path root = Path.of("").toAbsolutePath();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path path : walk.filter(Files::isRegularFile).toList()) {
                String relative = root.relativize(path).toString().replace('\\', '/');
                if (relative.startsWith("target/") || relative.startsWith(".git") || relative.contains("/target/")) {
                    continue;
                }
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                files.put(relative, HexFormat.of().formatHex(sha.digest(Files.readAllBytes(path))));
            }
        }
        return files;
    }
}
