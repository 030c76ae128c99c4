#!/usr/bin/python3
"""Feasibility study: can gradient steps with the plugin's masks fixed lift a pruned MiniLM's pooled cosine?

Not used by the build. Reads the original all-minilm-l6-v2.onnx and a model the plugin pruned (weights: zeros
inside full-size MatMuls; nodes: attention heads and feed-forward units removed, smaller shapes), runs both as a
small BERT in PyTorch whose weights come from the ONNX initializers, and tunes the pruned one on calibration
sentences only, with its zeros (weights) or its removed units (nodes) kept fixed:

  blockwise   each block in turn, fed the tuned pruned model's own stream, trained to give the dense block's
              output on the dense stream (MSE over real tokens; every kept weight, bias and LayerNorm parameter)
  endtoend    the whole pruned encoder trained to give the dense model's last hidden states (MSE over real
              tokens) and, with --pooled-weight, its mean-pooled embedding (1 - cosine)

The figure is the plugin's: mean over the held-out sentences of the cosine between the pruned and the original's
mean-pooled last_hidden_state. --check DIR compares this forward with ONNX Runtime's pooled embeddings written
by io.github.onnxprune.tools.PooledEmbeddingDump (cosine per sentence must exceed 0.99999). --int8 also reports
the figure after simulated int8 (symmetric per-column weights rounded half to even, uint8 activations quantized per
MatMul call over the whole tensor as DynamicQuantizeLinear does, word-embedding rows int8).

Debian's torch: /usr/bin/python3 tools/minilm/gradient_study.py --help
"""
import argparse
import math
import os
import resource
import sys
import time

import numpy as np
import onnx
import torch
from onnx import numpy_helper

HEAD_DIM = 32
LINEARS = ["attention/self/query", "attention/self/key", "attention/self/value", "attention/output/dense",
           "intermediate/dense", "output/dense"]
NORMS = ["attention/output/LayerNorm", "output/LayerNorm"]


def read_onnx(path):
    """The embeddings and every block's parameters of a BERT export, found by node name as the exporter names them."""
    model = onnx.load(path)
    graph = model.graph
    init = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    consts = {n.output[0]: numpy_helper.to_array(n.attribute[0].t) for n in graph.node if n.op_type == "Constant"}
    nodes = {n.name: n for n in graph.node}

    def initializer_input(node):
        found = [init[i] for i in node.input if i in init]
        if len(found) != 1:
            raise ValueError("%s: expected one initializer input, found %d" % (node.name, len(found)))
        return found[0]

    def norm(prefix):
        eps = float(consts[nodes[prefix + "/Add"].input[1]])
        return (initializer_input(nodes[prefix + "/Mul"]), initializer_input(nodes[prefix + "/Add_1"]), eps)

    emb = {"word": init["embeddings.word_embeddings.weight"],
           "position": init["embeddings.position_embeddings.weight"],
           "token_type": init["embeddings.token_type_embeddings.weight"],
           "norm": norm("/embeddings/LayerNorm")}
    blocks = []
    layer = 0
    while "/encoder/layer.%d/attention/self/query/MatMul" % layer in nodes:
        p = "/encoder/layer.%d/" % layer
        block = {}
        for name in LINEARS:
            block[name] = (initializer_input(nodes[p + name + "/MatMul"]), initializer_input(nodes[p + name + "/Add"]))
        for name in NORMS:
            block[name] = norm(p + name)
        block["scale"] = float(consts[nodes[p + "attention/self/Div"].input[1]])
        block["gelu_div"] = float(consts[nodes[p + "intermediate/intermediate_act_fn/Div"].input[1]])
        blocks.append(block)
        layer += 1
    return emb, blocks


def layer_norm(x, weight, bias, eps):
    mean = x.mean(-1, keepdim=True)
    centred = x - mean
    return centred / torch.sqrt((centred * centred).mean(-1, keepdim=True) + eps) * weight + bias


