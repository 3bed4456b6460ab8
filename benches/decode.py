"""effprof's decode step against PyTorch eager with a KV cache, on the same machine.

    python3 benches/decode.py [EFFPROF_BINARY] [ROUNDS] [REQUESTS] [BACKEND] [BATCH]

The `generation` suite's `dense` variant, a Llama-style decoder (RMSNorm, SwiGLU, no biases,
rotary positions), is rebuilt in PyTorch from effprof's own resolved dimensions (`effprof
models --suite generation --format json`), with a preallocated KV cache written in place as
effprof's is. ROUNDS times, interleaved: `effprof generate` (REQUESTS timed requests on
BACKEND, default flex), then the same requests in PyTorch (torch.set_num_threads = the
machine's cores, `inference_mode`). Each decode step is fed the argmax of the last one, in both.
Prints the median inter-token latency (ITL p50) and time to first token of each, and the ratio
effprof / PyTorch. Needs torch; not run in CI.
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
REQUESTS = int(sys.argv[3]) if len(sys.argv) > 3 else 5
BACKEND = sys.argv[4] if len(sys.argv) > 4 else "flex"
BATCH = int(sys.argv[5]) if len(sys.argv) > 5 else None
VARIANT = "dense"


def suite():
    out = subprocess.run(
        [BINARY, "models", "--suite", "generation", "--format", "json"],
        check=True, capture_output=True, text=True,
    ).stdout
    doc = json.loads(out)["suite"]
    variant = next(v for v in doc["variants"] if v["name"] == VARIANT)
    return doc["workload"], variant


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


class Attention(nn.Module):
    def __init__(self, d, h, kv_heads, positions):
        super().__init__()
        self.h, self.kvh, self.dh = h, kv_heads, d // h
        self.q = nn.Linear(d, d, bias=False)
        self.k = nn.Linear(d, kv_heads * self.dh, bias=False)
        self.v = nn.Linear(d, kv_heads * self.dh, bias=False)
        self.o = nn.Linear(d, d, bias=False)
        half = self.dh // 2
        inv = 1.0 / (10000 ** (torch.arange(half).float() * 2 / self.dh))
        angles = torch.arange(positions).float()[:, None] * inv[None, :]
        angles = torch.cat([angles, angles], dim=-1)
        self.register_buffer("cos", angles.cos())
        self.register_buffer("sin", angles.sin())

    def forward(self, x, cache, start):
        b, n, d = x.shape
        q = self.q(x).view(b, n, self.h, self.dh).transpose(1, 2)
        k = self.k(x).view(b, n, self.kvh, self.dh).transpose(1, 2)
        v = self.v(x).view(b, n, self.kvh, self.dh).transpose(1, 2)
        cos, sin = self.cos[start:start + n], self.sin[start:start + n]
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        keys, values = cache
        keys[:, :, start:start + n] = k
        values[:, :, start:start + n] = v
        end = start + n
        k_all, v_all = keys[:, :, :end], values[:, :, :end]
        if self.kvh != self.h:
            k_all = k_all.repeat_interleave(self.h // self.kvh, dim=1)
            v_all = v_all.repeat_interleave(self.h // self.kvh, dim=1)
        # Causal in the prefill; a decode step's one query sees every cached position.
        context = nn.functional.scaled_dot_product_attention(q, k_all, v_all, is_causal=n > 1)
        return self.o(context.transpose(1, 2).reshape(b, n, d))


class Block(nn.Module):
    def __init__(self, d, h, kv_heads, f, positions):
        super().__init__()
        self.attention_norm, self.ffn_norm = nn.RMSNorm(d), nn.RMSNorm(d)
        self.attention = Attention(d, h, kv_heads, positions)
        self.gate = nn.Linear(d, f, bias=False)
        self.up = nn.Linear(d, f, bias=False)
        self.down = nn.Linear(f, d, bias=False)

    def forward(self, x, cache, start):
        x = x + self.attention(self.attention_norm(x), cache, start)
        h = self.ffn_norm(x)
        return x + self.down(nn.functional.silu(self.gate(h)) * self.up(h))


class Decoder(nn.Module):
    def __init__(self, v, vocab, positions):
        super().__init__()
        d, h, f = v["d_model"], v["n_heads"], v["d_ff"]
        self.kvh, self.dh = v.get("n_kv_heads", h), d // h
        self.embedding = nn.Embedding(vocab, d)
        self.blocks = nn.ModuleList(
            Block(d, h, self.kvh, f, positions) for _ in range(v["n_layers"]))
        self.final_norm = nn.RMSNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)

    def cache(self, batch, capacity):
        shape = (batch, self.kvh, capacity, self.dh)
        return [(torch.zeros(shape), torch.zeros(shape)) for _ in self.blocks]

    def forward(self, tokens, cache, start):
        x = self.embedding(tokens)
        for block, layer_cache in zip(self.blocks, cache):
            x = block(x, layer_cache, start)
        return self.head(self.final_norm(x[:, -1]))


def torch_request(model, workload, batch):
    prompt_len, gen_len = workload["seq_len"], workload["gen_len"]
    prompt = torch.randint(0, workload["vocab"], (batch, prompt_len))
    cache = model.cache(batch, prompt_len + gen_len)
    start = time.perf_counter()
    token = model(prompt, cache, 0).argmax(-1, keepdim=True)
    ttft = time.perf_counter() - start
    steps = []
    for i in range(gen_len):
        t = time.perf_counter()
        token = model(token, cache, prompt_len + i).argmax(-1, keepdim=True)
        steps.append(time.perf_counter() - t)
    return ttft, steps


def torch_figures(model, workload, batch, requests):
    ttfts, steps = [], []
    with torch.inference_mode():
        torch_request(model, workload, batch)
        for _ in range(requests):
            ttft, s = torch_request(model, workload, batch)
            ttfts.append(ttft)
            steps.extend(s)
    return statistics.median(ttfts), statistics.median(steps)


def effprof_figures(batch):
    cmd = [BINARY, "generate", "--suite", "generation", "--variants", VARIANT,
           "--backend", BACKEND, "--requests", str(REQUESTS), "--format", "json"]
    if batch is not None:
        cmd += ["--batch", str(batch)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    run = next(r for r in json.loads(out)["generate"]["runs"] if r["variant"] == VARIANT)
    return run["ttft"]["p50"], run["itl"]["p50"]


def main():
    warn_if_busy()
    workload, variant = suite()
    batch = BATCH or workload["batch"]
    threads = os.cpu_count() or 1
    torch.set_num_threads(threads)
    torch.manual_seed(11)
    positions = workload["seq_len"] + workload["gen_len"]
    model = Decoder(variant, workload["vocab"], positions).eval()
    runs = {"effprof": ([], []), "torch": ([], [])}
    for r in range(ROUNDS):
        e_ttft, e_itl = effprof_figures(batch)
        t_ttft, t_itl = torch_figures(model, workload, batch, REQUESTS)
        runs["effprof"][0].append(e_ttft)
        runs["effprof"][1].append(e_itl)
        runs["torch"][0].append(t_ttft)
        runs["torch"][1].append(t_itl)
        print(f"round {r + 1}/{ROUNDS}: effprof ({BACKEND}) ITL {e_itl * 1e3:.3f} ms, "
              f"TTFT {e_ttft * 1e3:.2f} ms; torch ITL {t_itl * 1e3:.3f} ms, "
              f"TTFT {t_ttft * 1e3:.2f} ms", flush=True)
    med = {k: (statistics.median(v[0]), statistics.median(v[1])) for k, v in runs.items()}
    print(f"\ngeneration/{VARIANT}: batch {batch}, prompt {workload['seq_len']}, "
          f"{workload['gen_len']} generated; torch {torch.__version__}, {threads} threads; "
          f"median over {ROUNDS} interleaved rounds")
    (e_ttft, e_itl), (t_ttft, t_itl) = med["effprof"], med["torch"]
    print(f"  decode step (ITL p50): effprof {BACKEND} {e_itl * 1e3:.3f} ms, torch "
          f"{t_itl * 1e3:.3f} ms: {e_itl / t_itl:.2f}x torch")
    print(f"  time to first token:   effprof {BACKEND} {e_ttft * 1e3:.2f} ms, torch "
          f"{t_ttft * 1e3:.2f} ms: {e_ttft / t_ttft:.2f}x torch")


if __name__ == "__main__":
    main()
