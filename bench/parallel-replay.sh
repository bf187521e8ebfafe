#!/usr/bin/env bash
# Backfill on every core (issue 16): `casguard replay` of several IIS files into bench/null-bulk-sink.mjs (which
# costs next to nothing), alternating the same replay pinned to one core (`taskset -c 0`, --workers 1: everything
# on one thread) and unpinned with worker threads (--workers 2 by default: `auto` gives one thread on 2 vCPUs).
# Prints each run, the medians and their ratio (target: >= 1.7 for 4 files of 250,000 lines).
#
# Usage (from the repository root, after `npm run build`):
#   bench/parallel-replay.sh <pairs> <file.log>...
# Inputs: node ../shared/bench/gen/gen.js iis --out /tmp/b1.log --lines 250000 --seed 1   (and seeds 2, 3, 4)
# Variables: PORT (sink port, default 9296), CONFIG (default bench/harness-agent.yml), WORKERS (unpinned
# --workers, default 2), NODE_FLAGS (default --max-semi-space-size=8, as the service definitions).
set -euo pipefail
pairs="$1"
shift
files=("$@")
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/.."
work="$(mktemp -d)"
port="${PORT:-9296}"
sink_pid=""
# The sink is stopped by its PID only (other people's processes run on the same machine).
stop_sink() { if [ -n "$sink_pid" ]; then kill "$sink_pid" 2>/dev/null || true; wait "$sink_pid" 2>/dev/null || true; sink_pid=""; fi; }
trap 'stop_sink; rm -rf "$work"' EXIT
node "$root/bench/null-bulk-sink.mjs" --port "$port" >"$work/sink.log" 2>&1 &
sink_pid=$!
sleep 0.5
lines=0
for f in "${files[@]}"; do lines=$((lines + $(grep -vc '^#' "$f"))); done
run() {
  local name="$1" prefix="$2" workers="$3"
  rm -rf "$work/data"
  local t0 t1
  t0=$(date +%s.%N)
  # shellcheck disable=SC2086
  /usr/bin/time -f '%U %S %M' -o "$work/time" $prefix env CASGUARD_CONFIG="${CONFIG:-$root/bench/harness-agent.yml}" \
    CASGUARD_ES_HOSTS="http://127.0.0.1:$port" CASGUARD_DATA_DIR="$work/data" \
    node ${NODE_FLAGS:---max-semi-space-size=8} "$root/dist/cli/main.js" replay --no-progress --workers "$workers" "${files[@]}" \
    >"$work/out" 2>&1
  t1=$(date +%s.%N)
  read -r user sys rss <"$work/time"
  local wall rate
  wall=$(echo "$t1 - $t0" | bc -l)
  rate=$(echo "$lines / $wall" | bc -l)
  printf '%-8s wall %6.1f s  %8.0f lines/s  user %6.1f s  sys %5.1f s  peak RSS %4d MiB  %s\n' \
    "$name" "$wall" "$rate" "$user" "$sys" $((rss / 1024)) "$(grep -o '[0-9]* worker threads' "$work/out" || echo 'no workers')"
  echo "$name $rate" >>"$work/rates"
}
for _ in $(seq "$pairs"); do
  run pinned "taskset -c 0" 1
  run all "" "${WORKERS:-2}"
done
med() { grep "^$1 " "$work/rates" | awk '{print $2}' | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
p=$(med pinned)
a=$(med all)
printf 'medians: pinned %.0f lines/s, all cores %.0f lines/s, ratio %.2f (load average now: %s)\n' "$p" "$a" \
  "$(echo "$a / $p" | bc -l)" "$(cut -d' ' -f1-3 /proc/loadavg)"
