import ai.onnx.proto.OnnxMl
import java.util.zip.ZipFile

def log = new File(basedir, 'build.log').text
assert log.count('BUILD SUCCESS') == 2
def secondBuild = log.indexOf('BUILD SUCCESS')
// Each execution names the module, itself and its own report.
assert log.count('ONNX models of two-executions (execution default, report target/onnx-prune/report.json):') == 2
assert log.count('ONNX models of two-executions (execution sparse, report target/onnx-prune-sparse/report.json):') == 2
// The first build pruned in both executions; the second reused both stored results.
assert log.indexOf('Models unchanged since the last run') > secondBuild
assert log.count('Models unchanged since the last run') == 2
assert log.contains('reusing target/onnx-prune. ')
assert log.contains('reusing target/onnx-prune-sparse. ')

def metadata = { File file ->
    def zip = new ZipFile(file)
    def bytes = zip.getInputStream(zip.getEntry('models/digits.onnx')).bytes
    zip.close()
    [bytes, OnnxMl.ModelProto.parseFrom(bytes).metadataPropsList.collectEntries { [it.key, it.value] }]
}
def (inPlace, inPlaceMeta) = metadata(new File(basedir, 'target/two-executions-1.0.jar'))
def (sparse, sparseMeta) = metadata(new File(basedir, 'target/two-executions-1.0-sparse.jar'))
assert inPlaceMeta['onnx-prune.sparsity'] == '0.5000'
assert sparseMeta['onnx-prune.sparsity'] == '0.6999' // floor(0.7 n) of the three tensors
assert new File(basedir, 'target/onnx-prune/models/models/digits.onnx').bytes == inPlace
assert new File(basedir, 'target/onnx-prune-sparse/models/models/digits.onnx').bytes == sparse

// Separate reports, fingerprints and locks.
def slurper = new groovy.json.JsonSlurper()
def reports = ['onnx-prune', 'onnx-prune-sparse'].collect { slurper.parse(new File(basedir, "target/${it}/report.json")) }
assert reports*.models*.getAt(0)*.targetSparsity == [0.5, 0.7]
['onnx-prune', 'onnx-prune-sparse'].each {
    assert new File(basedir, "target/${it}/fingerprint").readLines()[0] == 'onnx-prune result 1'
    assert new File(basedir, "target/${it}/.lock").isFile()
}
// The in-place execution's record of what it put into the jar; the classifier execution ships into no jar in place.
assert new File(basedir, 'target/onnx-prune/shipped').isFile()
assert !new File(basedir, 'target/onnx-prune-sparse/shipped').exists()
true