class Quantizer:
    """Simulated int8 for the forward: weights rounded per column once, activations per call (uint8, whole tensor)."""

    def __init__(self, enabled):
        self.enabled = enabled

    def activation(self, x):
        if not self.enabled:
            return x
        low = torch.clamp(x.min(), max=0.0)
        high = torch.clamp(x.max(), min=0.0)
        scale = (high - low) / 255.0
        if scale == 0:
            return x
        zero = torch.round(-low / scale).clamp(0, 255)
        return (torch.clamp(torch.round(x / scale) + zero, 0, 255) - zero) * scale

    @staticmethod
    def weight(w, axis=0):
        """Symmetric int8, one scale per column (axis 0 reduced) or per row (axis 1), rounded half to even."""
        scale = w.abs().amax(dim=axis, keepdim=True) / 127.0
        scale = torch.where(scale == 0, torch.ones_like(scale), scale)
        return torch.round(w / scale).clamp(-127, 127) * scale


class Block(torch.nn.Module):
    """One BERT layer as the ONNX graph computes it; heads follow from the query weight's width."""

    def __init__(self, block):
        super().__init__()
        self.linear = torch.nn.ParameterDict()
        self.masks = {}
        for name in LINEARS:
            w, b = block[name]
            key = name.replace("/", "_")
            self.linear[key + "_w"] = torch.nn.Parameter(torch.tensor(w, dtype=torch.float32))
            self.linear[key + "_b"] = torch.nn.Parameter(torch.tensor(b, dtype=torch.float32))
        self.norm = torch.nn.ParameterDict()
        self.eps = {}
        for name in NORMS:
            g, b, eps = block[name]
            key = name.replace("/", "_")
            self.norm[key + "_g"] = torch.nn.Parameter(torch.tensor(g, dtype=torch.float32))
            self.norm[key + "_b"] = torch.nn.Parameter(torch.tensor(b, dtype=torch.float32))
            self.eps[key] = eps
        self.scale = block["scale"]
        self.gelu_div = block["gelu_div"]
        self.heads = block["attention/self/query"][0].shape[1] // HEAD_DIM
        self.quantizer = Quantizer(False)

    def fix_zeros(self):
        """Keeps the weights' current zeros as the mask (weight pruning)."""
        for name in LINEARS:
            key = name.replace("/", "_") + "_w"
            self.masks[key] = (self.linear[key].detach() != 0).float()

    def apply_masks(self):
        with torch.no_grad():
            for key, mask in self.masks.items():
                self.linear[key].mul_(mask)

    def dense(self, x, name):
        key = name.replace("/", "_")
        w = self.linear[key + "_w"]
        if self.quantizer.enabled:
            return self.quantizer.activation(x) @ Quantizer.weight(w) + self.linear[key + "_b"]
        return x @ w + self.linear[key + "_b"]

    def forward(self, x, additive_mask):
        batch, tokens, _ = x.shape
        q = self.dense(x, "attention/self/query").view(batch, tokens, self.heads, HEAD_DIM).transpose(1, 2)
        k = self.dense(x, "attention/self/key").view(batch, tokens, self.heads, HEAD_DIM).permute(0, 2, 3, 1)
        v = self.dense(x, "attention/self/value").view(batch, tokens, self.heads, HEAD_DIM).transpose(1, 2)
        scores = (q @ k) / self.scale + additive_mask
        context = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(batch, tokens, self.heads * HEAD_DIM)
        a = self.dense(context, "attention/output/dense") + x
        a = layer_norm(a, self.norm["attention_output_LayerNorm_g"], self.norm["attention_output_LayerNorm_b"],
                       self.eps["attention_output_LayerNorm"])
        h = self.dense(a, "intermediate/dense")
        h = h * (torch.erf(h / self.gelu_div) + 1.0) * 0.5
        o = self.dense(h, "output/dense") + a
        return layer_norm(o, self.norm["output_LayerNorm_g"], self.norm["output_LayerNorm_b"],
                          self.eps["output_LayerNorm"])


