import java.util.zip.ZipFile

def log = new File(basedir, 'build.log').text
assert log =~ /\[ERROR\] Failed to execute goal io\.github\.onnxprune:onnx-prune-maven-plugin:[^:]+:prune \(default\) on project quantize-gate-failure: Model models\/digits\.onnx: mse is 0\.\d{4} after pruning weights to sparsity 0\.00 \(layerwise\) and quantizing to int8 \(the original model scores 0\.0000\), a rise of 0\.\d{4}, but the largest allowed \(maxAccuracyDrop\) is 0\.0010\./
assert log.contains('is 0.0010. Leave the layers with the largest output error float with <quantizeExcludes> or let <quantizeFallback> choose them, or relax the limit if the loss is acceptable.')
assert log.contains('BUILD FAILURE')
// Nothing was shipped: the jar still holds the float model and no copy was written.
def source = new File(basedir, 'src/main/resources/models/digits.onnx').bytes
def jar = new ZipFile(new File(basedir, 'target/quantize-gate-failure-1.0.jar'))
assert jar.getInputStream(jar.getEntry('models/digits.onnx')).bytes == source
jar.close()
assert !new File(basedir, 'target/onnx-prune/models').exists()
def report = new groovy.json.JsonSlurper().parse(new File(basedir, 'target/onnx-prune/report.json'))
def m = report.models[0]
// The gate measured the int8 graph: every layer quantized, none put back.
assert m.quantizedLayers.every { it.quantized }
assert m.fallbackLayers == []
assert m.violations.size() == 1
true
