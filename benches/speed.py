"""effprof against PyTorch eager on the same machine: misnomer's dense-base and switch-8e.

    python3 benches/speed.py [EFFPROF_BINARY] [ROUNDS] [SECONDS]

Interleaves, ROUNDS times: `effprof bench` on flex, then on ndarray (both variants, SECONDS of
measuring each), then PyTorch eager (torch.set_num_threads = the machine's cores,
`inference_mode`) on the same two architectures for SECONDS each, built from effprof's own
resolved dimensions (`effprof models --format json`). Prints each one's median p50 over the
rounds and the ratios effprof / PyTorch. Needs torch; not run in CI.

The PyTorch models follow effprof's zoo layer for layer: token and learned position
embeddings, pre-LN blocks (LayerNorm, multi-head self-attention as matmul-softmax-matmul,
residual; LayerNorm, GELU FFN or a Switch MoE FFN, residual), a final LayerNorm, an untied LM
head. The MoE routes each token to its top-1 expert by a softmax router, up to a capacity of
ceil(cf * tokens / experts) tokens per expert (the rest are dropped), runs the experts as one
batched matmul over [experts, capacity, d] and scales each output by its gate, as effprof does.
"""
import json
import math
import os
import statistics
import subprocess
import sys
import time

import torch
from torch import nn

from common import warn_if_busy

BINARY = sys.argv[1] if len(sys.argv) > 1 else "target/release/effprof"
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
SECONDS = float(sys.argv[3]) if len(sys.argv) > 3 else 6.0
VARIANTS = ["dense-base", "switch-8e"]


def suite():
    out = subprocess.run(
        [BINARY, "models", "--suite", "misnomer", "--format", "json"],
        check=True, capture_output=True, text=True,
    ).stdout
    doc = json.loads(out)
    return doc["suite"], {v["name"]: v for v in doc["suite"]["variants"]}


