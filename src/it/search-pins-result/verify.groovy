import ai.onnx.proto.OnnxMl
import java.util.zip.ZipFile

def log = new File(basedir, 'build.log').text
assert log.count('BUILD SUCCESS') == 2
// The first build searched, one progress line per candidate (at INFO once the run has gone on for 10 s, else at
// DEBUG, which invoker.properties shows), and logged the snippet that pins its result.
// A fallback candidate names its total first: "candidate 11 of at most 12 (holding back the most sensitive): total
// 0.3264: sparsity 0.3350, fc3.weight 0.1632, metric ...".
def candidates = (log =~ /\[(?:INFO|DEBUG)\] models\/digits\.onnx search: candidate (\d+) of at most (\d+)(?: \((?:probing the grid above the best pass|holding back the most sensitive)\))?: (?:total 0\.\d{4}: )?sparsity (0\.\d{4})[,;]/)
        .collect { it }
assert candidates.size() >= 2 && candidates.size() <= 12
assert log.contains('[DEBUG] models/digits.onnx ')
assert candidates[0][1] == '1' && candidates[0][3] == '0.9500'
assert log.contains(', about ') && log.contains(' s left')
def pinned = (log =~ /\[INFO\]\s+<sparsity>(0\.\d{4})<\/sparsity>/).collect { it[1] }
// Printed by both builds: the second reuses the stored result (same fingerprint) and searches no more.
assert pinned.size() == 2 && pinned[0] == pinned[1]
assert log.contains('[INFO]     <path>models/digits.onnx</path>')
assert log.contains('[INFO]     <search>false</search>')
assert log.contains('pin it in the pom to build without searching:')
assert log.count('Models unchanged since the last run (fingerprint ') == 1
assert log.indexOf('Models unchanged since the last run') > log.lastIndexOf('search: candidate')
// The shipped model is the chosen candidate, and the report keeps the whole trace.
def jar = new ZipFile(new File(basedir, 'target/search-pins-result-1.0.jar'))
def shipped = jar.getInputStream(jar.getEntry('models/digits.onnx')).bytes
jar.close()
def meta = OnnxMl.ModelProto.parseFrom(shipped).metadataPropsList.collectEntries { [it.key, it.value] }
assert meta['onnx-prune.search'].startsWith("${candidates.size()} candidates, passed".toString())
def chosen = Double.parseDouble(pinned[0])
assert chosen > 0.2 && chosen < 0.95
def report = new File(basedir, 'target/onnx-prune/report.json').text
assert report.contains('"search" : {')
assert report.contains('"evaluations" : ' + candidates.size())
// <searchBudget>5min</searchBudget>: at most 12 candidates, and this small search never reached the time limit.
assert candidates.every { it[2] == '12' }
assert report.contains('"budgetMinutes" : 5.0')
assert report.contains('"timeUp" : false')
assert !log.contains('time budget of 5 min spent')
// report.html beside it plots the same trace, one mark per candidate.
def html = new File(basedir, 'target/onnx-prune/report.html').text
assert html.count('<circle class="candidate"') == candidates.size()
assert !html.contains('<script')
true
