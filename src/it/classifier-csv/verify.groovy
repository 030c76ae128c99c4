import ai.onnx.proto.OnnxMl
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.util.zip.ZipFile

def log = new File(basedir, 'build.log').text
assert log.contains('models/wine.onnx  weights')
assert log.contains('accuracy 0.9444 -> ')

def source = new File(basedir, 'src/main/resources/models/wine.onnx').bytes
def entry = { file -> def jar = new ZipFile(file); try { jar.getInputStream(jar.getEntry('models/wine.onnx')).bytes } finally { jar.close() } }

// With a classifier the main jar stays as jar:jar built it; the pruned models go into the classified jar.
assert entry(new File(basedir, 'target/classifier-csv-1.0.jar')) == source
def shipped = entry(new File(basedir, 'target/classifier-csv-1.0-pruned.jar'))
def model = OnnxMl.ModelProto.parseFrom(shipped)
def zeros = { name ->
    def t = model.graph.initializerList.find { it.name == name }
    def buffer = t.rawData.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer()
    (0..<buffer.limit()).count { buffer.get(it) == 0f }
}
// The MatMul weights are pruned (13x32 and 32x3: floor of half of each); the Sub/Div standardisation is not.
assert zeros('W1') == 208
assert zeros('W2') == 48
assert zeros('mean') == 0
assert model.graph.initializerList.find { it.name == 'std' } == OnnxMl.ModelProto.parseFrom(source).graph.initializerList.find { it.name == 'std' }

def repo = new File(localRepositoryPath, 'it/onnxprune/classifier-csv/1.0')
assert new File(repo, 'classifier-csv-1.0-pruned.jar').bytes == new File(basedir, 'target/classifier-csv-1.0-pruned.jar').bytes
true