class Attention(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.h = h
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))

    def forward(self, x):
        b, s, d = x.shape
        heads = lambda t: t.reshape(b, s, self.h, d // self.h).transpose(1, 2)
        q, k, v = heads(self.q(x)), heads(self.k(x)), heads(self.v(x))
        scores = q @ k.transpose(2, 3) / math.sqrt(d // self.h)
        context = torch.softmax(scores, dim=3) @ v
        return self.o(context.transpose(1, 2).reshape(b, s, d))


class Switch(nn.Module):
    def __init__(self, d, f, experts, capacity_factor):
        super().__init__()
        self.e, self.cf = experts, capacity_factor
        self.router = nn.Linear(d, experts, bias=False)
        self.up = nn.Parameter(torch.randn(experts, d, f) / math.sqrt(d))
        self.up_bias = nn.Parameter(torch.zeros(experts, 1, f))
        self.down = nn.Parameter(torch.randn(experts, f, d) / math.sqrt(f))
        self.down_bias = nn.Parameter(torch.zeros(experts, 1, d))

    def forward(self, x):
        tokens, d = x.shape
        capacity = math.ceil(self.cf * tokens / self.e)
        probs = torch.softmax(self.router(x), dim=1)
        gate, choice = probs.max(dim=1)
        onehot = torch.nn.functional.one_hot(choice, self.e)
        position = (onehot.cumsum(0) * onehot).sum(1) - 1
        kept = position < capacity
        slot = torch.where(kept, choice * capacity + position, self.e * capacity)
        padded = torch.zeros(self.e * capacity + 1, d)
        padded[slot] = x
        hidden = torch.nn.functional.gelu(
            padded[:-1].reshape(self.e, capacity, d) @ self.up + self.up_bias)
        out = (hidden @ self.down + self.down_bias).reshape(self.e * capacity, d)
        out = torch.cat([out, torch.zeros(1, d)])
        return out[slot] * gate.unsqueeze(1)


class Block(nn.Module):
    def __init__(self, dims, moe):
        super().__init__()
        d, f = dims["d_model"], dims["d_ff"]
        self.attention_norm, self.ffn_norm = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attention = Attention(d, dims["n_heads"])
        if moe:
            self.moe = Switch(d, f, moe["n_experts"], moe["capacity_factor"])
        else:
            self.moe = None
            self.up, self.down = nn.Linear(d, f), nn.Linear(f, d)

    def forward(self, x):
        x = x + self.attention(self.attention_norm(x))
        h = self.ffn_norm(x)
        if self.moe is not None:
            b, s, d = h.shape
            return x + self.moe(h.reshape(b * s, d)).reshape(b, s, d)
        return x + self.down(torch.nn.functional.gelu(self.up(h)))


class Lm(nn.Module):
    def __init__(self, variant, workload):
        super().__init__()
        d, vocab, seq = variant["d_model"], workload["vocab"], workload["seq_len"]
        family = variant["family"]
        moe = family if family["kind"] == "moe" else None
        self.embedding = nn.Embedding(vocab, d)
        self.position = nn.Parameter(torch.randn(seq, d))
        self.blocks = nn.ModuleList(
            Block(variant, moe if moe and (i + 1) % moe["moe_every"] == 0 else None)
            for i in range(variant["n_layers"]))
        self.final_norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)

    def forward(self, tokens):
        x = self.embedding(tokens) + self.position[: tokens.shape[1]]
        for block in self.blocks:
            x = block(x)
        return self.head(self.final_norm(x))


def torch_p50(model, workload, seconds):
    tokens = torch.randint(0, workload["vocab"], (workload["batch"], workload["seq_len"]))
    times = []
    with torch.inference_mode():
        for _ in range(10):
            model(tokens)
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            t = time.perf_counter()
            # A data dependency between iterations, as effprof's timing has.
            tokens = model(tokens).argmax(-1)
            times.append(time.perf_counter() - t)
    return statistics.median(times)


def effprof_p50(backend, seconds):
    out = subprocess.run(
        [BINARY, "bench", "--suite", "misnomer", "--variants", ",".join(VARIANTS),
         "--backend", backend, "--duration", str(seconds), "--format", "json"],
        check=True, capture_output=True, text=True,
    ).stdout
    snapshot = json.loads(out)
    kernels = snapshot["host"].get("cpu_kernels", "not reported")
    return {v["name"]: v["measured"]["latency"]["p50_s"] for v in snapshot["variants"]}, kernels


def main():
    warn_if_busy()
    workload, variants = suite()
    workload = {**workload["workload"]}
    threads = os.cpu_count() or 1
    torch.set_num_threads(threads)
    torch.manual_seed(7)
    models = {name: Lm(variants[name], workload).eval() for name in VARIANTS}
    runs = {("flex", n): [] for n in VARIANTS}
    runs.update({("ndarray", n): [] for n in VARIANTS})
    runs.update({("torch", n): [] for n in VARIANTS})
    kernels = None
    for r in range(ROUNDS):
        for backend in ["flex", "ndarray"]:
            p50, kernels = effprof_p50(backend, SECONDS)
            for n in VARIANTS:
                runs[(backend, n)].append(p50[n])
        for n in VARIANTS:
            runs[("torch", n)].append(torch_p50(models[n], workload, SECONDS))
        print(f"round {r + 1}/{ROUNDS}: " + ", ".join(
            f"{k[0]} {k[1]} {v[-1] * 1e3:.2f} ms" for k, v in runs.items()), flush=True)
    print(f"\neffprof CPU kernels: {kernels}; torch {torch.__version__}, {threads} threads")
    print(f"median p50 over {ROUNDS} interleaved rounds (batch {workload['batch']} x seq_len "
          f"{workload['seq_len']}):")
    for n in VARIANTS:
        t = statistics.median(runs[("torch", n)])
        row = [f"  {n:<12} torch {t * 1e3:7.2f} ms"]
        for backend in ["flex", "ndarray"]:
            e = statistics.median(runs[(backend, n)])
            row.append(f"{backend} {e * 1e3:7.2f} ms ({e / t:.2f}x torch)")
        print("  ".join(row))


if __name__ == "__main__":
    main()