class Encoder(torch.nn.Module):
    """Embeddings (never trained here) and the blocks."""

    def __init__(self, path):
        super().__init__()
        emb, blocks = read_onnx(path)
        self.word = torch.tensor(emb["word"], dtype=torch.float32)
        self.position = torch.tensor(emb["position"], dtype=torch.float32)
        self.token_type = torch.tensor(emb["token_type"], dtype=torch.float32)
        self.emb_norm = [torch.tensor(emb["norm"][0]), torch.tensor(emb["norm"][1]), emb["norm"][2]]
        self.blocks = torch.nn.ModuleList([Block(b) for b in blocks])
        self.quantize_embeddings = False

    def set_int8(self, enabled):
        self.quantize_embeddings = enabled
        for b in self.blocks:
            b.quantizer = Quantizer(enabled)

    def embed(self, ids, types):
        word = Quantizer.weight(self.word, axis=1) if self.quantize_embeddings else self.word
        x = word[ids] + self.token_type[types] + self.position[: ids.shape[1]].unsqueeze(0)
        return layer_norm(x, *self.emb_norm)

    def forward(self, ids, mask, types, upto=None):
        x = self.embed(ids, types)
        additive = additive_mask(mask)
        for b in self.blocks[:upto]:
            x = b(x, additive)
        return x


def additive_mask(mask):
    # The export adds (1 - mask) * float32 lowest to the scores.
    return ((1.0 - mask.float()) * torch.finfo(torch.float32).min)[:, None, None, :]


def pooled(hidden, mask):
    m = mask.float().unsqueeze(-1)
    return (hidden * m).sum(1) / m.sum(1)


def mean_cosine(a, b):
    return torch.nn.functional.cosine_similarity(a, b, dim=1).mean().item()


def load_sentences(path, limit=None):
    data = np.load(path)
    ids, mask, types = (torch.tensor(data[k]) for k in ("input_ids", "attention_mask", "token_type_ids"))
    if limit:
        ids, mask, types = ids[:limit], mask[:limit], types[:limit]
    return ids, mask, types


def batches(sentences, size, shuffle, generator=None):
    """Batches of sentences of similar length, each cut to its longest, so padding costs little."""
    ids, mask, types = sentences
    lengths = mask.sum(1)
    order = torch.argsort(lengths, stable=True)
    groups = [order[i:i + size] for i in range(0, len(order), size)]
    if shuffle:
        groups = [groups[i] for i in torch.randperm(len(groups), generator=generator)]
    for g in groups:
        n = int(lengths[g].max())
        yield ids[g, :n], mask[g, :n], types[g, :n]


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load_average():
    return os.getloadavg()[0]


_REFERENCE = {}


def evaluate(dense, pruned, validation, int8=False):
    ids, mask, types = validation
    with torch.no_grad():
        if id(dense) not in _REFERENCE:
            _REFERENCE[id(dense)] = pooled(dense(ids, mask, types), mask)
        reference = _REFERENCE[id(dense)]
        pruned.set_int8(int8)
        figure = mean_cosine(reference, pooled(pruned(ids, mask, types), mask))
        pruned.set_int8(False)
    return figure


def check(args, dense, pruned, validation):
    ids, mask, types = validation
    for name, model, file in (("original", dense, args.original), ("pruned", pruned, args.pruned)):
        stem = os.path.basename(file)[: -len(".onnx")]
        with torch.no_grad():
            ours = pooled(model(ids, mask, types), mask)
        theirs = torch.tensor(np.fromfile(os.path.join(args.check, stem + ".pooled.f32"), dtype="<f4")
                              .reshape(ours.shape))
        cos = torch.nn.functional.cosine_similarity(ours, theirs, dim=1)
        print("check %s (%s): per-sentence cosine to ONNX Runtime min %.8f, max abs difference %.2e"
              % (name, stem, cos.min().item(), (ours - theirs).abs().max().item()))
        if cos.min().item() <= 0.99999:
            sys.exit("forward does not reproduce ONNX Runtime for " + file)


def masked_mse(output, target, mask):
    m = mask.float().unsqueeze(-1)
    return (((output - target) ** 2) * m).sum() / (m.sum() * output.shape[-1])


def report(tag, epoch, figure, start_cpu, start_wall, extra=""):
    print("%-10s epoch %2d  cosine %.4f  cpu %7.1f s  wall %7.1f s  load %.1f %s"
          % (tag, epoch, figure, cpu_seconds() - start_cpu, time.time() - start_wall, load_average(), extra),
          flush=True)


