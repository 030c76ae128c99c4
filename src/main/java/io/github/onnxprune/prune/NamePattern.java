package io.github.onnxprune.prune;

import java.util.regex.Pattern;

/**
 * A glob over tensor or node names: {@code *} matches any run of characters, {@code ?} one character,
 * everything else itself (dots and slashes included, as ONNX names are full of them).
 *
 * @param glob the pattern as the user wrote it
 */
public record NamePattern(String glob) {

    /** Whether {@code name} matches the whole pattern. */
    public boolean matches(String name) {
        return toRegex().matcher(name).matches();
    }

    private Pattern toRegex() {
        StringBuilder regex = new StringBuilder();
        StringBuilder literal = new StringBuilder();
        for (char c : glob.toCharArray()) {
            if (c == '*' || c == '?') {
                if (literal.length() > 0) {
                    regex.append(Pattern.quote(literal.toString()));
                    literal.setLength(0);
                }
                regex.append(c == '*' ? ".*" : ".");
            } else {
                literal.append(c);
            }
        }
        if (literal.length() > 0) {
            regex.append(Pattern.quote(literal.toString()));
        }
        return Pattern.compile(regex.toString(), Pattern.DOTALL);
    }

    /** Whether any of the patterns matches {@code name}. */
    public static boolean anyMatches(Iterable<NamePattern> patterns, String name) {
        for (NamePattern pattern : patterns) {
            if (pattern.matches(name)) {
                return true;
            }
        }
        return false;
    }
}
