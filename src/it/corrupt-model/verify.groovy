def log = new File(basedir, 'build.log').text
assert log.contains('models/digits.onnx: the file is not a valid ONNX model (')
assert log.contains('It may be truncated or not an ONNX model at all; export it again. It is the build\'s copy of src/main/resources/models/digits.onnx: replace that file.')
assert !log.contains('at io.github.onnxprune')
// Nothing was written but the output folder's lock file (a run holds it from its start).
def output = new File(basedir, 'target/onnx-prune')
assert !output.exists() || output.list() as List == ['.lock']
true
