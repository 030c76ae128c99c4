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
    void aSparsityOutsideTheRangeFailsTheBuildNamingTheElementAndTheRange(PruneMojo mojo) {
        MojoFailureException error = assertThrows(MojoFailureException.class, mojo::execute);
        assertEquals("Invalid onnx-prune configuration: <sparsity> (property onnx-prune.sparsity) is 1.5 but must be"
                + " a fraction at least 0 and below 1 (0.5 removes half). Fix it in the plugin's <configuration> or"
                + " on the command line; nothing was pruned.", error.getMessage());
        assertFalse(new File("src/test/resources/unit/prune/target").exists());
    }

    @Test
    @Basedir("src/test/resources/unit/prune")
    @InjectMojo(goal = "prune", pom = POM)
    @MojoParameter(name = "intraOpThreads", value = "-1")
    @MojoParameter(name = "batchSize", value = "0")
    @MojoParameter(name = "latencyRuns", value = "-1")
    @MojoParameter(name = "calibrationRows", value = "0")
    @MojoParameter(name = "inputErrorCorrection", value = "1.5")
    void numericParametersOutOfRangeFailInOneParagraphBeforeAnyWork(PruneMojo mojo) {
        MojoFailureException error = assertThrows(MojoFailureException.class, mojo::execute);
        assertEquals("Invalid onnx-prune configuration: <calibrationRows> (property onnx-prune.calibrationRows) is 0"
                + " but must be a whole number from 1 to 10000000; <inputErrorCorrection> (property"
                + " onnx-prune.inputErrorCorrection) is 1.5 but must be a share from 0 to 1; <batchSize> (property"
                + " onnx-prune.batchSize) is 0 but must be a whole number from 1 to 1048576; <latencyRuns> (property"
                + " onnx-prune.latencyRuns) is -1 but must be a whole number from 0 to 1000000; <intraOpThreads>"
                + " (property onnx-prune.intraOpThreads) is -1 but must be a whole number from 1 to 1024. Fix them in"
                + " the plugin's <configuration> or on the command line; nothing was pruned.", error.getMessage());
        assertFalse(new File("src/test/resources/unit/prune/target").exists());
    }

    @Test
    @Basedir("src/test/resources/unit/prune")
    @InjectMojo(goal = "prune", pom = POM)
    @MojoParameter(name = "metric", value = "f1")
    void anUnknownMetricNamesTheValidOnes(PruneMojo mojo) {
        MojoFailureException error = assertThrows(MojoFailureException.class, mojo::execute);
        assertEquals("Invalid onnx-prune configuration: <metric> (property onnx-prune.metric) is 'f1' but must be one"
                + " of accuracy, top5, agreement, cosine, mse. Fix it in the plugin's <configuration> or on the"
                + " command line; nothing was pruned.", error.getMessage());
    }

    @Test
    @Basedir("src/test/resources/unit/prune")
    @InjectMojo(goal = "prune", pom = POM)
    @MojoParameter(name = "pooling", value = "mean")
    void poolingWithAClassificationMetricFailsTheBuild(PruneMojo mojo) {
        MojoFailureException error = assertThrows(MojoFailureException.class, mojo::execute);
        assertEquals("Invalid onnx-prune configuration for model models/digits.onnx: pooling mean is set, but metric"
                + " accuracy reads one score per class and pools nothing. Leave <pooling> out, or use metric cosine"
                + " or mse, which compare pooled vectors.", error.getMessage());
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
    @InjectMojo(goal = "prune", pom = "pom-absolute-path.xml")
    void anAbsoluteModelPathFailsSayingWhatToWriteInstead(PruneMojo mojo) {
        MojoFailureException error = assertThrows(MojoFailureException.class, mojo::execute);
        String root = new File("src/test/resources/unit/prune").getAbsolutePath();
        assertEquals("<models><model><path>" + root + "/models/digits.onnx</path> is absolute. A model's path is"
                + " relative to <modelDirectory> (" + root + ", where src/main/resources is copied) and is its name"
                + " inside the jar; nothing outside that folder is pruned or written. Write"
                + " <path>models/digits.onnx</path> instead.", error.getMessage());
        assertFalse(new File(root, "target").exists());
    }

    @Test
    @Basedir("src/test/resources/unit/prune")
    @InjectMojo(goal = "prune", pom = "pom-dot-path.xml")
    void aDotPathIsRefusedInsteadOfPruningTheModelTwice(PruneMojo mojo) {
        MojoFailureException error = assertThrows(MojoFailureException.class, mojo::execute);
        assertEquals(true, error.getMessage().startsWith("<models><model><path>./models/digits.onnx</path> is not"
                + " normalised (it has '.', '//' or a trailing '/'). "), error.getMessage());
        assertEquals(true, error.getMessage().endsWith(" Write <path>models/digits.onnx</path> instead."),
                error.getMessage());
    }

    @Test
    @Basedir("src/test/resources/unit/prune")
    @InjectMojo(goal = "prune", pom = POM)
    @MojoParameter(name = "quantize", value = "int4")
    void anUnknownQuantizationNamesTheValidOnes(PruneMojo mojo) {
        MojoFailureException error = assertThrows(MojoFailureException.class, mojo::execute);
        assertEquals("Invalid onnx-prune configuration: <quantize> (property onnx-prune.quantize) is 'int4' but must"
                + " be one of none, int8. Fix it in the plugin's <configuration> or on the command line; nothing was"
                + " pruned.", error.getMessage());
        assertFalse(new File("src/test/resources/unit/prune/target").exists());
    }

    @Test
    @Basedir("src/test/resources/unit/prune")
    @InjectMojo(goal = "prune", pom = POM)
    @MojoParameter(name = "method", value = "nodes")
    @MojoParameter(name = "nodeSparsity", value = "0.25")
    void nodeSparsityWithMethodNodesFailsInsteadOfBeingIgnored(PruneMojo mojo) {
        MojoFailureException error = assertThrows(MojoFailureException.class, mojo::execute);
        assertEquals("Invalid onnx-prune configuration for model models/digits.onnx: <nodeSparsity> 0.25 is set with"
                + " <method>nodes</method>, where <sparsity> (0.5) is the fraction of units removed and no weight is"
                + " pruned, so it would be ignored. To remove units and then prune weights, use"
                + " <method>weights</method> (the default) with <nodeSparsity> for the units and <sparsity> for the"
                + " weights; to remove units only, leave <nodeSparsity> out.", error.getMessage());
        assertFalse(new File("src/test/resources/unit/prune/target").exists());
    }
}
