/** Int8 quantization as a pipeline step, with the accuracy fallback that puts the worst layers back to float. */
package io.github.onnxprune.step.int8;
