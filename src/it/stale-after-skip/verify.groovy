import java.util.zip.ZipFile

// First what matters: after the skipped build the jar holds the original model again (the old code left the
// first build's pruned model in it, as jar:jar did not rebuild the jar).
def source = new File(basedir, 'src/main/resources/models/digits.onnx').bytes
def jar = new ZipFile(new File(basedir, 'target/stale-after-skip-1.0.jar'))
assert jar.getInputStream(jar.getEntry('models/digits.onnx')).bytes == source
jar.close()
// The first build did prune: its model is still in the output folder, but no longer recorded as shipped.
assert new File(basedir, 'target/onnx-prune/models/models/digits.onnx').bytes != source
assert !new File(basedir, 'target/onnx-prune/shipped').exists()

def log = new File(basedir, 'build.log').text
assert log.count('BUILD SUCCESS') == 2
assert log.count('models/digits.onnx  weights') == 1
def skipped = log.indexOf('Skipping ONNX model pruning (onnx-prune.skip).')
assert skipped > log.indexOf('BUILD SUCCESS')
// jar:jar did not rebuild the jar in the second build: only the plugin can have put the original back.
assert !log.substring(log.indexOf('BUILD SUCCESS')).contains('Building jar:')
assert log.indexOf('Put the original models back into target/stale-after-skip-1.0.jar, which an earlier run had shipped pruned.') > skipped
// The skipped build loaded no native code.
assert !log.substring(skipped).contains('onnxruntime')
true
