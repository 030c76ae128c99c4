package io.github.onnxprune.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/** Reads the real fixtures written by tools/fixtures/generate_fixtures.py in every format they come in. */
class FixtureFormatsTest {

    private static final long[] FIRST_DIGIT_LABELS = {8, 9, 4, 0, 0, 1, 3, 1, 9, 7};

    @AutoClose
    private static final OnnxRuntimeEvaluator evaluator = new OnnxRuntimeEvaluator(1);

    private static Path fixture(String path) {
        try {
            return Path.of(FixtureFormatsTest.class.getResource("/fixtures/" + path).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static OnnxMl.ModelProto model(String name) throws IOException {
        return OnnxMl.ModelProto.parseFrom(Files.readAllBytes(fixture(name + "/model.onnx")));
    }

    private static ValidationData read(String path, ModelSignature signature, String labelName) {
        return ValidationDataReader.read(fixture(path), signature, labelName);
    }

    @Test
    void digitsSignature() throws IOException {
        ModelSignature signature = ModelSignature.of(model("digits-mlp"));

        assertEquals(List.of(new TensorSpec("input", TensorKind.FLOAT, new long[] {-1, 64})), signature.inputs());
        assertEquals(List.of(new TensorSpec("logits", TensorKind.FLOAT, new long[] {-1, 10})), signature.outputs());
        assertTrue(signature.batchDimensionDynamic());
    }

    @Test
    void everyDigitsFormatGivesTheSameInputsAndLabels() throws IOException {
        ModelSignature signature = ModelSignature.of(model("digits-mlp"));

        ValidationData npy = read("digits-mlp/npy", signature, null);
        ValidationData stored = read("digits-mlp/validation.npz", signature, null);
        ValidationData deflated = read("digits-mlp/validation-compressed.npz", signature, null);
        ValidationData csv = read("digits-mlp/validation.csv", signature, null);

        assertEquals(360, npy.sampleCount());
        Tensor input = npy.inputs().get("input");
        assertEquals(TensorKind.FLOAT, input.elementType());
        assertArrayEquals(new long[] {360, 64}, input.shape());
        // The script divides the 0..16 pixel values by 16.
        assertArrayEquals(new float[] {0f, 0f, 0.0625f, 0.5f}, Arrays.copyOf((float[]) input.data(), 4));
        assertArrayEquals(FIRST_DIGIT_LABELS, Arrays.copyOf(npy.labels(), 10));
        for (ValidationData other : List.of(stored, deflated, csv)) {
            assertEquals(npy.inputs(), other.inputs(), other.source().toString());
            assertArrayEquals(npy.labels(), other.labels(), other.source().toString());
            assertNull(other.referenceOutputs());
        }
    }

    @Test
    void digitsTestDataSetsJoinLabelsAndReferenceLogits() throws IOException {
        OnnxMl.ModelProto model = model("digits-mlp");
        ModelSignature signature = ModelSignature.of(model);
        ValidationData npy = read("digits-mlp/npy", signature, null);
        long[] trueLabels = npy.labels();

        ValidationData both = read("digits-mlp", signature, null);
        ValidationData labelled = read("digits-mlp/test_data_set_0", signature, null);
        ValidationData referenced = read("digits-mlp/test_data_set_1", signature, null);

        assertEquals(npy.inputs(), both.inputs());
        assertEquals(360, both.sampleCount());
        assertEquals(180, labelled.sampleCount());
        assertEquals(180, referenced.sampleCount());
        assertEquals(npy.inputs().get("input").rows(0, 180), labelled.inputs().get("input"));
        assertEquals(npy.inputs().get("input").rows(180, 360), referenced.inputs().get("input"));

        // test_data_set_0 holds the true labels of the first half.
        assertArrayEquals(Arrays.copyOf(trueLabels, 180), labelled.labels());
        assertArrayEquals(Arrays.copyOf(trueLabels, 180), Arrays.copyOf(both.labels(), 180));

        // test_data_set_1 holds the model's logits: ONNX Runtime reproduces them, and their argmax is the label.
        float[][] logits = referenced.referenceOutputs();
        assertNull(referenced.labels());
        assertEquals(10, logits[0].length);
        ModelOutputs ort = evaluator.run(model.toByteArray(), referenced, ScoredOutput.first(), 64);
        float[][] rows = ort.rows();
        for (int i = 0; i < rows.length; i++) {
            assertArrayEquals(logits[i], rows[i], 1e-4f, "sample " + i);
        }
        assertEquals(1.0, Metric.AGREEMENT.score(logits, rows, null));
        assertArrayEquals(referenced.effectiveLabels(), Arrays.copyOfRange(both.labels(), 180, 360));
    }

    @Test
    void digitsModelScoresItsOwnValidationSet() throws IOException {
        OnnxMl.ModelProto model = model("digits-mlp");
        ValidationData data = read("digits-mlp/validation-compressed.npz", ModelSignature.of(model), null);

        ModelOutputs one = evaluator.run(model.toByteArray(), data, ScoredOutput.named("logits"), 1);
        ModelOutputs many = evaluator.run(model.toByteArray(), data, ScoredOutput.named("logits"), 100);

        assertEquals(360, one.sampleCount());
        assertEquals(10, one.width());
        assertEquals(1.0, Metric.AGREEMENT.score(one.rows(), many.rows(), null));
        assertTrue(Metric.COSINE.score(one.rows(), many.rows(), null) > 0.999999);
        double accuracy = Metric.ACCURACY.score(one.rows(), one.rows(), data.labels());
        assertTrue(accuracy > 0.9, "accuracy " + accuracy);
    }

    @Test
    void wineCsvWithClassColumnMatchesTheNpyArrays() throws IOException {
        ModelSignature signature = ModelSignature.of(model("wine-mlp"));

        ValidationData csv = read("wine-mlp/validation.csv", signature, "class");
        ValidationData npy = read("wine-mlp/npy", signature, null);

        assertEquals(36, csv.sampleCount());
        assertArrayEquals(new long[] {36, 13}, csv.inputs().get("input").shape());
        assertEquals(npy.inputs(), csv.inputs());
        assertArrayEquals(npy.labels(), csv.labels());
    }

    @Test
    void wineCsvWithoutTheLabelNameExplainsTheExtraColumn() throws IOException {
        ModelSignature signature = ModelSignature.of(model("wine-mlp"));

        String message = org.junit.jupiter.api.Assertions.assertThrows(ValidationDataException.class,
                () -> read("wine-mlp/validation.csv", signature, null)).getMessage();

        assertTrue(message.contains("has 14 feature columns but model input 'input' expects [N, 13] (no column is "
                + "named 'label'"), message);
    }

    @Test
    void cnnAndFfnArchives() throws IOException {
        OnnxMl.ModelProto cnnModel =
                OnnxMl.ModelProto.parseFrom(Files.readAllBytes(fixture("digits-cnn/model-bn.onnx")));
        ValidationData cnn = read("digits-cnn/validation.npz", ModelSignature.of(cnnModel), null);
        assertEquals(360, cnn.sampleCount());
        assertArrayEquals(new long[] {360, 1, 8, 8}, cnn.inputs().get("input").shape());

        ValidationData ffn = read("digits-ffn/validation.npz", ModelSignature.of(model("digits-ffn")), null);
        assertArrayEquals(new long[] {360, 64}, ffn.inputs().get("input").shape());
        assertEquals(360, ffn.labels().length);
    }
}
