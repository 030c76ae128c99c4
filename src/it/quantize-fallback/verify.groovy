import ai.onnx.proto.OnnxMl
import java.util.zip.ZipFile

def log = new File(basedir, 'build.log').text
assert log.contains('models/digits.onnx  weights+int8  3 ')
// The seven-bit int8 graph raised the MSE past 0.002; the last layer's output error was the largest, so it went back.
assert log =~ /\[INFO\]   \/fc3\/Gemm \(Gemm\): float, put back to float by the accuracy fallback \(round 1; output error 0\.\d{4}, among the largest; \d+\.\d KiB more in float\) after mse 0\.\d{4} did not pass the gate/
assert log =~ /\[INFO\]   fallback round 1: mse 0\.\d{4} did not pass the gate; 1 layer put back, 1 float in all, \d+\.\d s since int8 started/
assert log =~ /\[INFO\]   \/fc1\/Gemm \(Gemm\): int8 as DynamicQuantizeMatMul, output error 0\.\d{4}/
assert log =~ /\[INFO\]   \/fc2\/Gemm \(Gemm\): int8 as DynamicQuantizeMatMul, output error 0\.\d{4}/
assert log.contains('BUILD SUCCESS')

def jar = new ZipFile(new File(basedir, 'target/quantize-fallback-1.0.jar'))
def shipped = jar.getInputStream(jar.getEntry('models/digits.onnx')).bytes
jar.close()
def model = OnnxMl.ModelProto.parseFrom(shipped)
assert model.graph.nodeList.count { it.opType == 'MatMulInteger' } == 2
def meta = model.metadataPropsList.collectEntries { [it.key, it.value] }
assert meta['onnx-prune.quantizedLayers'] == '2/3'

def report = new groovy.json.JsonSlurper().parse(new File(basedir, 'target/onnx-prune/report.json'))
def m = report.models[0]
assert m.fallbackLayers == ['/fc3/Gemm']
assert m.quantizedLayers*.quantized == [true, true, false]
assert m.metric.pruned <= 0.002
assert m.violations == []
true
