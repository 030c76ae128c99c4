package io.github.onnxprune.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.FunctionProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.SparseTensorProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import io.github.onnxprune.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Crafted models that must be refused before anything reads their tensors or ONNX Runtime sees them. */
class ModelValidatorTest {

    private static final String PASSWD = "./././etc/passwd";

    @TempDir
    Path folder;

    @Test
    void everyFixtureModelPasses() {
        for (String name : Fixtures.names()) {
            assertEquals(name, Fixtures.load(name).name());
        }
    }

    @Test
    void externalDataInTheMainGraphIsRefusedWithWhatToDo() throws Exception {
        ModelProto model = model(graph(g -> g.setInitializer(0, external(weights(), "weights.bin"))));
        String message = refused(model);
        assertTrue(message.contains("initializer 'W' of the main graph keeps its data in an external file"
                + " ('weights.bin')"), message);
        assertTrue(message.contains("save_as_external_data=False"), message);
    }

    @Test
    void externalDataInALoopBodyIsRefused() throws Exception {
        GraphProto body = loopBody(b -> b.addInitializer(external(scalar("leak"), PASSWD)));
        String message = refused(model(graph(g -> g.addNode(loop(body)))));
        assertTrue(message.contains("initializer 'leak' of the graph in attribute 'body' of node 'loop' (Loop)"
                + " of the main graph keeps its data in an external file ('" + PASSWD + "')"), message);
    }

    @Test
    void externalDataInAConstantAttributeIsRefused() throws Exception {
        NodeProto constant = constant("c", external(scalar("c"), PASSWD));
        String message = refused(model(graph(g -> g.addNode(0, constant))));
        assertTrue(message.contains("the tensor in attribute 'value' of node 'c' (Constant) of the main graph keeps"
                + " its data in an external file ('" + PASSWD + "')"), message);
    }

    @Test
    void externalDataInAConstantInsideALoopBodyIsRefused() throws Exception {
        GraphProto body = loopBody(b -> b.addNode(0, constant("inner", external(scalar("inner"), PASSWD))));
        String message = refused(model(graph(g -> g.addNode(loop(body)))));
        assertTrue(message.contains("attribute 'value' of node 'inner' (Constant) of the graph in attribute 'body'"
                + " of node 'loop' (Loop)"), message);
        assertTrue(message.contains(PASSWD), message);
    }

    @Test
    void externalDataInAnIfBranchTwoLevelsDownIsRefused() throws Exception {
        GraphProto thenBranch = GraphProto.newBuilder().setName("then")
                .addInitializer(external(scalar("deep"), PASSWD)).addNode(identity("deep", "t_out"))
                .addOutput(floatValue("t_out")).build();
        NodeProto ifNode = NodeProto.newBuilder().setOpType("If").setName("if").addInput("cond_in")
                .addOutput("if_out").addAttribute(graphAttribute("then_branch", thenBranch))
                .addAttribute(graphAttribute("else_branch", thenBranch)).build();
        GraphProto body = loopBody(b -> b.addNode(0, ifNode));
        String message = refused(model(graph(g -> g.addNode(loop(body)))));
        assertTrue(message.contains("initializer 'deep' of the graph in attribute 'then_branch' of node 'if' (If)"
                + " of the graph in attribute 'body' of node 'loop' (Loop)"), message);
    }

    @Test
    void externalDataInATensorsAttributeSparseInitializerOrFunctionIsRefused() throws Exception {
        AttributeProto tensors = AttributeProto.newBuilder().setName("values").setType(
                AttributeProto.AttributeType.TENSORS).addTensors(scalar("ok")).addTensors(external(scalar("x"), PASSWD))
                .build();
        NodeProto custom = NodeProto.newBuilder().setOpType("Custom").setDomain("com.example").setName("custom")
                .addInput("Y").addOutput("custom_out").addAttribute(tensors).build();
        assertTrue(refused(model(graph(g -> g.addNode(custom)))).contains("a tensor in attribute 'values' of node"
                + " 'custom' (Custom)"));

        SparseTensorProto sparseValues = SparseTensorProto.newBuilder().addDims(4)
                .setValues(external(TensorProto.newBuilder().setName("S").setDataType(1).addDims(1).addFloatData(1f)
                        .build(), PASSWD))
                .setIndices(TensorProto.newBuilder().setDataType(7).addDims(1).addInt64Data(2)).build();
        assertTrue(refused(model(graph(g -> g.addSparseInitializer(sparseValues)))).contains(
                "values of sparse initializer 'S' of the main graph keeps its data in an external file"));
        SparseTensorProto sparseIndices = sparseValues.toBuilder()
                .setValues(TensorProto.newBuilder().setName("S").setDataType(1).addDims(1).addFloatData(1f))
                .setIndices(external(TensorProto.newBuilder().setDataType(7).addDims(1).addInt64Data(2).build(),
                        PASSWD)).build();
        assertTrue(refused(model(graph(g -> g.addSparseInitializer(sparseIndices)))).contains(
                "indices of sparse initializer 'S' of the main graph keeps its data in an external file"));

        FunctionProto function = FunctionProto.newBuilder().setName("helper").setDomain("local").addInput("a")
                .addOutput("b").addNode(constant("f", external(scalar("f"), PASSWD))).build();
        String message = refused(model(graph(g -> g)).toBuilder().addFunctions(function).build());
        assertTrue(message.contains("of function 'helper' keeps its data in an external file"), message);
    }

