"""The misnomer suite's dense baseline in PyTorch CPU eager mode, at effprof's shapes.

    python3 benches/torch_reference.py [THREADS]

Same architecture as effprof's zoo: token and learned position embeddings, pre-LN blocks
(LayerNorm, 4-head self-attention, residual; LayerNorm, GELU FFN, residual), a final LayerNorm
and an untied LM head. d_model 128, d_ff 512, 4 layers, vocab 1024, batch 2 x seq_len 128.
Prints the p50 forward latency over many runs and the time by op kind (torch.profiler), to set
beside `effprof bench --variants dense-base` on the same machine and thread count.
"""
import math
import statistics
import sys
import time

import torch
from torch import nn

D, H, F, L, VOCAB, BATCH, SEQ = 128, 4, 512, 4, 1024, 2, 128


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.attention_norm = nn.LayerNorm(D)
        self.q, self.k, self.v, self.o = (nn.Linear(D, D) for _ in range(4))
        self.ffn_norm = nn.LayerNorm(D)
        self.up, self.down = nn.Linear(D, F), nn.Linear(F, D)

    def attention(self, x):
        b, s, d = x.shape
        heads = lambda t: t.reshape(b, s, H, d // H).transpose(1, 2)
        q, k, v = heads(self.q(x)), heads(self.k(x)), heads(self.v(x))
        scores = q @ k.transpose(2, 3) / math.sqrt(d // H)
        context = torch.softmax(scores, dim=3) @ v
        return self.o(context.transpose(1, 2).reshape(b, s, d))

    def forward(self, x):
        x = x + self.attention(self.attention_norm(x))
        return x + self.down(torch.nn.functional.gelu(self.up(self.ffn_norm(x))))


class Lm(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, D)
        self.position = nn.Parameter(torch.randn(SEQ, D))
        self.blocks = nn.ModuleList(Block() for _ in range(L))
        self.final_norm = nn.LayerNorm(D)
        self.head = nn.Linear(D, VOCAB, bias=False)

    def forward(self, tokens):
        x = self.embedding(tokens) + self.position[: tokens.shape[1]]
        for block in self.blocks:
            x = block(x)
        return self.head(self.final_norm(x))


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    torch.set_num_threads(threads)
    torch.manual_seed(7)
    model = Lm().eval()
    tokens = torch.randint(0, VOCAB, (BATCH, SEQ))
    times = []
    with torch.inference_mode():
        for _ in range(20):
            model(tokens)
        deadline = time.perf_counter() + 10.0
        while time.perf_counter() < deadline:
            t = time.perf_counter()
            logits = model(tokens)
            # A data dependency between iterations, as effprof's timing has.
            tokens = logits.argmax(-1)
            times.append(time.perf_counter() - t)
        p50 = statistics.median(times)
        print(f"torch {torch.__version__}, {threads} threads: dense-base forward p50 "
              f"{p50 * 1e3:.2f} ms over {len(times)} runs (min {min(times) * 1e3:.2f} ms)")
        from torch.profiler import ProfilerActivity, profile
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for _ in range(20):
                model(tokens)
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12))


if __name__ == "__main__":
    main()