def tune_blockwise(args, dense, pruned, calibration, validation):
    """Block by block: the pruned block reads the tuned pruned stream and learns the dense block's output."""
    ids, mask, types = calibration
    order = torch.argsort(mask.sum(1), stable=True)
    groups = [order[i:i + args.batch] for i in range(0, len(order), args.batch)]
    cut = [int(mask[g].sum(1).max()) for g in groups]
    with torch.no_grad():
        dense_in = [dense.embed(ids[g, :n], types[g, :n]) for g, n in zip(groups, cut)]
        pruned_in = [pruned.embed(ids[g, :n], types[g, :n]) for g, n in zip(groups, cut)]
    masks = [mask[g, :n] for g, n in zip(groups, cut)]
    additive = [additive_mask(m) for m in masks]
    start_cpu, start_wall = cpu_seconds(), time.time()
    generator = torch.Generator().manual_seed(args.seed)
    for index, (dense_block, block) in enumerate(zip(dense.blocks, pruned.blocks)):
        with torch.no_grad():
            targets = [dense_block(x, a) for x, a in zip(dense_in, additive)]
        with torch.no_grad():
            before = sum(masked_mse(block(x, a), t, m).item() * m.sum().item()
                         for x, a, t, m in zip(pruned_in, additive, targets, masks)) / mask.sum().item()
        print("  block %d before    mse %.5f" % (index, before), flush=True)
        optimizer = torch.optim.Adam(block.parameters(), lr=args.lr)
        for epoch in range(1, args.epochs + 1):
            total = 0.0
            for i in torch.randperm(len(groups), generator=generator).tolist():
                optimizer.zero_grad()
                loss = masked_mse(block(pruned_in[i], additive[i]), targets[i], masks[i])
                loss.backward()
                optimizer.step()
                block.apply_masks()
                total += loss.item() * masks[i].sum().item()
            print("  block %d epoch %d  mse %.5f  cpu %.1f s" % (index, epoch, total / mask.sum().item(),
                                                               cpu_seconds() - start_cpu), flush=True)
        with torch.no_grad():
            pruned_in = [block(x, a) for x, a in zip(pruned_in, additive)]
            dense_in = targets
        if index < len(pruned.blocks) - 1:
            # The figure with this many blocks tuned (the later ones as the plugin left them).
            report("blockwise", index + 1, evaluate(dense, pruned, validation), start_cpu, start_wall,
                   "(blocks 0-%d tuned)" % index)
    report("blockwise", len(pruned.blocks), evaluate(dense, pruned, validation), start_cpu, start_wall,
           "(all blocks tuned)")
    if args.int8:
        print("blockwise int8 cosine %.4f" % evaluate(dense, pruned, validation, int8=True), flush=True)


