package io.github.onnxprune.pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Finds model files under a folder by Ant-style include and exclude patterns ({@code **}/*.onnx). */
public final class ModelFinder {

    private ModelFinder() {
    }

    /** Relative paths, with forward slashes, of the files matched; sorted so runs are reproducible. */
    public static List<String> find(Path root, List<String> includes, List<String> excludes) throws IOException {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        List<Pattern> include = includes.stream().map(ModelFinder::toRegex).toList();
        List<Pattern> exclude = excludes.stream().map(ModelFinder::toRegex).toList();
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile)
                    .map(file -> root.relativize(file).toString().replace('\\', '/'))
                    .filter(name -> include.stream().anyMatch(p -> p.matcher(name).matches()))
                    .filter(name -> exclude.stream().noneMatch(p -> p.matcher(name).matches()))
                    .sorted()
                    .toList();
        }
    }

    /**
     * The canonical model path a user meant by {@code configured} (an absolute path, or one with {@code .} or
     * {@code ..} segments), relative to the first of {@code roots} that contains it, with forward slashes; empty
     * when it lies in none of them.
     */
    public static Optional<String> intendedPath(String configured, List<Path> roots) {
        Path path;
        try {
            path = Path.of(configured.replace('\\', '/'));
        } catch (InvalidPathException e) {
            return Optional.empty();
        }
        for (Path root : roots) {
            Path base = root.toAbsolutePath().normalize();
            Path candidate = (path.isAbsolute() ? path : base.resolve(path)).normalize();
            if (candidate.startsWith(base) && !candidate.equals(base)) {
                return Optional.of(base.relativize(candidate).toString().replace('\\', '/'));
            }
        }
        return Optional.empty();
    }

    /** Ant semantics: {@code **}/ is any number of folders (none included), * and ? stay within one name. */
    static Pattern toRegex(String antPattern) {
        String pattern = antPattern.replace('\\', '/');
        StringBuilder regex = new StringBuilder();
        int i = 0;
        while (i < pattern.length()) {
            char c = pattern.charAt(i);
            if (pattern.startsWith("**/", i)) {
                regex.append("(?:.*/)?");
                i += 3;
            } else if (pattern.startsWith("**", i)) {
                regex.append(".*");
                i += 2;
            } else if (c == '*') {
                regex.append("[^/]*");
                i++;
            } else if (c == '?') {
                regex.append("[^/]");
                i++;
            } else {
                regex.append(Pattern.quote(String.valueOf(c)));
                i++;
            }
        }
        return Pattern.compile(regex.toString());
    }
}
