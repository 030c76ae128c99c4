def log = new File(basedir, 'build.log').text
// An output name the model does not have is the user's to fix: a build failure in one paragraph, not an
// execution error with a stack trace.
assert log =~ /\[ERROR\] Failed to execute goal io\.github\.onnxprune:onnx-prune-maven-plugin:[^:]+:prune \(default\) on project unknown-output: Model models\/digits\.onnx: The model has no output named 'probabilities'\. Its outputs are: '[^']+'\. Set <outputName> to one of them\./
assert log.contains('MAVEN/MojoFailureException')
assert !log.contains('MojoExecutionException')
assert !log.contains('\tat io.github.onnxprune')
assert !new File(basedir, 'target/onnx-prune/models').exists()
true
