import ai.onnx.proto.OnnxMl
import java.util.zip.ZipFile

def log = new File(basedir, 'build.log').text
// Two builds ran; both pruned from the untouched build output and both succeeded.
assert log.count('models/digits.onnx  weights') == 2
assert log.count('BUILD SUCCESS') == 2
assert !log.contains('already pruned')
def jar = new ZipFile(new File(basedir, 'target/rerun-without-clean-1.0.jar'))
def shipped = jar.getInputStream(jar.getEntry('models/digits.onnx')).bytes
jar.close()
def meta = OnnxMl.ModelProto.parseFrom(shipped).metadataPropsList.collectEntries { [it.key, it.value] }
assert meta['onnx-prune.sparsity'] == '0.5000'
assert new File(basedir, 'target/onnx-prune/models/models/digits.onnx').bytes == shipped
true
