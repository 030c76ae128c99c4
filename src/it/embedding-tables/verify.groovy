import ai.onnx.proto.OnnxMl
import ai.onnxruntime.OnnxTensor
import ai.onnxruntime.OrtEnvironment
import ai.onnxruntime.OrtSession
import java.util.zip.ZipFile

// Embedding tables pruned per row (<tableSparsity>) and kept to 4 bits (<tableBits>), a weight override naming
// its layer, on the BERT-shaped fixture: word table 322x32, position 48x32, token types 2x32.
def log = new File(basedir, 'build.log').text
assert log.contains('[INFO]   word.weight (embedding table 322x32): 0.25 of each row zeroed, not re-fitted (a lookup has no inputs to fit)')
assert log.contains('[INFO]   position.weight (embedding table 48x32): 0.25 of each row zeroed, not re-fitted')

def report = new groovy.json.JsonSlurper().parse(new File(basedir, 'target/onnx-prune/report.json'))
def m = report.models[0]
assert m.method == 'weights+int8'
def tensors = m.tensors.collectEntries { [it.name, it] }
assert tensors['word.weight'].zeroed == 322 * 8
assert tensors['word.weight'].opTypes == ['Gather']
assert tensors['token_type.weight'].zeroed == 2 * 8
assert tensors['onnx::MatMul_355'].zeroed == 409     // /layers.0/intermediate/MatMul at 0.1: floor(0.1 * 4096)
assert tensors['onnx::MatMul_368'].zeroed == 2048    // layers.1 keeps 0.5
def forms = m.quantizedLayers.collectEntries { [it.layer, it.form] }
assert forms['/word/Gather'] == 'Int8Gather (4-bit levels)'
assert forms['/position/Gather'] == 'Int8Gather (4-bit levels)'
assert forms['/token_type/Gather'] == 'Int8Gather'      // 0.17% of the weights: under 1%, so 8 bits

def jar = new ZipFile(new File(basedir, 'target/embedding-tables-1.0.jar'))
def shipped = jar.getInputStream(jar.getEntry('models/bert.onnx')).bytes
jar.close()
def model = OnnxMl.ModelProto.parseFrom(shipped)
def word = model.graph.initializerList.find { it.dataType == OnnxMl.TensorProto.DataType.INT8.number && it.dimsList == [322L, 32L] }
byte[] values = word.rawData.toByteArray()
assert values.every { it >= -7 && it <= 7 }
for (int row = 0; row < 322; row++) {
    assert (0..<32).count { values[row * 32 + it] == 0 } >= 8
}

// The shipped model loads and runs in ONNX Runtime.
def env = OrtEnvironment.getEnvironment()
def session = env.createSession(shipped, new OrtSession.SessionOptions())
def inputs = [:]
for (name in session.inputNames) {
    inputs[name] = OnnxTensor.createTensor(env, new long[2][48])
}
def result = session.run(inputs)
float[][] logits = result.get("logits").get().value
assert logits.length == 2 && logits[0].length == 10
result.close(); inputs.values().each { it.close() }; session.close()
true