    @Test
    void anExternalDataEntryWithoutTheLocationFlagIsRefusedToo() throws Exception {
        TensorProto sneaky = weights().toBuilder().clearFloatData().addExternalData(
                StringStringEntryProto.newBuilder().setKey("location").setValue(PASSWD)).build();
        assertTrue(refused(model(graph(g -> g.setInitializer(0, sneaky)))).contains(PASSWD));
    }

    @Test
    void refusedBeforeTheRuntimeSeesIt() throws Exception {
        // The reader is what the pipeline calls first; ONNX Runtime is only ever given bytes that passed it.
        Path file = folder.resolve("leak.onnx");
        Files.write(file, model(graph(g -> g.addNode(loop(loopBody(b -> b.addInitializer(
                external(scalar("leak"), PASSWD))))))).toByteArray());
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> OnnxModelReader.read(file));
        assertEquals(file, e.file());
        assertTrue(e.getMessage().startsWith("ONNX model " + file + ": "), e.getMessage());
    }

    @Test
    void dimsThatDisagreeWithTheDataAreRefused() throws Exception {
        TensorProto shortFloats = weights().toBuilder().clearDims().addDims(3).addDims(4).build();
        assertTrue(refused(model(graph(g -> g.setInitializer(0, shortFloats)))).contains(
                "initializer 'W' of the main graph is inconsistent: it has 6 values in float_data where its dims"
                        + " need 12"));
        TensorProto shortRaw = TensorProto.newBuilder().setName("W").setDataType(1).addDims(3).addDims(2)
                .setRawData(ByteString.copyFrom(new byte[20])).build();
        assertTrue(refused(model(graph(g -> g.setInitializer(0, shortRaw)))).contains(
                "20 bytes of raw_data where dims [3, 2] need 24"));
        TensorProto negative = weights().toBuilder().setDims(0, -3).build();
        assertTrue(refused(model(graph(g -> g.setInitializer(0, negative)))).contains(
                "a negative dimension in [-3, 2]"));
        TensorProto overflow = weights().toBuilder().setDims(0, 1L << 40).setDims(1, 1L << 40).build();
        assertTrue(refused(model(graph(g -> g.setInitializer(0, overflow)))).contains(
                "dimensions whose product overflows"));
        TensorProto both = weights().toBuilder().setRawData(ByteString.copyFrom(new byte[24])).build();
        assertTrue(refused(model(graph(g -> g.setInitializer(0, both)))).contains(
                "both raw_data and float_data values"));
        TensorProto unknownType = weights().toBuilder().setDataType(99).build();
        assertTrue(refused(model(graph(g -> g.setInitializer(0, unknownType)))).contains("element type 99"));
    }

    @Test
    void aGemmWithoutOutputsOrInputsIsRefused() throws Exception {
        String noOutputs = refused(model(graph(g -> g.setNode(0, g.getNode(0).toBuilder().clearOutput())
                .clearOutput().addOutput(floatValue("X")))));
        assertTrue(noOutputs.contains("node 'gemm' (Gemm) of the main graph has no outputs"), noOutputs);
        String oneInput = refused(model(graph(g -> g.setNode(0, g.getNode(0).toBuilder().clearInput()
                .addInput("X")))));
        assertTrue(oneInput.contains("has 1 inputs [X] and 1 outputs [Y], but Gemm takes 2 to 3 inputs"), oneInput);
        String emptyWeight = refused(model(graph(g -> g.setNode(0, g.getNode(0).toBuilder().setInput(1, "")))));
        assertTrue(emptyWeight.contains("Gemm takes 2 to 3 inputs"), emptyWeight);
    }

    @Test
    void missingValuesCyclesAndDuplicatesAreRefused() throws Exception {
        String missing = refused(model(graph(g -> g.setNode(0, g.getNode(0).toBuilder().setInput(0, "nowhere")))));
        assertTrue(missing.contains("the main graph has node 'gemm' (Gemm) reading 'nowhere', which no initializer,"
                + " graph input or earlier node produces"), missing);
        // relu reads Y before gemm produces it: the order a cycle or a shuffled graph gives.
        String cycle = refused(model(graph(g -> {
            NodeProto gemm = g.getNode(0);
            return g.setNode(0, g.getNode(1)).setNode(1, gemm);
        })));
        assertTrue(cycle.contains("node 'relu' (Relu) reading 'Y'"), cycle);
        String duplicate = refused(model(graph(g -> g.setNode(1, g.getNode(1).toBuilder().setOutput(0, "Y")))));
        assertTrue(duplicate.contains("producing 'Y', which is already defined in this graph"), duplicate);
        String output = refused(model(graph(g -> g.addOutput(floatValue("ghost")))));
        assertTrue(output.contains("declares output 'ghost', which nothing produces"), output);
        String twoInputs = refused(model(graph(g -> g.addInput(floatValue("X")))));
        assertTrue(twoInputs.contains("declares input 'X' twice"), twoInputs);
    }

    @Test
    void nanOrInfinityInWeightsIsRefusedButAnInfiniteMaskConstantIsNot() throws Exception {
        TensorProto nan = weights().toBuilder().setFloatData(4, Float.NaN).build();
        assertTrue(refused(model(graph(g -> g.setInitializer(0, nan)))).contains("constant 'W' read by node 'gemm'"
                + " (Gemm) holds NaN at flattened index 4"));
        TensorProto infinite = weights().toBuilder().setFloatData(0, Float.NEGATIVE_INFINITY).build();
        assertTrue(refused(model(graph(g -> g.setInitializer(0, infinite)))).contains("holds -Infinity at flattened"
                + " index 0"));
        NodeProto mask = constant("mask", TensorProto.newBuilder().setName("mask").setDataType(1)
                .addFloatData(Float.NEGATIVE_INFINITY).build());
        NodeProto add = NodeProto.newBuilder().setOpType("Add").setName("masked").addInput("R").addInput("mask")
                .addOutput("M").build();
        Path file = folder.resolve("mask.onnx");
        Files.write(file, model(graph(g -> g.addNode(mask).addNode(add))).toByteArray());
        assertEquals(4, OnnxModelReader.read(file).getGraph().getNodeCount());
        NodeProto nanMask = constant("mask", TensorProto.newBuilder().setName("mask").setDataType(1)
                .addFloatData(Float.NaN).build());
        assertTrue(refused(model(graph(g -> g.addNode(nanMask).addNode(add)))).contains("constant 'mask' read by"
                + " node 'masked' (Add) holds NaN"));
    }

    @Test
    void windowAttributesThatWouldCrashTheRuntimeAreRefused() throws Exception {
        // Found by the fuzz suite: MaxPool with a stride of 0 killed the JVM with SIGFPE inside ONNX Runtime.
        NodeProto pool = NodeProto.newBuilder().setOpType("MaxPool").setName("pool").addInput("R").addOutput("P")
                .addAttribute(ints("kernel_shape", 2, 2)).addAttribute(ints("strides", 2, 0)).build();
        assertTrue(refused(model(graph(g -> g.addNode(pool)))).contains("node 'pool' (MaxPool) of the main graph:"
                + " attribute 'strides' holds 0, but each entry must be at least 1."));
        NodeProto pads = pool.toBuilder().setAttribute(1, ints("strides", 1, 1)).addAttribute(ints("pads", 0, -1, 0,
                0)).build();
        assertTrue(refused(model(graph(g -> g.addNode(pads)))).contains("attribute 'pads' holds -1, but each entry"
                + " must be 0 or more"));
        NodeProto mixed = pool.toBuilder().setAttribute(1, ints("strides", 1, 1, 1)).build();
        assertTrue(refused(model(graph(g -> g.addNode(mixed)))).contains("attribute 'strides' covers 3 spatial axes"
                + " where another window attribute covers 2"));
        NodeProto group = NodeProto.newBuilder().setOpType("Conv").setName("conv").addInput("R").addInput("W")
                .addOutput("C").addAttribute(AttributeProto.newBuilder().setName("group").setI(0)
                        .setType(AttributeProto.AttributeType.INT)).build();
        assertTrue(refused(model(graph(g -> g.addNode(group)))).contains("attribute 'group' holds 0"));
    }

    @Test
    void aLoopBodyMayReadOuterValuesAndShadowNames() throws Exception {
        GraphProto body = loopBody(b -> b.addNode(identity("W", "Y_copy")).addOutput(floatValue("Y_copy")));
        Path file = folder.resolve("ok.onnx");
        Files.write(file, model(graph(g -> g.addNode(loop(body)))).toByteArray());
        assertEquals(3, OnnxModelReader.read(file).getGraph().getNodeCount());
    }

    private String refused(ModelProto model) throws Exception {
        Path file = folder.resolve("crafted.onnx");
        Files.write(file, model.toByteArray());
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> OnnxModelReader.read(file));
        assertTrue(e.getMessage().startsWith("ONNX model " + file + ": "), e.getMessage());
        return e.getMessage();
    }

    /** Y = Gemm(X, W), R = Relu(Y): a valid base every case breaks in one place. */
    private static GraphProto graph(UnaryOperator<GraphProto.Builder> change) {
        GraphProto.Builder graph = GraphProto.newBuilder().setName("main")
                .addInput(floatValue("X"))
                .addInitializer(weights())
                .addNode(NodeProto.newBuilder().setOpType("Gemm").setName("gemm").addInput("X").addInput("W")
                        .addOutput("Y"))
                .addNode(NodeProto.newBuilder().setOpType("Relu").setName("relu").addInput("Y").addOutput("R"))
                .addOutput(floatValue("R"));
        return change.apply(graph).build();
    }

    private static ModelProto model(GraphProto graph) {
        return ModelProto.newBuilder().setIrVersion(8)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13)).setGraph(graph).build();
    }

    private static TensorProto weights() {
        return TensorProto.newBuilder().setName("W").setDataType(1).addDims(3).addDims(2)
                .addFloatData(1).addFloatData(2).addFloatData(3).addFloatData(4).addFloatData(5).addFloatData(6)
                .build();
    }

    private static TensorProto scalar(String name) {
        return TensorProto.newBuilder().setName(name).setDataType(1).addFloatData(1f).build();
    }

    private static TensorProto external(TensorProto tensor, String location) {
        return tensor.toBuilder().clearFloatData().setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue(location))
                .addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue("4")).build();
    }

    /** A Loop body (iteration, condition in; condition out) the change adds to. */
    private static GraphProto loopBody(UnaryOperator<GraphProto.Builder> change) {
        GraphProto.Builder body = GraphProto.newBuilder().setName("body")
                .addInput(ValueInfoProto.newBuilder().setName("i"))
                .addInput(ValueInfoProto.newBuilder().setName("cond_in"))
                .addNode(identity("cond_in", "cond_out"))
                .addOutput(ValueInfoProto.newBuilder().setName("cond_out"));
        return change.apply(body).build();
    }

    private static NodeProto loop(GraphProto body) {
        return NodeProto.newBuilder().setOpType("Loop").setName("loop").addInput("").addInput("")
                .addOutput("loop_done").addAttribute(graphAttribute("body", body)).build();
    }

    private static AttributeProto graphAttribute(String name, GraphProto graph) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.GRAPH).setG(graph)
                .build();
    }

    private static NodeProto constant(String output, TensorProto value) {
        return NodeProto.newBuilder().setOpType("Constant").setName(output).addOutput(output)
                .addAttribute(AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR)
                        .setT(value)).build();
    }

    private static AttributeProto ints(String name, long... values) {
        AttributeProto.Builder attribute = AttributeProto.newBuilder().setName(name)
                .setType(AttributeProto.AttributeType.INTS);
        for (long value : values) {
            attribute.addInts(value);
        }
        return attribute.build();
    }

    private static NodeProto identity(String in, String out) {
        return NodeProto.newBuilder().setOpType("Identity").addInput(in).addOutput(out).build();
    }

    private static ValueInfoProto floatValue(String name) {
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(1))).build();
    }
}
