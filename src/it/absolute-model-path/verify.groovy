import java.security.MessageDigest

def log = new File(basedir, 'build.log').text
def source = new File(basedir, 'src/main/resources/models/digits.onnx')
assert log.contains("<models><model><path>${source.absolutePath}</path> is absolute. A model's path is relative to <modelDirectory> (")
assert log.contains(' Write <path>models/digits.onnx</path> instead.')
assert !log.contains('at io.github.onnxprune')
// The source model is byte-identical to the committed fixture, and nothing was pruned or written.
def sha256 = MessageDigest.getInstance('SHA-256').digest(source.bytes).encodeHex().toString()
assert sha256 == '91d2320c1361eafd4708499707c2c6683012c1cd0092b9dbe002514c0dedc7ec'
assert new File(basedir, 'target/classes/models/digits.onnx').bytes == source.bytes
assert !new File(basedir, 'target/onnx-prune').exists()
true
