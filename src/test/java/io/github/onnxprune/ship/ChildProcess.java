package io.github.onnxprune.ship;

import java.nio.ByteBuffer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A separate JVM for the fault tests, on the test class path: {@code rewrite <jar>} rewrites a jar's first entry,
 * {@code lock <folder>} takes the output lock, prints "locked" and holds it until killed; {@code lock <folder>
 * <seconds>} tries for that long and exits 1 with the failure's message.
 */
public final class ChildProcess {

    private ChildProcess() {
    }

    /** Starts this class in a new JVM with the given arguments, its output going to {@code log}. */
    static Process start(Path log, String... arguments) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", System.getProperty("java.class.path"), ChildProcess.class.getName()));
        command.addAll(List.of(arguments));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** Entry point of the child JVM. */
    public static void main(String[] args) throws Exception {
        Path path = Path.of(args[1]);
        if (args[0].equals("rewrite")) {
            JarRewriter.rewrite(path, path,
                    Map.of(args[2], ByteBuffer.wrap("pruned".getBytes(StandardCharsets.UTF_8))));
        } else if (args.length > 2) {
            // lock <folder> <seconds>: try for that long, exit 1 with the message if the lock stays taken.
            try (OutputLock lock = OutputLock.acquire(path, Duration.ofSeconds(Long.parseLong(args[2])))) {
                System.out.println("locked");
            } catch (ShippingException e) {
                System.out.println(e.getMessage());
                System.exit(1);
            }
        } else {
            try (OutputLock lock = OutputLock.acquire(path, Duration.ofSeconds(10))) {
                System.out.println("locked");
                System.out.flush();
                Thread.sleep(Long.MAX_VALUE);
            }
        }
    }
}
