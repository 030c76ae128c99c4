#!/usr/bin/python3
"""Per-layer sparsities for MiniLM under the same total of zeros, from measured sensitivities.

Input: the output of two `MiniLmReconstructionBenchmark -Ddiagnose=true` runs, at 50% and at 60% (uniform),
whose `sensitivity <tensor> <node> <size> <loss>` lines give each layer's loss (1 - pooled cosine on 64
calibration sentences) when only that layer's re-fitted weights are put into the dense model. Model:
L_i(s) = L_i(0.5) * exp(a_i (s - 0.5)), a_i from the two runs; minimise sum L_i(s_i) subject to
sum n_i s_i = the uniform 50% count (exactly), s_i within [low, high], by bisection on the Lagrange multiplier.
Prints the `tensor=fraction` list for -Doverrides / -Donnx-prune.sparsityOverrides (each fraction is
(k + 0.5) / n, so floor(fraction * n) is the chosen count k); the table goes to stderr.

Usage: /usr/bin/python3 tools/minilm/allocate_sparsity.py sens50.txt sens60.txt [low high]
"""
import math
import sys


def read(path):
    out = {}
    for line in open(path):
        parts = line.split()
        if parts and parts[0] == 'sensitivity':
            out[parts[1]] = (parts[2], int(parts[3]), max(float(parts[4]), 1e-6))
    return out


def main():
    at50, at60 = read(sys.argv[1]), read(sys.argv[2])
    low = float(sys.argv[3]) if len(sys.argv) > 3 else 0.25
    high = float(sys.argv[4]) if len(sys.argv) > 4 else 0.8
    names = list(at50)
    size = {w: at50[w][1] for w in names}
    loss = {w: at50[w][2] for w in names}
    slope = {w: min(40.0, max(2.0, math.log(at60[w][2] / at50[w][2]) / 0.1)) for w in names}
    zeros = sum(math.floor(0.5 * size[w]) for w in names)

    def sparsities(log_mu):
        return {w: min(high, max(low, 0.5 + (log_mu + math.log(size[w] / (loss[w] * slope[w]))) / slope[w]))
                for w in names}

    lo, hi = -60.0, 60.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if sum(sparsities(mid)[w] * size[w] for w in names) > zeros:
            hi = mid
        else:
            lo = mid
    chosen = sparsities(lo)
    count = {w: int(round(chosen[w] * size[w])) for w in names}
    left = zeros - sum(count.values())
    for w in sorted(names, key=lambda w: -size[w]):
        if left == 0:
            break
        step = 1 if left > 0 else -1
        count[w] += step
        left -= step
    assert sum(count.values()) == zeros
    for w in names:
        sys.stderr.write("%-18s %-50s n %7d loss50 %.5f loss60 %.5f a %5.1f -> %.4f\n"
                         % (w, at50[w][0], size[w], loss[w], at60[w][2], slope[w], count[w] / size[w]))
    predicted = sum(loss[w] * math.exp(slope[w] * (count[w] / size[w] - 0.5)) for w in names)
    sys.stderr.write("zeros %d; predicted sum of layer losses %.4f against %.4f uniform\n"
                     % (zeros, predicted, sum(loss.values())))
    print(",".join("%s=%.10f" % (w, (count[w] + 0.5) / size[w]) for w in names))


if __name__ == '__main__':
    main()
