import java.util.zip.GZIPInputStream
import java.util.zip.ZipFile

def log = new File(basedir, 'build.log').text
assert log.contains('BUILD SUCCESS')

def source = new File(basedir, 'shared/resources/models/digits.onnx').bytes
def entry = { File zip, String name ->
    def file = new ZipFile(zip)
    try {
        def e = file.getEntry(name)
        e == null ? null : file.getInputStream(e).bytes
    } finally {
        file.close()
    }
}
def pruned = { String module -> new File(basedir, "${module}/target/onnx-prune/models/models/digits.onnx").bytes }
def checkPruned = { String module, byte[] bytes, String where ->
    assert bytes != null, "${module}: ${where} holds no model"
    assert bytes != source, "${module}: ${where} holds the original model"
    assert bytes == pruned(module), "${module}: ${where} holds other bytes than the checked model"
}
// Nothing outside target/ changed in any module.
assert new File(basedir, 'shared/resources/models/digits.onnx').bytes == source
['boot-first', 'boot-after', 'war', 'shade-first', 'assembly-first', 'jib', 'tests-folder', 'failsafe'].each {
    assert new File(basedir, "${it}/target/classes/models/digits.onnx").bytes == source, "${it}: target/classes changed"
    assert log.contains("ONNX models of ${it} (execution default, report target/onnx-prune/report.json):")
}

// Spring Boot, repackage first: the executable jar's BOOT-INF/classes entry and the plain jar it kept as .original.
def bootFirst = new File(basedir, 'boot-first/target/boot-first-1.0.jar')
assert entry(bootFirst, 'models/digits.onnx') == null
checkPruned('boot-first', entry(bootFirst, 'BOOT-INF/classes/models/digits.onnx'), 'the Spring Boot jar')
checkPruned('boot-first', entry(new File(basedir, 'boot-first/target/boot-first-1.0.jar.original'), 'models/digits.onnx'),
        'boot-first-1.0.jar.original')
assert entry(bootFirst, 'org/springframework/boot/loader/launch/JarLauncher.class') != null
assert log.contains('Shipped the pruned models into target/boot-first-1.0.jar (under BOOT-INF/classes/), target/boot-first-1.0.jar.original.')

// Spring Boot, repackage after: it copied the jar prune had rewritten.
def bootAfter = new File(basedir, 'boot-after/target/boot-after-1.0.jar')
checkPruned('boot-after', entry(bootAfter, 'BOOT-INF/classes/models/digits.onnx'), 'the Spring Boot jar')
checkPruned('boot-after', entry(new File(basedir, 'boot-after/target/boot-after-1.0.jar.original'), 'models/digits.onnx'),
        'boot-after-1.0.jar.original')

// war: WEB-INF/classes.
checkPruned('war', entry(new File(basedir, 'war/target/war-1.0.war'), 'WEB-INF/classes/models/digits.onnx'), 'the war')

// Shade first: the shaded jar that replaced the main artifact, and the original-*.jar it kept.
checkPruned('shade-first', entry(new File(basedir, 'shade-first/target/shade-first-1.0.jar'), 'models/digits.onnx'),
        'the shaded jar')
checkPruned('shade-first', entry(new File(basedir, 'shade-first/target/original-shade-first-1.0.jar'), 'models/digits.onnx'),
        'original-shade-first-1.0.jar')

// Assembly first: its attached jar-with-dependencies, besides the jar.
checkPruned('assembly-first', entry(new File(basedir, 'assembly-first/target/assembly-first-1.0-jar-with-dependencies.jar'),
        'models/digits.onnx'), 'the jar-with-dependencies')
checkPruned('assembly-first', entry(new File(basedir, 'assembly-first/target/assembly-first-1.0.jar'), 'models/digits.onnx'),
        'the jar')

// Jib: read the image tars (a docker-load tar of gzipped layer tars) as a container would see them, later layers
// over earlier ones.
def tarEntries = { InputStream input ->
    def files = [:]
    def header = new byte[512]
    while (true) {
        if (input.readNBytes(header, 0, 512) < 512 || header.every { it == 0 }) break
        def name = new String(header, 0, 100, 'ISO-8859-1').replaceAll('\u0000.*', '')
        def prefix = new String(header, 345, 155, 'ISO-8859-1').replaceAll('\u0000.*', '')
        if (prefix) name = prefix + '/' + name
        def size = Long.parseLong(new String(header, 124, 12, 'ISO-8859-1').replaceAll('[\u0000 ]', '') ?: '0', 8)
        def data = input.readNBytes((int) size)
        input.skipNBytes((512 - size % 512) % 512)
        if (header[156] == (byte) '0' || header[156] == 0) files[name.replaceFirst('^\\./', '')] = data
    }
    files
}
def imageFiles = { File tar ->
    def outer = tarEntries(new BufferedInputStream(new FileInputStream(tar)))
    def manifest = new groovy.json.JsonSlurper().parse(outer['manifest.json'])
    def files = [:]
    manifest[0].Layers.each { layer ->
        files.putAll(tarEntries(new GZIPInputStream(new ByteArrayInputStream(outer[layer]))))
    }
    files
}
def packaged = imageFiles(new File(basedir, 'jib/target/jib-packaged.tar'))
def jars = packaged.keySet().findAll { it.startsWith('app/') && it.endsWith('.jar') }
assert jars.size() == 1, "jib packaged: ${packaged.keySet()}"
def imageJar = File.createTempFile('jib', '.jar')
imageJar.bytes = packaged[jars.first()]
checkPruned('jib', entry(imageJar, 'models/digits.onnx'), "the packaged image's ${jars.first()}")
imageJar.delete()
def classes = imageFiles(new File(basedir, 'jib/target/jib-classes.tar'))
checkPruned('jib', classes['app/resources/models/digits.onnx'], "the default-mode image's app/resources")

// Tests: surefire read the model pruned at process-classes; the package execution reused it and shipped it.
assert log.contains('Tested the pruned model: ')
assert log.contains('No jar or war to ship into yet (this execution runs before package, or the packaging builds none): the pruned models are in target/onnx-prune/models')
def tests = log.substring(log.indexOf('ONNX models of tests-folder (execution for-tests'))
assert tests.indexOf('Tested the pruned model') < tests.indexOf('Models unchanged since the last run')
checkPruned('tests-folder', entry(new File(basedir, 'tests-folder/target/tests-folder-1.0.jar'), 'models/digits.onnx'), 'the jar')
// Failsafe, in integration-test: the built jar, not target/classes, is on the classpath, and holds the pruned model.
assert log =~ /Tested the shipped model from jar:file:.*failsafe\/target\/failsafe-1\.0\.jar!\/models\/digits\.onnx/
checkPruned('failsafe', entry(new File(basedir, 'failsafe/target/failsafe-1.0.jar'), 'models/digits.onnx'), 'the jar')
true