def tune_endtoend(args, dense, pruned, calibration, validation):
    """The whole pruned encoder learns the dense model's last hidden states (and pooled embeddings)."""
    params = [p for b in pruned.blocks for p in b.parameters()]
    optimizer = torch.optim.Adam(params, lr=args.lr)
    ids, mask, types = calibration
    teacher_cpu = cpu_seconds()
    with torch.no_grad():
        cached = []
        for b_ids, b_mask, b_types in batches(calibration, args.batch, False):
            cached.append((b_ids, b_mask, b_types, dense(b_ids, b_mask, b_types)))
    # The figures' CPU seconds count from the first step; the dense model's one pass is reported apart.
    print("endtoend   dense model's pass over the calibration sentences: cpu %.1f s" % (cpu_seconds() - teacher_cpu),
          flush=True)
    def objective(out, b_mask, target):
        loss = masked_mse(out, target, b_mask)
        if args.pooled_weight:
            loss = loss + args.pooled_weight * (1 - torch.nn.functional.cosine_similarity(
                pooled(out, b_mask), pooled(target, b_mask), dim=1)).mean()
        return loss

    if len(ids) <= 512:
        # An extra pass of the pruned model, skipped for large sets to save its time.
        with torch.no_grad():
            before = sum(objective(pruned(i, m, t), m, target).item() for i, m, t, target in cached) / len(cached)
        print("endtoend   calibration loss before tuning %.5f" % before, flush=True)
    steps = args.epochs * len(cached)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 0.5 * (1 + math.cos(math.pi * s / steps)))
    start_cpu, start_wall = cpu_seconds(), time.time()
    generator = torch.Generator().manual_seed(args.seed)
    done = 0
    for epoch in range(1, args.epochs + 1):
        total = 0.0
        for i in torch.randperm(len(cached), generator=generator).tolist():
            b_ids, b_mask, b_types, target = cached[i]
            optimizer.zero_grad()
            out = pruned(b_ids, b_mask, b_types)
            loss = objective(out, b_mask, target)
            loss.backward()
            optimizer.step()
            schedule.step()
            for b in pruned.blocks:
                b.apply_masks()
            total += loss.item()
            done += 1
            if args.eval_every and done % args.eval_every == 0:
                report("endtoend", epoch, evaluate(dense, pruned, validation), start_cpu, start_wall,
                       "step %d of %d" % (done, steps))
        extra = "loss %.5f" % (total / len(cached))
        if args.int8 and (epoch == args.epochs or args.int8_every):
            extra += "  int8 %.4f" % evaluate(dense, pruned, validation, int8=True)
        report("endtoend", epoch, evaluate(dense, pruned, validation), start_cpu, start_wall, extra)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("original")
    parser.add_argument("pruned")
    parser.add_argument("--data", default="benchmarks/minilm/src/data")
    parser.add_argument("--calibration", default="calibration.npz")
    parser.add_argument("--sentences", type=int, default=None, help="first N calibration sentences only")
    parser.add_argument("--mode", choices=["none", "blockwise", "endtoend", "both"], default="none",
                        help="both: block-wise, then end-to-end from its result")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--epochs2", type=int, default=None, help="end-to-end epochs after block-wise (both)")
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--pooled-weight", type=float, default=0.0)
    parser.add_argument("--weights-mask", action="store_true",
                        help="keep the pruned model's zeros fixed (weight pruning)")
    parser.add_argument("--int8", action="store_true")
    parser.add_argument("--int8-every", action="store_true")
    parser.add_argument("--eval-every", type=int, default=0, help="end-to-end: the figure every N steps too")
    parser.add_argument("--check", metavar="DIR", help="PooledEmbeddingDump's output for both models")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--save", metavar="FILE", help="write the tuned blocks' parameters (torch.save)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    dense, pruned = Encoder(args.original), Encoder(args.pruned)
    for p in dense.parameters():
        p.requires_grad_(False)
    if args.weights_mask:
        for b in pruned.blocks:
            b.fix_zeros()
    validation = load_sentences(os.path.join(args.data, "validation.npz"))
    calibration = load_sentences(os.path.join(args.data, args.calibration), args.sentences)
    zeros = sum(int((b.linear[k] == 0).sum()) for b in pruned.blocks for k in b.linear.keys() if k.endswith("_w"))
    heads = [b.heads for b in pruned.blocks]
    units = [b.linear["intermediate_dense_w"].shape[1] for b in pruned.blocks]
    print("pruned: heads %s, feed-forward units %s, zero weights %d; calibration %d sentences, %d real tokens; "
          "threads %d" % (heads, units, zeros, calibration[0].shape[0], int(calibration[1].sum()), args.threads))
    if args.check:
        check(args, dense, pruned, validation)
    start = evaluate(dense, pruned, validation)
    print("as pruned: cosine %.4f" % start + ("  int8 %.4f" % evaluate(dense, pruned, validation, True)
                                              if args.int8 else ""), flush=True)
    if args.mode in ("blockwise", "both"):
        tune_blockwise(args, dense, pruned, calibration, validation)
    if args.mode in ("endtoend", "both"):
        if args.mode == "both" and args.epochs2 is not None:
            args.epochs = args.epochs2
        tune_endtoend(args, dense, pruned, calibration, validation)
    if args.save:
        torch.save(pruned.blocks.state_dict(), args.save)


if __name__ == "__main__":
    main()
