import java.util.Locale

def log = new File(basedir, 'build.log').text
assert log.contains('BUILD SUCCESS')
assert log.contains('onnx-prune-maven-plugin') && log.contains(':report (default-cli)')
assert !(log =~ /\[WARNING\].*onnx-prune/).find()

// The site page from both executions' report.json; run as a goal rather than from mvn site, it is a page of its
// own in target/reports (no site skin to render it in).
def page = new File(basedir, 'target/reports/onnx-prune.html')
assert page.isFile()
def html = page.getText('UTF-8')
assert html.startsWith('<!DOCTYPE html>\n<html lang="en">') && html.contains('<title>ONNX Prune</title>')
assert html.contains('<h1>ONNX Prune</h1>') && html.endsWith('</body>\n</html>\n')
assert log.contains('[INFO] ONNX prune report: ' + page.path)

// The same build's mvn site: the report written into the page maven-site-plugin 3.21.0 renders in its skin (the goal
// hands its Doxia sink the same fragment), listed under Project Reports.
def body = html.substring(html.indexOf('<h1>ONNX Prune</h1>\n') + '<h1>ONNX Prune</h1>\n'.length(),
        html.lastIndexOf('</body>'))
assert body.startsWith('<style>') && body.endsWith('</div>\n')
def sitePage = new File(basedir, 'target/site/onnx-prune.html').getText('UTF-8')
assert sitePage.contains('Rendered using Apache Maven Fluido Skin')
assert sitePage.contains('<title>ONNX Prune \u2013 site-report</title>')
assert sitePage.contains(body)
assert new File(basedir, 'target/site/project-reports.html').getText('UTF-8').contains('<a href="onnx-prune.html">ONNX Prune')
assert log.contains('Generating "ONNX Prune" report')
assert html.contains('From <code>target/onnx-prune/report.json</code>: 1 model.')
assert html.contains('From <code>target/onnx-prune-sparse/report.json</code>: 1 model.')
assert html.indexOf('target/onnx-prune/report.json') < html.indexOf('target/onnx-prune-sparse/report.json')
assert !html.contains('No model has been pruned')
assert html.count('<section class="model" data-model="models/digits.onnx">') == 2

def slurper = new groovy.json.JsonSlurper()
// report.html writes each value as Java's Double.toString, the form Jackson wrote into report.json
def d = { Number value -> Double.toString(value as double) }
def fmt = { String format, Number value -> String.format(Locale.ROOT, format, value.doubleValue()) }
def sections = html.split('<section class="model"').drop(1)
['onnx-prune', 'onnx-prune-sparse'].eachWithIndex { folder, i ->
    def model = slurper.parse(new File(basedir, "target/${folder}/report.json")).models[0]
    def section = sections[i]
    // The before/after table: the measured figures as report.json holds them, shown and in data-value.
    assert section.contains("data-field=\"metric.before\" data-value=\"${d(model.metric.baseline)}\">" +
            fmt('%.4f', model.metric.baseline))
    assert section.contains("data-field=\"metric.after\" data-value=\"${d(model.metric.pruned)}\">" +
            fmt('%.4f', model.metric.pruned))
    assert section.contains("${model.metric.name} (${model.metric.samples} samples)")
    assert section.contains('>' + fmt('%.1f', model.fileBytes.deflatedAfter / 1024.0) + '</td>')
    assert section.contains("data-field=\"latency.after\" data-value=\"${d(model.latencyMicros.prunedMedian)}\"")
    // One bar per pruned tensor at the sparsity it reached.
    def tensors = model.tensors
    assert tensors.size() == 3
    tensors.each { t ->
        assert section.contains("<rect class=\"tensor-bar\" data-name=\"${t.name}\" data-value=\"${d(t.sparsityReached)}\"")
    }
    assert section.contains('gate passed')
}
// The default execution searched: every candidate plotted where report.json puts it, and the sensitivity curves.
def searched = slurper.parse(new File(basedir, 'target/onnx-prune/report.json')).models[0]
def candidates = searched.search.candidates
assert candidates.size() >= 2 && candidates.size() <= 12
// The budget counts the profile's runs too: candidates and profile points together stay within its 18.
assert candidates.size() + searched.search.profileEvaluations <= 18
assert sections[0].count('<circle class="candidate"') == candidates.size()
candidates.each { c ->
    assert sections[0].contains("data-index=\"${c.index}\" data-sparsity=\"${d(c.sparsity)}\" data-value=\"${d(c.metric)}\"" +
            " data-passes=\"${c.passes}\"")
}
assert sections[1].count('<circle class="candidate"') == 0
def curves = searched.sensitivity
assert curves.size() == 3
curves.each { curve ->
    curve.points.each { p ->
        assert sections[0].contains("data-name=\"${curve.name}\" data-sparsity=\"${d(p.sparsity)}\" data-value=\"${d(p.metric)}\"")
    }
}
// Each tensor's weights (without bias) and its output error pruned alone at every level, computed without a model
// run, so present whatever the budget left the profile: every cell as report.json has it, none for the other model.
assert curves*.size == [4096, 2048, 320]
def errorCells = 0
curves.each { curve ->
    assert curve.outputErrors*.sparsity.collect { it as double } == [0.25d, 0.5d, 0.75d, 0.9d]
    assert sections[0].contains("<tr><td>${curve.name}</td><td>${curve.size}</td><td class=\"output-error\"")
    curve.outputErrors.each { e ->
        assert (e.outputError as double) > 0
        assert sections[0].contains("<td class=\"output-error\" data-name=\"${curve.name}\" data-sparsity=\"${d(e.sparsity)}\"" +
                " data-value=\"${d(e.outputError)}\">" + fmt('%.4f', e.outputError) + '</td>')
        errorCells++
    }
}
assert errorCells == 12
assert sections[0].count('<td class="output-error"') == 12
assert sections[1].count('<td class="output-error"') == 0
true
