package io.github.onnxprune.pipeline;

import static io.github.onnxprune.Fixtures.fixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import io.github.onnxprune.eval.EvaluationException;
import io.github.onnxprune.eval.Metric;
import io.github.onnxprune.eval.ValidationDataException;
import io.github.onnxprune.gate.GateLimits;
import io.github.onnxprune.prune.Scope;
import io.github.onnxprune.prune.TensorFilter;
import io.github.onnxprune.prune.nodes.UnitImportance;
import io.github.onnxprune.ship.OutputLock;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Failures deep inside a run still say which model (and which file) they are about. */
class FailuresNameTheModelTest {

    private static final Path DATA = fixture("digits-mlp/validation.npz");

    @TempDir
    Path folder;

    @Test
    void aModelThatOverflowsOnTheCalibrationDataIsAWordedFailureNotASolverError() throws Exception {
        // fc1 and fc2 weights scaled by 1e37: finite, but the second layer's activations overflow.
        ModelProto model = ModelProto.parseFrom(Files.readAllBytes(fixture("digits-mlp/model.onnx")));
        GraphProto.Builder graph = model.getGraph().toBuilder();
        for (int index : new int[] {0, 2}) {
            TensorProto.Builder weights = graph.getInitializerBuilder(index);
            ByteBuffer raw = ByteBuffer.wrap(weights.getRawData().toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < raw.capacity(); i += 4) {
                raw.putFloat(i, raw.getFloat(i) * 1e37f);
            }
            weights.setRawData(ByteString.copyFrom(raw.array()));
        }
        Path file = folder.resolve("overflow.onnx");
        Files.write(file, model.toBuilder().setGraph(graph).build().toByteArray());
        EvaluationException e = assertThrows(EvaluationException.class, () -> run(task(file, DATA, null)));
        assertTrue(e.getMessage().startsWith("Model models/x.onnx: The model's value '/relu2/Relu_output_0' is"
                + " Infinity on sample 0 of " + DATA + ": the model overflows on this data"), e.getMessage());
    }

    /** The reader's words for the NaN {@link #withNaN} writes, after the file's role and path. */
    private static final String NAN_AT_ROW_3_COLUMN_5 = ": array 'input' holds NaN at row 3, column 5 (flattened"
            + " index 197 of shape [360, 64]; rows are samples, columns the values within one, both counted from 0)."
            + " NaN and infinite values cannot be measured or fitted: clean the data or drop that sample, then export"
            + " it again.";

    @Test
    void nanInSeparateCalibrationDataNamesTheCalibrationFileRowAndColumn() throws Exception {
        Path calibration = withNaN(folder.resolve("calibration.npz"));
        ValidationDataException e = assertThrows(ValidationDataException.class,
                () -> run(task(fixture("digits-mlp/model.onnx"), DATA, calibration)));
        assertEquals("Model models/x.onnx: calibration data " + calibration + NAN_AT_ROW_3_COLUMN_5, e.getMessage());
    }

    @Test
    void nanInValidationDataNamesTheModelOnceAndTheFileRowAndColumn() throws Exception {
        Path validation = withNaN(folder.resolve("validation.npz"));
        ValidationDataException e = assertThrows(ValidationDataException.class,
                () -> run(task(fixture("digits-mlp/model.onnx"), validation, null)));
        assertEquals("Model models/x.onnx: validation data " + validation + NAN_AT_ROW_3_COLUMN_5, e.getMessage());
    }

    /** The digits validation set with a NaN at sample 3, feature 5 of 64, written to {@code target}. */
    private static Path withNaN(Path target) throws IOException {
        try (ZipFile source = new ZipFile(DATA.toFile());
                OutputStream out = Files.newOutputStream(target);
                ZipOutputStream zip = new ZipOutputStream(out)) {
            for (ZipEntry entry : java.util.Collections.list(source.entries())) {
                byte[] bytes = source.getInputStream(entry).readAllBytes();
                if (entry.getName().equals("input.npy")) {
                    int dataStart = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf('\n') + 1;
                    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putFloat(dataStart + (3 * 64 + 5) * 4,
                            Float.NaN);
                }
                zip.putNextEntry(new ZipEntry(entry.getName()));
                zip.write(bytes);
                zip.closeEntry();
            }
        }
        return target;
    }

    @Test
    void anythingUnforeseenNamesTheModelAndKeepsTheCause() {
        // No evaluation settings at all: nothing a user can configure, so only a bug could get here.
        ModelTask broken = new ModelTask(fixture("digits-mlp/model.onnx"), "models/x.onnx",
                task(fixture("digits-mlp/model.onnx"), DATA, null).pruning(), null, new GateLimits(null, null));
        UnexpectedModelException e = assertThrows(UnexpectedModelException.class, () -> run(broken));
        assertTrue(e.getMessage().startsWith("Model models/x.onnx: unexpected error while pruning or measuring "
                + fixture("digits-mlp/model.onnx") + " (java.lang.NullPointerException"), e.getMessage());
        assertInstanceOf(NullPointerException.class, e.getCause());
        // The run's lock file is all it may leave: no report, no model, no fingerprint.
        String[] written = folder.resolve("out").toFile().list();
        assertEquals(List.of(OutputLock.FILE_NAME), written == null ? List.of(OutputLock.FILE_NAME) : List.of(written));
    }

    private void run(ModelTask task) throws Exception {
        PruneRun.execute(List.of(task), new RunSettings(folder.resolve("out"), null, null, false, "t", 1,
                FileTime.fromMillis(0), true));
    }

    @Test
    void anExhaustedHeapNamesTheModelTheHeapAndHowToRaiseIt() {
        Path model = fixture("digits-mlp/model.onnx");
        HeapExhaustedException e = new HeapExhaustedException(task(model, DATA, null), 264L * 1024 * 1024,
                new OutOfMemoryError("Java heap space"));
        assertEquals("Model models/x.onnx: the Java heap ran out while pruning or measuring " + model
                + " (Java heap space; this build's heap is at most 264 MiB). Give Maven more heap:"
                + " MAVEN_OPTS=\"-Xmx2g\", or the line -Xmx2g in .mvn/jvm.config for every build of the project."
                + " Fewer samples (<calibrationSamples>) need less of it when calibration data is used; see the heap"
                + " figures in docs/reliability.md.", e.getMessage());
        assertInstanceOf(OutOfMemoryError.class, e.getCause());
    }

    private static ModelTask task(Path model, Path data, Path calibration) {
        return new ModelTask(model, "models/x.onnx",
                new PruningSettings(PruneMethod.WEIGHTS, 0.5, 0, Scope.LAYERWISE, List.of(), TensorFilter.all(),
                        UnitImportance.L1),
                new EvaluationSettings(data, null, Metric.ACCURACY, null, 64, 0, 1, true,
                        new CalibrationSettings(true, calibration, 128)),
                new GateLimits(null, 0.5));
    }
}
