package io.github.onnxprune.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.File;
import org.apache.maven.api.plugin.testing.Basedir;
import org.apache.maven.api.plugin.testing.InjectMojo;
import org.apache.maven.api.plugin.testing.MojoParameter;
import org.apache.maven.api.plugin.testing.MojoTest;
import org.apache.maven.plugin.MojoFailureException;
import org.junit.jupiter.api.Test;

@MojoTest
class PruneMojoTest {

    private static final String POM = "pom.xml";

    @Test
    @Basedir("src/test/resources/unit/prune")
    @InjectMojo(goal = "prune", pom = POM)
    @MojoParameter(name = "skip", value = "true")
    @MojoParameter(name = "sparsity", value = "7")
    void skipDoesNothingAtAllNotEvenValidateTheConfiguration(PruneMojo mojo) throws Exception {
        mojo.execute();
        assertFalse(new File("src/test/resources/unit/prune/target").exists());
    }

    @Test
    @Basedir("src/test/resources/unit/prune")
    @InjectMojo(goal = "prune", pom = POM)
    @MojoParameter(name = "sparsity", value = "1.5")
    void aSparsityOutsideTheRangeFailsTheBuildNamingTheModelAndTheRange(PruneMojo mojo) {
        MojoFailureException error = assertThrows(MojoFailureException.class, mojo::execute);
        assertEquals("Invalid onnx-prune configuration for model models/digits.onnx: sparsity is 1.5 but a sparsity"
                + " must be at least 0 and below 1 (0.5 removes half).", error.getMessage());
        assertFalse(new File("src/test/resources/unit/prune/target").exists());
    }

    @Test
    @Basedir("src/test/resources/unit/prune")
    @InjectMojo(goal = "prune", pom = POM)
    @MojoParameter(name = "metric", value = "f1")
    void anUnknownMetricNamesTheValidOnes(PruneMojo mojo) {
        MojoFailureException error = assertThrows(MojoFailureException.class, mojo::execute);
        assertEquals(true, error.getMessage().startsWith(
                "Invalid onnx-prune configuration for model models/digits.onnx: "), error.getMessage());
        assertEquals(true, error.getMessage().contains("accuracy"), error.getMessage());
    }

    @Test
    @Basedir("src/test/resources/unit/prune")
    @InjectMojo(goal = "prune", pom = POM)
    @MojoParameter(name = "requireValidation", value = "true")
    void aModelWithoutValidationDataFailsUnlessValidationIsOptional(PruneMojo mojo) {
        MojoFailureException error = assertThrows(MojoFailureException.class, mojo::execute);
        assertEquals("Model models/digits.onnx has no validation data, so its accuracy after pruning cannot be"
                + " checked. Set <validationData> (a .npz, a folder of .npy files, ONNX test_data_set folders or a"
                + " .csv), or set <requireValidation>false</requireValidation> to ship it unmeasured.",
                error.getMessage());
    }

    @Test
    @Basedir("src/test/resources/unit/prune")
    @InjectMojo(goal = "prune", pom = POM)
    @MojoParameter(name = "quantize", value = "int4")
    void anUnknownQuantizationNamesTheValidOnes(PruneMojo mojo) {
        MojoFailureException error = assertThrows(MojoFailureException.class, mojo::execute);
        assertEquals("Invalid onnx-prune configuration for model models/digits.onnx: unknown quantize 'int4': use"
                + " none or int8.", error.getMessage());
        assertFalse(new File("src/test/resources/unit/prune/target").exists());
    }
}
