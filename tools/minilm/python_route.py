#!/usr/bin/python3
"""The Python route issue 9 compares the plain prune with: load an ONNX model, prune every MatMul weight to 50%
by L1 magnitude with torch.nn.utils.prune, save it. Prints the wall time of each part and of the three together
(imports excluded; the whole process's time is what `time` around this script says).

Run with Debian's interpreter, which has python3-torch and python3-onnx:
    /usr/bin/python3 tools/minilm/python_route.py <model.onnx> <pruned.onnx> [fraction]
"""
import sys
import time

import numpy
import onnx
import torch
from onnx import numpy_helper
from torch.nn.utils import prune


def matmul_weights(graph):
    """Names of the 2-D initializers that MatMul nodes read as their second input: what the plugin prunes."""
    initializers = {tensor.name: tensor for tensor in graph.initializer}
    names = []
    for node in graph.node:
        if node.op_type == "MatMul" and len(node.input) == 2:
            tensor = initializers.get(node.input[1])
            if tensor is not None and len(tensor.dims) == 2 and tensor.name not in names:
                names.append(tensor.name)
    return names


def main():
    source, target = sys.argv[1], sys.argv[2]
    fraction = float(sys.argv[3]) if len(sys.argv) > 3 else 0.5
    start = time.perf_counter()
    model = onnx.load(source)
    loaded = time.perf_counter()
    index = {tensor.name: i for i, tensor in enumerate(model.graph.initializer)}
    names = matmul_weights(model.graph)
    for name in names:
        holder = torch.nn.Module()
        holder.weight = torch.nn.Parameter(torch.from_numpy(numpy_helper.to_array(
            model.graph.initializer[index[name]]).copy()))
        prune.l1_unstructured(holder, "weight", amount=fraction)
        prune.remove(holder, "weight")
        pruned = numpy_helper.from_array(holder.weight.detach().numpy().astype(numpy.float32), name)
        model.graph.initializer[index[name]].CopyFrom(pruned)
    pruned_at = time.perf_counter()
    onnx.save(model, target)
    saved = time.perf_counter()
    print(f"{len(names)} tensors pruned to {fraction}: load {loaded - start:.2f} s, prune {pruned_at - loaded:.2f} s,"
          f" save {saved - pruned_at:.2f} s, together {saved - start:.2f} s")


if __name__ == "__main__":
    main()
