import java.util.zip.ZipFile

def log = new File(basedir, 'build.log').text
assert log.contains('BUILD FAILURE')
assert log.count('models/digits.onnx search: candidate ') == 6
assert log.contains('candidate 6 of at most 6: ')
// One paragraph: the original already misses the floor (0.9722 < 0.99), the limit, and how far the search went.
def failure = log.readLines().find { it.startsWith('[ERROR] Failed to execute goal') }
assert failure.contains('Model models/digits.onnx: the original model already scores accuracy 0.9722 on the validation data, but the minimum allowed (minAccuracy) is 0.9900, so no pruning can pass (after pruning weights to sparsity 0.2250 (layerwise) and re-fitting on the validation data itself, the best of 6 candidates')
assert failure.contains(', the best of 6 candidates a search measured (none passed the gate, from sparsity 0.9000 down to sparsity 0.0281; the best metric, ')
assert failure.contains('(minAccuracy) is 0.9900')
def source = new File(basedir, 'src/main/resources/models/digits.onnx').bytes
def jar = new ZipFile(new File(basedir, 'target/search-none-passes-1.0.jar'))
assert jar.getInputStream(jar.getEntry('models/digits.onnx')).bytes == source
jar.close()
true
