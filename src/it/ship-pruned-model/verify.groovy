import ai.onnx.proto.OnnxMl
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.util.zip.ZipFile

def log = new File(basedir, 'build.log').text
assert log.contains('models/digits.onnx  weights')
assert log.contains('accuracy 0.9722 -> ')
// Reconstruction logs each re-fitted layer while it works, not only at the end (at INFO once the run has gone on for
// 10 s, else at DEBUG, which invoker.properties shows).
def layerLines = (log =~ /\[(?:INFO|DEBUG)\] models\/digits\.onnx weights: layer (\d+) of (\d+), \S+: .* s elapsed, about \d+ s left/)
assert layerLines.size() > 0
assert layerLines.collect { it[1] as int } == (1..(layerLines[0][2] as int)).toList()

// The user's sources and the build output keep the original model.
def source = new File(basedir, 'src/main/resources/models/digits.onnx').bytes
assert new File(basedir, 'target/classes/models/digits.onnx').bytes == source

def jar = new ZipFile(new File(basedir, 'target/ship-pruned-model-1.0.jar'))
def shipped = jar.getInputStream(jar.getEntry('models/digits.onnx')).bytes
// Every entry keeps the time maven-jar-plugin gave it from project.build.outputTimestamp.
def entryTime = java.time.Instant.parse('2026-01-01T00:00:00Z').toEpochMilli()
assert jar.entries().toList().every { it.lastModifiedTime.toMillis() == entryTime }
jar.close()
assert shipped != source
assert new File(basedir, 'target/onnx-prune/models/models/digits.onnx').bytes == shipped

def model = OnnxMl.ModelProto.parseFrom(shipped)
def meta = model.metadataPropsList.collectEntries { [it.key, it.value] }
assert meta['onnx-prune.method'] == 'weights'
assert meta['onnx-prune.sparsity'] == '0.5000'
assert meta['onnx-prune.metric'] == 'accuracy'
assert meta['onnx-prune.baseline'] == '0.9722'
assert meta['onnx-prune.version'] ==~ /\d+\.\d+\.\d+(-SNAPSHOT)?/
assert Double.parseDouble(meta['onnx-prune.baseline']) - Double.parseDouble(meta['onnx-prune.pruned']) <= 0.05

def zeros = { t ->
    def buffer = t.rawData.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer()
    int count = 0
    for (int i = 0; i < buffer.limit(); i++) { if (buffer.get(i) == 0f) count++ }
    count
}
def byName = model.graph.initializerList.collectEntries { [it.name, it] }
assert zeros(byName['fc1.weight']) == 2048
assert zeros(byName['fc2.weight']) == 1024
assert zeros(byName['fc3.weight']) == 160
assert zeros(byName['fc1.bias']) == 0

def report = new groovy.json.JsonSlurper().parse(new File(basedir, 'target/onnx-prune/report.json'))
assert report.models.size() == 1
assert report.models[0].tensors*.name == ['fc1.weight', 'fc2.weight', 'fc3.weight']
assert report.models[0].tensors*.zeroed == [2048, 1024, 160]
assert report.models[0].metric.samples == 360
assert report.models[0].fileBytes.deflatedAfter < report.models[0].fileBytes.deflatedBefore
true
