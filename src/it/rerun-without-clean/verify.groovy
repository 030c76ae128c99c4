import ai.onnx.proto.OnnxMl
import java.security.MessageDigest
import java.util.zip.ZipFile

def log = new File(basedir, 'build.log').text
// Two builds ran and succeeded; both showed the table, the second from the stored result of the first.
assert log.count('models/digits.onnx  weights') == 2
assert log.count('BUILD SUCCESS') == 2
assert !log.contains('already pruned')
assert log.count('Models unchanged since the last run (fingerprint ') == 1
def reuse = log.indexOf('Models unchanged since the last run')
assert reuse > log.indexOf('BUILD SUCCESS'), 'the first build must prune, only the second reuse'
assert log =~ /Models unchanged since the last run \(fingerprint [0-9a-f]{12}\); reusing target\/onnx-prune\./
assert log.contains('reusing target/onnx-prune. Build with -Donnx-prune.force to prune and measure again.')

def jar = new ZipFile(new File(basedir, 'target/rerun-without-clean-1.0.jar'))
def shipped = jar.getInputStream(jar.getEntry('models/digits.onnx')).bytes
jar.close()
def meta = OnnxMl.ModelProto.parseFrom(shipped).metadataPropsList.collectEntries { [it.key, it.value] }
assert meta['onnx-prune.sparsity'] == '0.5000'
assert new File(basedir, 'target/onnx-prune/models/models/digits.onnx').bytes == shipped

// The first build recorded the SHA-256 of the model it shipped; the second build left that record alone and its
// jar holds exactly those bytes.
def sha256 = { byte[] bytes -> MessageDigest.getInstance('SHA-256').digest(bytes).encodeHex().toString() }
def record = new File(basedir, 'target/onnx-prune/fingerprint').readLines()
assert record[0] == 'onnx-prune result 1'
assert record.contains("model ${sha256(shipped)} pruned models/digits.onnx".toString())
assert record[2] == "report ${sha256(new File(basedir, 'target/onnx-prune/report.json').bytes)}".toString()
true
