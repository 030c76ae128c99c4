// <scope>measured</scope> on the BERT-shaped fixture: each weight layer re-fitted alone at 0.5 and 0.6 on the
// calibration sentences, scored with the pooled cosine there, and the uniform total shared out by those costs.
def log = new File(basedir, 'build.log').text
// A progress line: at INFO once the run has gone on for 10 s, else at DEBUG (invoker.properties shows both).
def progress = { line -> log.count('[INFO] ' + line) + log.count('[DEBUG] ' + line) == 1 }
assert progress('models/bert.onnx weights: measured scope: layer 1 of 13, onnx::MatMul_344: loss 0.00035 at 0.50, 0.00059 at 0.60; ')
// The allocation is a result: always at INFO.
assert log.contains('[INFO] models/bert.onnx weights: measured scope: 13 layers re-fitted alone at 0.50 and 0.60, scored on 64 calibration samples (26 evaluations; ')
assert log.contains('summed loss modelled at 0.002641 against 0.008941 uniform, 0.25 to 0.75 per tensor')
assert log.contains('BUILD SUCCESS')

def report = new groovy.json.JsonSlurper().parse(new File(basedir, 'target/onnx-prune/report.json'))
def m = report.models[0]
assert m.zeroWeights == 12448 && m.prunedWeights == 24896
assert m.measuredShares.tensors.collect { it.zeros } == [362, 256, 256, 283, 1336, 2368, 684, 256, 256, 354, 2766, 3031, 240]
assert m.tensors.collect { it.zerosAfter } == m.measuredShares.tensors.collect { it.zeros }
assert m.measuredShares.levels == [0.5, 0.6]
true
