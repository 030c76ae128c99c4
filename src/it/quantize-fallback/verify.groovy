import ai.onnx.proto.OnnxMl
import java.util.zip.ZipFile

def log = new File(basedir, 'build.log').text
assert log.contains('models/digits.onnx  weights+int8  3 ')
// The int8 graph raised the MSE past 0.001; the layer with the largest output error went back first. Which one
// depends on the CPU's int8 kernel: fc3 with VNNI; fc1 (then fc3) on an AVX2 CPU without it, whose kernel saturates.
assert log =~ /\[INFO\]   \/fc\d\/Gemm \(Gemm\): float, put back to float by the accuracy fallback \(round 1; output error 0\.\d{4}, among the largest; \d+\.\d KiB more in float\) after mse 0\.\d{4} did not pass the gate/
assert log =~ /\[INFO\]   fallback round 1: mse 0\.\d{4} did not pass the gate; 1 layer put back, 1 float in all, \d+\.\d s since int8 started/
assert log =~ /\[INFO\]   \/fc\d\/Gemm \(Gemm\): int8 as DynamicQuantizeMatMul, output error 0\.\d{4}/
assert log.contains('BUILD SUCCESS')

def jar = new ZipFile(new File(basedir, 'target/quantize-fallback-1.0.jar'))
def shipped = jar.getInputStream(jar.getEntry('models/digits.onnx')).bytes
jar.close()
def model = OnnxMl.ModelProto.parseFrom(shipped)
def report = new groovy.json.JsonSlurper().parse(new File(basedir, 'target/onnx-prune/report.json'))
def m = report.models[0]
def back = m.fallbackLayers
assert !back.isEmpty() && back.size() < 3
assert m.quantizedLayers*.quantized == m.quantizedLayers.collect { !back.contains(it.layer) }
assert model.graph.nodeList.count { it.opType == 'MatMulInteger' } == 3 - back.size()
def meta = model.metadataPropsList.collectEntries { [it.key, it.value] }
assert meta['onnx-prune.quantizedLayers'] == "${3 - back.size()}/3".toString()
assert m.metric.pruned <= 0.001
assert m.violations == []
true
