package io.github.onnxprune.pipeline;

import io.github.onnxprune.ship.Sha256;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The SHA-256 of everything a run's result depends on, as spotless's {@code PluginFingerprint} does for
 * formatting: the plugin (version, and its jar's bytes so that a rebuilt SNAPSHOT counts as a change), the
 * run-wide settings that change the result, and per model every setting of its {@link ModelTask} in a stable
 * textual form plus the bytes of every file or folder a setting names (the model, validation and calibration
 * data). The same inputs give the same fingerprint in any JVM; any changed byte or setting gives another.
 */
public final class RunFingerprint {

    private RunFingerprint() {
    }

    /**
     * The fingerprint of running {@code tasks} with {@code settings}, as lowercase hex.
     *
     * @throws IOException when a model or data file cannot be read
     */
    public static String of(List<ModelTask> tasks, RunSettings settings) throws IOException {
        return of(tasks, settings, KnownDigests.none());
    }

    /**
     * As {@link #of(List, RunSettings)}, with each file's SHA-256 from {@code known} when its stamp shows it
     * unchanged since it was last hashed: an unchanged 90 MB model is not read again.
     */
    static String of(List<ModelTask> tasks, RunSettings settings, KnownDigests known) throws IOException {
        MessageDigest digest = Sha256.digest();
        text(digest, "onnx-prune run fingerprint 2");
        text(digest, "plugin " + settings.pluginVersion());
        Path pluginJar = pluginJar();
        if (pluginJar != null) {
            text(digest, "plugin jar");
            file(digest, pluginJar, known);
        }
        // Only what changes the stored result: where it is shipped to is decided anew on every run.
        text(digest, "failOnViolation " + settings.failOnViolation());
        text(digest, "intraOpThreads " + settings.intraOpThreads());
        for (ModelTask task : tasks) {
            text(digest, "task " + describe(task));
            List<Path> files = new ArrayList<>();
            collectPaths(task, files);
            for (Path path : files) {
                content(digest, path, known);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /**
     * A stable text of a settings value: records as {@code Name(component=value, ...)} in declaration order,
     * sets sorted (their iteration order changes between JVMs), lists in order, enums by name, paths as given.
     */
    static String describe(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof Record record) {
            return record.getClass().getSimpleName() + Arrays.stream(record.getClass().getRecordComponents())
                    .map(c -> c.getName() + "=" + describe(component(record, c)))
                    .collect(Collectors.joining(", ", "(", ")"));
        }
        if (value instanceof Set<?> set) {
            return set.stream().map(RunFingerprint::describe).sorted().collect(Collectors.joining(", ", "{", "}"));
        }
        if (value instanceof Map<?, ?> map) {
            return map.entrySet().stream().map(e -> describe(e.getKey()) + "=" + describe(e.getValue())).sorted()
                    .collect(Collectors.joining(", ", "{", "}"));
        }
        if (value instanceof Collection<?> list) {
            return list.stream().map(RunFingerprint::describe).collect(Collectors.joining(", ", "[", "]"));
        }
        if (value instanceof Enum<?> constant) {
            return constant.getDeclaringClass().getSimpleName() + "." + constant.name();
        }
        if (value instanceof String text) {
            // Quoted with its length, so that no two different strings read the same.
            return text.length() + ":\"" + text + "\"";
        }
        if (value.getClass().isArray()) {
            return describe(arrayAsList(value));
        }
        return value.toString();
    }

    private static Object component(Record record, RecordComponent component) {
        try {
            return component.getAccessor().invoke(record);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot read " + component.getName() + " of " + record.getClass(), e);
        }
    }

    private static List<Object> arrayAsList(Object array) {
        int length = java.lang.reflect.Array.getLength(array);
        List<Object> list = new ArrayList<>(length);
        for (int i = 0; i < length; i++) {
            list.add(java.lang.reflect.Array.get(array, i));
        }
        return list;
    }

    /** Every path inside a settings value, in the order {@link #describe} writes them. */
    private static void collectPaths(Object value, List<Path> paths) {
        if (value instanceof Path path) {
            paths.add(path);
        } else if (value instanceof Record record) {
            for (RecordComponent component : record.getClass().getRecordComponents()) {
                collectPaths(component(record, component), paths);
            }
        } else if (value instanceof Collection<?> collection && !(value instanceof Set<?>)) {
            collection.forEach(item -> collectPaths(item, paths));
        }
    }

    /** A file's bytes, or a folder's regular files sorted by relative path, or a marker for a missing path. */
    private static void content(MessageDigest digest, Path path, KnownDigests known) throws IOException {
        if (Files.isRegularFile(path)) {
            text(digest, "file " + path);
            file(digest, path, known);
        } else if (Files.isDirectory(path)) {
            text(digest, "folder " + path);
            List<Path> files;
            try (Stream<Path> walk = Files.walk(path)) {
                files = walk.filter(Files::isRegularFile).toList();
            }
            List<String> relative = files.stream().map(f -> path.relativize(f).toString().replace('\\', '/'))
                    .sorted().toList();
            for (String name : relative) {
                text(digest, "entry " + name);
                file(digest, path.resolve(name), known);
            }
        } else {
            text(digest, "missing " + path);
        }
    }

    /** A file by its size and the SHA-256 of its bytes (which only an unchanged stamp spares reading). */
    private static void file(MessageDigest digest, Path file, KnownDigests known) throws IOException {
        text(digest, "size " + Files.size(file));
        text(digest, "sha256 " + known.sha256(file));
    }

    private static void text(MessageDigest digest, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        digest.update((bytes.length + ":").getBytes(StandardCharsets.US_ASCII));
        digest.update(bytes);
    }

    /** The jar this class was loaded from, or null when it was loaded from a folder (tests, an IDE). */
    private static Path pluginJar() {
        try {
            CodeSource source = RunFingerprint.class.getProtectionDomain().getCodeSource();
            if (source == null || source.getLocation() == null) {
                return null;
            }
            Path path = Path.of(source.getLocation().toURI());
            return Files.isRegularFile(path) ? path : null;
        } catch (URISyntaxException | RuntimeException e) {
            // Without the jar the version alone identifies the plugin, as in spotless.
            return null;
        }
    }

    /** SHA-256 of some bytes, as lowercase hex. */
    static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(Sha256.digest().digest(bytes));
    }

    /** SHA-256 of a buffer's bytes from position 0 to its limit, as lowercase hex. */
    static String sha256(ByteBuffer bytes) {
        MessageDigest digest = Sha256.digest();
        digest.update(bytes.duplicate().position(0));
        return HexFormat.of().formatHex(digest.digest());
    }
}
