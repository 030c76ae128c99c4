import java.util.zip.ZipFile

def log = new File(basedir, 'build.log').text
assert log =~ /\[ERROR\] Failed to execute goal io\.github\.onnxprune:onnx-prune-maven-plugin:[^:]+:prune \(default\) on project gate-failure: Model models\/digits\.onnx: accuracy is /
// Reconstruction is on and calibrates on the validation data by default: the message says so.
assert log.contains('after pruning weights to sparsity 0.97 (layerwise) and re-fitting on the validation data itself (the original model scores 0.9722), a drop of ')
assert log.contains('but the largest allowed (maxAccuracyDrop) is 0.0100. Lower <sparsity>')
assert log.contains('BUILD FAILURE')
// Nothing was shipped: the jar still holds the original model and no pruned copy was written.
def source = new File(basedir, 'src/main/resources/models/digits.onnx').bytes
def jar = new ZipFile(new File(basedir, 'target/gate-failure-1.0.jar'))
assert jar.getInputStream(jar.getEntry('models/digits.onnx')).bytes == source
jar.close()
assert !new File(basedir, 'target/onnx-prune/models').exists()
assert new File(basedir, 'target/onnx-prune/report.json').text.contains('"violations" : [ "Model models/digits.onnx')
true
