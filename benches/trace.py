"""Tracing's cost: wall time and peak RSS of `effprof models` on every built-in suite, and on
a 70B Llama shape, each in a process of its own.

    python3 benches/trace.py EFFPROF_BINARY

Each row runs `effprof models --suite S --format json` and reads the traced variants out of its
document (how many were traced, whether every traced FLOP count equals the analytic one); the
peak RSS is the child's own, from wait4.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

LLAMA_70B = """[suite]
name = "llama-70b"
batch = 1
seq_len = 128
vocab = 128256
baseline = "llama-70b"

[[variant]]
name = "llama-70b"
family = "dense"
d_model = 8192
n_heads = 64
n_kv_heads = 8
d_ff = 28672
n_layers = 80
norm = "rmsnorm"
ffn = "swiglu"
bias = false
positions = "rotary"
"""


def run(binary, suite):
    started = time.monotonic()
    proc = subprocess.Popen([binary, "models", "--suite", suite, "--format", "json"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - started
    if status != 0:
        return wall, usage.ru_maxrss, "failed", ""
    doc = json.loads(out)
    variants = doc["variants"]
    traced = [v for v in variants if v.get("traced", {}).get("counted")]
    equal = all(v["traced"]["counted"]["flops"] == v["totals"]["flops_executed"] for v in traced)
    return wall, usage.ru_maxrss, f"{len(traced)}/{len(variants)}", "equal" if equal else "DIFFER"


def main():
    binary = sys.argv[1]
    listing = subprocess.run([binary, "models", "--list"], capture_output=True, text=True).stdout
    builtin = listing.split("files in")[0]
    suites = [line.split()[0] for line in builtin.splitlines() if line.startswith("  ")]
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
        f.write(LLAMA_70B)
        llama = f.name
    print(f"{'suite':<16} {'traced':>7} {'wall':>8} {'peak RSS':>10}  traced FLOPs")
    for suite in suites + [llama]:
        wall, rss_kb, traced, equal = run(binary, suite)
        name = "llama-70b" if suite == llama else suite
        print(f"{name:<16} {traced:>7} {wall:>7.2f}s {rss_kb / 1024:>8.0f} MB  {equal}", flush=True)
    os.unlink(llama)


if __name__ == "__main__":
    main()
