import ai.onnx.proto.OnnxMl
import ai.onnxruntime.OnnxTensor
import ai.onnxruntime.OrtEnvironment
import ai.onnxruntime.OrtSession
import java.util.zip.ZipFile

def log = new File(basedir, 'build.log').text
assert log.contains('models/old.onnx  weights+int8  2 ')
def why = "float, the model's opset 9 is below 11 and Slice changed at opset 10 (node 'slice'), so the opset cannot be raised safely"
assert log.contains('[INFO]   mm1 (MatMul): ' + why)
assert log.contains('[INFO]   mm2 (MatMul): ' + why)

def jar = new ZipFile(new File(basedir, 'target/quantize-old-opset-1.0.jar'))
def shipped = jar.getInputStream(jar.getEntry('models/old.onnx')).bytes
jar.close()
def model = OnnxMl.ModelProto.parseFrom(shipped)
// Weight pruning still ran; the graph and its opset stay as they were.
assert model.opsetImportList.find { it.domain == '' }.version == 9
assert model.graph.nodeList*.opType == ['MatMul', 'Relu', 'Slice', 'MatMul']
def meta = model.metadataPropsList.collectEntries { [it.key, it.value] }
assert meta['onnx-prune.method'] == 'weights+int8'
assert meta['onnx-prune.quantize'] == 'none'
assert meta['onnx-prune.sparsity'] == '0.5000'

def env = OrtEnvironment.getEnvironment()
def session = env.createSession(shipped, new OrtSession.SessionOptions())
def input = OnnxTensor.createTensor(env, new float[1][8])
def result = session.run(['x': input])
float[][] y = result.get(0).value
assert y.length == 1 && y[0].length == 4
result.close(); input.close(); session.close()
true
