package io.github.onnxprune.step.int8;

/**
 * One round of the int8 accuracy fallback: after the gate failed, some quantized layers went back to float.
 *
 * @param round 1 for the first round
 * @param putBack layers this round put back to float
 * @param layersFloat layers the fallback has put back so far, this round's included
 * @param cause the broken limit that started the round, e.g. "cosine 0.9880 did not pass the gate"
 * @param elapsedMillis time since the step started, its quantizations and the pipeline's measurements included
 */
public record FallbackRound(int round, int putBack, int layersFloat, String cause, long elapsedMillis) {
}
