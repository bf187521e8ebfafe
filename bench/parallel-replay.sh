#!/usr/bin/env bash
# Backfill on every core (issue 16): `casguard replay` of several IIS files into bench/null-bulk-sink.mjs (which
# costs next to nothing), alternating the same replay pinned to one core (`taskset -c 0`, --workers 1: everything
# on one thread) and unpinned with worker threads (--workers 2 by default: one per file up to that number).
# Prints each run, the medians and their ratio (target: >= 1.7 for 4 files of 250,000 lines).
#
# With CEILING=1 each pair gets a third run: the files dealt out to one independent single-threaded replay per core,
# each pinned to its core, all at once. No design that shares detection and outputs can beat that on this machine,
# so its ratio to the pinned run is what the cores give (on 2 shared vCPUs: 1.4-2.0, bench/README.md).
#
# Usage (from the repository root, after `npm run build`):
#   bench/parallel-replay.sh <pairs> <file.log>...
# Inputs: node ../shared/bench/gen/gen.js iis --out /tmp/b1.log --lines 250000 --seed 1   (and seeds 2, 3, 4)
# Variables: PORT (sink port, default 9296), CONFIG (default bench/harness-agent.yml), WORKERS (unpinned
# --workers, default 2), NODE_FLAGS (default --max-semi-space-size=8, as the service definitions), CEILING,
# CASGUARD_PACKAGE (an extracted Linux release package: its Node 22 runs its agent bundle, as shipped; default: the
# node in PATH on dist/; agent-build.sh).
set -euo pipefail
pairs="$1"
shift
files=("$@")
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/.."
# shellcheck source=bench/agent-build.sh
. "$here/agent-build.sh"
agent_build "$root/dist/cli/main.js"
echo "agent: $(agent_label)"
work="$(mktemp -d)"
port="${PORT:-9296}"
cores="$(nproc)"
sink_pid=""
# The sink is stopped by its PID only (other people's processes run on the same machine).
stop_sink() { if [ -n "$sink_pid" ]; then kill "$sink_pid" 2>/dev/null || true; wait "$sink_pid" 2>/dev/null || true; sink_pid=""; fi; }
trap 'stop_sink; rm -rf "$work"' EXIT
node "$root/bench/null-bulk-sink.mjs" --port "$port" >"$work/sink.log" 2>&1 &
sink_pid=$!
sleep 0.5
lines=0
for f in "${files[@]}"; do lines=$((lines + $(grep -vc '^#' "$f"))); done
# One replay: <data dir suffix> <prefix> <workers> <files...>; writes its /usr/bin/time figures to $work/time.<suffix>.
replay() {
  local tag="$1" prefix="$2" workers="$3"
  shift 3
  rm -rf "$work/data.$tag"
  # shellcheck disable=SC2086
  /usr/bin/time -f '%U %S %M' -o "$work/time.$tag" $prefix env CASGUARD_CONFIG="${CONFIG:-$root/bench/harness-agent.yml}" \
    CASGUARD_ES_HOSTS="http://127.0.0.1:$port" CASGUARD_DATA_DIR="$work/data.$tag" \
    "$node_bin" ${NODE_FLAGS:---max-semi-space-size=8} "$main_js" replay --no-progress --workers "$workers" "$@" \
    >"$work/out.$tag" 2>&1
}
report() {
  local name="$1" t0="$2" t1="$3" user="$4" sys="$5" rss="$6" what="$7"
  local wall rate
  wall=$(echo "$t1 - $t0" | bc -l)
  rate=$(echo "$lines / $wall" | bc -l)
  printf '%-8s wall %6.1f s  %8.0f lines/s  user %6.1f s  sys %5.1f s  peak RSS %4d MiB  %s\n' \
    "$name" "$wall" "$rate" "$user" "$sys" $((rss / 1024)) "$what"
  echo "$name $rate" >>"$work/rates"
}
run() {
  local name="$1" prefix="$2" workers="$3"
  local t0 t1 user sys rss
  t0=$(date +%s.%N)
  replay main "$prefix" "$workers" "${files[@]}"
  t1=$(date +%s.%N)
  read -r user sys rss <"$work/time.main"
  report "$name" "$t0" "$t1" "$user" "$sys" "$rss" \
    "$(grep -o '[0-9]* worker threads' "$work/out.main" || echo 'no workers')"
}
# The files dealt out round robin to one pinned single-threaded replay per core, all running at once.
ceiling() {
  local t0 t1 c i user=0 sys=0 rss=0 u s m
  local -a group pids=()
  t0=$(date +%s.%N)
  for ((c = 0; c < cores; c++)); do
    group=()
    for ((i = c; i < ${#files[@]}; i += cores)); do group+=("${files[$i]}"); done
    if [ ${#group[@]} -gt 0 ]; then
      replay "c$c" "taskset -c $c" 1 "${group[@]}" &
      pids+=($!)
    fi
  done
  wait "${pids[@]}" # not a bare `wait`: the sink runs in the background too
  t1=$(date +%s.%N)
  for ((c = 0; c < cores && c < ${#files[@]}; c++)); do
    read -r u s m <"$work/time.c$c"
    user=$(echo "$user + $u" | bc -l)
    sys=$(echo "$sys + $s" | bc -l)
    rss=$((rss + m))
  done
  report ceiling "$t0" "$t1" "$user" "$sys" "$rss" "one pinned replay per core (RSS summed)"
}
for _ in $(seq "$pairs"); do
  run pinned "taskset -c 0" 1
  run all "" "${WORKERS:-2}"
  if [ "${CEILING:-0}" = 1 ]; then ceiling; fi
done
med() { grep "^$1 " "$work/rates" | awk '{print $2}' | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
p=$(med pinned)
a=$(med all)
printf 'medians: pinned %.0f lines/s, all cores %.0f lines/s, ratio %.2f (load average now: %s)\n' "$p" "$a" \
  "$(echo "$a / $p" | bc -l)" "$(cut -d' ' -f1-3 /proc/loadavg)"
if [ "${CEILING:-0}" = 1 ]; then
  c=$(med ceiling)
  printf 'ceiling: %.0f lines/s, %.2f of pinned: the workers reach %.0f %% of what %d cores give here\n' "$c" \
    "$(echo "$c / $p" | bc -l)" "$(echo "100 * $a / $c" | bc -l)" "$cores"
fi
