"""Time to first figure: how long after `effprof bench` starts each variant's first p50 appears.

    python3 benches/first_figure.py EFFPROF_BINARY SUITE BACKEND [SECONDS]

Runs `effprof bench --format jsonl` for SECONDS (default 20) and reads its summaries as they
arrive. For each variant it prints the wall time from the start of the process to the first
summary that carries the variant's latency p50, and the engine's own clock at that summary.
"""
import json
import subprocess
import sys
import time

binary, suite, backend = sys.argv[1:4]
seconds = sys.argv[4] if len(sys.argv) > 4 else "20"
started = time.monotonic()
proc = subprocess.Popen(
    [binary, "bench", "--suite", suite, "--backend", backend, "--duration", seconds, "--format", "jsonl"],
    stdout=subprocess.PIPE,
    stderr=subprocess.DEVNULL,
    text=True,
)
first = {}
names = []
for n, line in enumerate(proc.stdout):
    if n == 0:
        names = [a["name"] for a in json.loads(line)["analytic"]]
        continue
    summary = json.loads(line)
    wall = time.monotonic() - started
    for v in summary["variants"]:
        if v["name"] not in first and v.get("latency"):
            first[v["name"]] = (wall, summary["elapsed_s"], v["latency"]["p50_s"])
proc.wait()
print(f"{suite} on {backend}: time to first figure (process start -> first p50 in a summary)")
for name in names:
    if name in first:
        wall, engine, p50 = first[name]
        print(f"  {name:<20} {wall:7.2f} s (engine clock {engine:7.2f} s), p50 {p50 * 1e3:8.3f} ms")
    else:
        print(f"  {name:<20} no figure within the run")
if first:
    print(f"  first figure of any variant: {min(w for w, _, _ in first.values()):.2f} s")
