import java.util.zip.ZipFile

def log = new File(basedir, 'build.log').text
assert log.contains('Skipping ONNX model pruning (onnx-prune.skip).')
assert !log.contains('onnxruntime')
def source = new File(basedir, 'src/main/resources/models/digits.onnx').bytes
def jar = new ZipFile(new File(basedir, 'target/skip-1.0.jar'))
assert jar.getInputStream(jar.getEntry('models/digits.onnx')).bytes == source
jar.close()
assert !new File(basedir, 'target/onnx-prune').exists()
// The report goal skips too: no page, and no word of a missing report.json.
assert log.contains('Skipping the ONNX prune report (onnx-prune.skip).')
assert !new File(basedir, 'target/reports/onnx-prune.html').exists()
assert !log.contains('No onnx-prune report.json')
true
