#!/usr/bin/env bash
# Soak: the TUI on a suite for a long run, switching backend every few minutes, with the
# process's resident memory sampled every 30 s and every thread's CPU time read at the end.
#
#   benches/soak.sh [MINUTES] [SWITCH_EVERY_MINUTES] [SUITE]     (defaults: 30 5 misnomer)
#
# Prints the RSS samples (with wgpu's pool as its gauge shows it), the growth from the first
# minute to the end, and each thread's share of the process's CPU time. Needs tmux and
# Linux's /proc; run `cargo build --release` first.
set -euo pipefail
minutes=${1:-30}
every=${2:-5}
suite=${3:-misnomer}
bin=${EFFPROF:-${CARGO_TARGET_DIR:-target}/release/effprof}
[ -x "$bin" ] || { echo "no binary at $bin: cargo build --release first" >&2; exit 1; }
session="effprof-soak-$$"
out=$(mktemp -d)
tmux new-session -d -s "$session" -x 160 -y 48 "$bin --suite $suite --out-dir $out"
trap 'tmux kill-session -t "$session" 2>/dev/null || true' EXIT
sleep 2
pid=$(pgrep -n -f "^$bin --suite $suite --out-dir $out")
echo "soak: pid $pid, suite $suite, $minutes min, backend switch every $every min"
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status"; }
start=$SECONDS
first_minute=""
samples=0
while [ $((SECONDS - start)) -lt $((minutes * 60)) ]; do
  sleep 30
  t=$((SECONDS - start))
  rss=$(rss_kb)
  samples=$((samples + 1))
  # The device-memory gauge (wgpu's pool: in use of reserved); blank on the host backends.
  device=$(tmux capture-pane -p -t "$session" | grep -o '[0-9.]* [kMGT]\?B of [0-9.]* [kMGT]\?B' | head -1 || true)
  printf '%6d s  rss %8.1f MB  %s\n' "$t" "$(echo "$rss / 1000" | bc -l)" "${device:+device pool $device}"
  if [ -z "$first_minute" ] && [ "$t" -ge 60 ]; then first_minute=$rss; fi
  if [ $(((t / 30) % (every * 2))) -eq 0 ]; then
    tmux send-keys -t "$session" b
    echo "        -> next backend"
  fi
done
last=$(rss_kb)
printf 'rss growth after the first minute: %.1f MB (%.1f -> %.1f MB)\n' \
  "$(echo "($last - $first_minute) / 1000" | bc -l)" \
  "$(echo "$first_minute / 1000" | bc -l)" "$(echo "$last / 1000" | bc -l)"
echo "CPU time by thread (utime + stime):"
ticks=$(getconf CLK_TCK)
total=0
declare -A by_name
for task in /proc/"$pid"/task/*; do
  name=$(cat "$task/comm")
  read -r -a f < <(sed 's/.*) //' "$task/stat")
  t=$((f[11] + f[12]))
  by_name[$name]=$(( ${by_name[$name]:-0} + t ))
  total=$((total + t))
done
for name in "${!by_name[@]}"; do
  printf '  %-24s %8.1f s  %5.1f%%\n' "$name" "$(echo "${by_name[$name]} / $ticks" | bc -l)" \
    "$(echo "100 * ${by_name[$name]} / ($total + 0.0001)" | bc -l)"
done | sort -k2 -nr
tmux send-keys -t "$session" q
