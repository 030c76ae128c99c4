import java.util.zip.ZipFile

def log = new File(basedir, 'build.log').text
assert log.count('BUILD SUCCESS') == 3
assert log.count('Using the MultiThreadedBuilder implementation with a thread count of 4') == 2
// Every build pruned all three models itself (clean before each, so nothing was reused).
assert log.count('models/digits.onnx  weights') == 3
assert log.count('models/wine.onnx  weights') == 3
assert log.count('models/cnn.onnx  nodes') == 3
assert !log.contains('Models unchanged since the last run')

def runs = ['serial', 'parallel-1', 'parallel-2']
['digits', 'wine', 'cnn'].each { module ->
    def jars = runs.collect { new File(basedir, "jars/${it}/${module}/${module}-1.0.jar") }
    jars.each { assert it.isFile() : "missing ${it}" }
    assert jars[1].bytes == jars[0].bytes : "${module}: the first parallel build differs from the serial one"
    assert jars[2].bytes == jars[0].bytes : "${module}: the second parallel build differs from the serial one"
    // And the jars do hold pruned models, not the originals.
    def zip = new ZipFile(jars[0])
    def shipped = zip.getInputStream(zip.getEntry("models/${module}.onnx")).bytes
    zip.close()
    assert shipped != new File(basedir, "${module}/src/main/resources/models/${module}.onnx").bytes
}
true
