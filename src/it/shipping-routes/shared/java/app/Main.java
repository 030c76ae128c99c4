package app;

/** The application the routes package: only there because Spring Boot and Jib look for a main class. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        System.out.println(Main.class.getResource("/models/digits.onnx"));
    }
}
