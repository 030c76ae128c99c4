import java.security.MessageDigest

// First what matters: the source model is byte-identical to the committed fixture (the old code wrote the pruned
// model over it), and nothing was pruned or written.
def source = new File(basedir, 'src/main/resources/models/digits.onnx')
def sha256 = MessageDigest.getInstance('SHA-256').digest(source.bytes).encodeHex().toString()
assert sha256 == '91d2320c1361eafd4708499707c2c6683012c1cd0092b9dbe002514c0dedc7ec'
assert new File(basedir, 'target/classes/models/digits.onnx').bytes == source.bytes
assert !new File(basedir, 'target/onnx-prune').exists()

def log = new File(basedir, 'build.log').text
assert log.contains("<models><model><path>${source.absolutePath}</path> is absolute. A model's path is relative to <modelDirectory> (")
assert log.contains(' Write <path>models/digits.onnx</path> instead.')
assert !log.contains('at io.github.onnxprune')
true
