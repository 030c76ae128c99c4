package io.github.onnxprune.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The goal page lists every {@code <model>} sub-element: the Javadoc of {@code models} names each field. */
class ModelElementDocumentationTest {

    @Test
    void theModelsParameterDocumentsEveryModelSubElement() throws IOException {
        String source = Files.readString(Path.of("src/main/java/io/github/onnxprune/maven/PruneMojo.java"));
        int field = source.indexOf("private List<ModelConfiguration> models;");
        String doc = source.substring(source.lastIndexOf("/**", field), field);
        List<String> missing = Arrays.stream(ModelConfiguration.class.getDeclaredFields())
                .filter(f -> !Modifier.isStatic(f.getModifiers())).map(Field::getName)
                .filter(name -> !doc.contains("{@code <" + name + ">}")).toList();
        assertEquals(List.of(), missing);
    }
}
