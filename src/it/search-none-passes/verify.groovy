import java.util.zip.ZipFile

def log = new File(basedir, 'build.log').text
assert log.contains('BUILD FAILURE')
// The original misses the floor (0.9722 < 0.99): the search stops before its first candidate (before session 21
// it measured all 6 of its budget first, then failed the same way).
assert !log.contains('search: candidate ')
def failure = log.readLines().find { it.startsWith('[ERROR] Failed to execute goal') }
assert failure.contains('Model models/digits.onnx: the original model already scores accuracy 0.9722 on the validation data, but the minimum allowed (minAccuracy) is 0.9900, so no pruning can pass; the search stopped before its first candidate. Check that <validationData> matches the model')
assert log.contains('[WARNING] Model models/digits.onnx: nothing was pruned (the search stopped before its first candidate)')
def report = new File(basedir, 'target/onnx-prune/report.json').text
assert !report.contains('"candidates"')
def source = new File(basedir, 'src/main/resources/models/digits.onnx').bytes
def jar = new ZipFile(new File(basedir, 'target/search-none-passes-1.0.jar'))
assert jar.getInputStream(jar.getEntry('models/digits.onnx')).bytes == source
jar.close()
true
