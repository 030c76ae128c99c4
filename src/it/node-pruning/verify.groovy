import ai.onnx.proto.OnnxMl
import java.util.zip.ZipFile

def log = new File(basedir, 'build.log').text
assert log.contains('models/mlp.onnx layers:')
assert log.contains('models/cnn.onnx layers:')
// <importance>compensated</importance>: a progress line per hidden layer ranked, in the build log (at INFO once the
// run has gone on for 10 s, else at DEBUG, which invoker.properties shows).
def progress = { line -> log.count('[INFO] ' + line) + log.count('[DEBUG] ' + line) == 1 }
assert progress('models/mlp.onnx nodes: ranking by compensated cost: group 1 of 2, /relu1/Relu_output_0 (64 features, 32 of 64 units removed at most); ')
assert progress('models/mlp.onnx nodes: ranking by compensated cost: group 2 of 2, /relu2/Relu_output_0 (32 features, 16 of 32 units removed at most); ')
assert log.contains(': left unpruned, its units reach the graph output \'logits\'')
// failOnViolation=false: the broken limit is a warning and the models ship anyway.
assert log =~ /\[WARNING\] Model models\/cnn\.onnx: agreement is 0\.\d{4} after pruning nodes to sparsity 0\.50 \(layerwise\)/
assert log.contains('BUILD SUCCESS')

def jar = new ZipFile(new File(basedir, 'target/node-pruning-1.0.jar'))
def read = { name -> OnnxMl.ModelProto.parseFrom(jar.getInputStream(jar.getEntry(name)).bytes) }
def dims = { model, name -> model.graph.initializerList.find { it.name == name }.dimsList }
def meta = { model -> model.metadataPropsList.collectEntries { [it.key, it.value] } }

// Half of every hidden layer's units are gone; the output layer keeps its 10 classes.
def mlp = read('models/mlp.onnx')
assert dims(mlp, 'fc1.weight') == [32L, 64L]
assert dims(mlp, 'fc1.bias') == [32L]
assert dims(mlp, 'fc2.weight') == [16L, 32L]
assert dims(mlp, 'fc3.weight') == [10L, 16L]
assert meta(mlp)['onnx-prune.method'] == 'nodes'
assert meta(mlp)['onnx-prune.metric'] == 'accuracy'

// The residual block keeps one channel count on both sides of its Add.
def cnn = read('models/cnn.onnx')
assert dims(cnn, 'conv1.weight') == [8L, 1L, 3L, 3L]
assert dims(cnn, 'block.conv1.weight') == [8L, 8L, 3L, 3L]
assert dims(cnn, 'block.conv2.weight') == [8L, 8L, 3L, 3L]
assert dims(cnn, 'conv2.weight') == [16L, 8L, 3L, 3L]
assert dims(cnn, 'fc.weight') == [10L, 256L]
assert dims(cnn, 'bn1.running_var') == [8L]
assert meta(cnn)['onnx-prune.metric'] == 'agreement'
def cnnSize = jar.getEntry('models/cnn.onnx').size
jar.close()
assert cnnSize < new File(basedir, 'src/main/resources/models/cnn.onnx').length() / 2

def report = new groovy.json.JsonSlurper().parse(new File(basedir, 'target/onnx-prune/report.json'))
assert report.models*.model == ['models/cnn.onnx', 'models/mlp.onnx']
def mlpReport = report.models[1]
assert mlpReport.parametersAfter < mlpReport.parametersBefore / 2
assert mlpReport.layers*.unitsAfter == [32, 16, 10]
true
