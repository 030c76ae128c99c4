def log = new File(basedir, 'build.log').text
assert log.contains('BUILD SUCCESS')
assert log.contains('[INFO] No onnx-prune report.json under ' + new File(basedir, 'target').path
        + ' yet; the page says to run mvn package first.')
assert !log.contains('Exception')
def html = new File(basedir, 'target/reports/onnx-prune.html').getText('UTF-8')
assert html.contains('No model has been pruned in this project yet: the prune goal writes its results'
        + ' (target/onnx-prune/report.json) when the project is packaged. Run <code>mvn package</code> first')
assert !html.contains('<section class="model"')
assert !new File(basedir, 'target/onnx-prune').exists()
true
