#!/usr/bin/env bash
# Interleaved A/B of two casguard builds or configurations on the same job: `casguard replay` of an IIS file into
# a fresh loopback sink per run (the shared harness's sink keeps every id it has seen, so a reused sink gets
# slower run after run). Runs alternate A, B, B, A, A, B, ... so the machine's drift and any order effect hit both
# alike; prints each run, the medians and in how many pairs B used less CPU. This machine's single runs vary by
# 10-25 %: compare medians of several pairs, never one run.
#
# Usage (from the repository root, after `npm run build`):
#   bench/ab-replay.sh <iis.log> [pairs]
# Variants (defaults: both the current build with bench/harness-agent.yml):
#   A_DIST / B_DIST     folders holding cli/main.js (copy dist/ away to compare with a later build)
#   A_EXTRA / B_EXTRA   YAML appended to bench/harness-agent.yml for that variant: top-level keys the base file
#                       does not set, e.g. B_EXTRA='timezone: UTC' (an invalid config stops the script with the
#                       agent's message)
#   A_CONFIG / B_CONFIG a base config file instead of bench/harness-agent.yml for that variant (a copy with other
#                       output settings, e.g. maxBatchDocs)
# Prints wall, user and user+sys CPU seconds (compare CPU, not wall, on a shared machine) and peak RSS.
#   NODE_FLAGS          node flags for both (default: --max-semi-space-size=8, as the service definitions)
#   A_FLAGS / B_FLAGS   node flags for that variant instead of NODE_FLAGS
#   A_NODE / B_NODE     the node binary for that variant (default: node on PATH), e.g. two runtimes, one bundle
#   SINK=harness|null   the shared harness's validating sink (default) or bench/null-bulk-sink.mjs
#   SHARED_DIR          the shared folder holding bench/sink/server.js (default: ../shared next to the repository)
#   TASKSET="taskset -c 0"  a prefix for the agent's command (e.g. pin it to one core)
# Input: e.g. `node ../shared/bench/gen/gen.js iis --out /tmp/iis-1m.log --lines 1000000 --seed 42`.
set -euo pipefail
input="$1"
pairs="${2:-3}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/.."
work="$(mktemp -d)"
shared="${SHARED_DIR:-$root/../shared}"
sink_pid=""
# The sink is stopped by its PID only (other people's processes run on the same machine).
stop_sink() { if [ -n "$sink_pid" ]; then kill "$sink_pid" 2>/dev/null || true; wait "$sink_pid" 2>/dev/null || true; sink_pid=""; fi; }
trap 'stop_sink; rm -rf "$work"' EXIT
port="${PORT:-9297}"
sink_cmd() {
  if [ "${SINK:-harness}" = null ]; then
    exec node "$root/bench/null-bulk-sink.mjs" --port "$port"
  else
    SINK_VALIDATE=sample exec node "$shared/bench/sink/server.js" --port "$port"
  fi
}
run() {
  local name="$1" dist="$2" extra="$3" base="$4" flags="$5" nodebin="$6"
  local cfg="$work/$name.yml" data
  { cat "$base"; printf '%s\n' "$extra"; } >"$cfg"
  sink_cmd >"$work/sink.log" 2>&1 &
  sink_pid=$!
  sleep 0.8
  data="$(mktemp -d -p "$work")"
  # shellcheck disable=SC2086 # the flags are a word list
  CASGUARD_ES_HOSTS="http://127.0.0.1:$port" CASGUARD_DATA_DIR="$data" CASGUARD_CONFIG="$cfg" \
    /usr/bin/time -f "$name %e %U %M %S" -o "$work/time" \
    ${TASKSET:-} "$nodebin" $flags "$dist/cli/main.js" replay --format iis "$input" >"$work/out" 2>&1 ||
    {
      echo "variant $name failed:" >&2
      cat "$work/out" >&2
      exit 1
    }
  # Both sinks answer /_sink/stats (bytes: uncompressed bulk bodies, action lines included).
  curl -s "http://127.0.0.1:$port/_sink/stats" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);process.stderr.write(`${process.argv[1]} sink: ${j.docs_accepted} docs, ${(j.bytes/Math.max(1,j.docs_accepted)).toFixed(0)} bytes per document on the wire\n`)})' "$name" || true
  stop_sink
  sleep 0.3
  cat "$work/time" | tee -a "$work/all"
}
echo "variant wall_s user_s maxrss_kb sys_s"
run_a() { run A "${A_DIST:-$root/dist}" "${A_EXTRA:-}" "${A_CONFIG:-$here/harness-agent.yml}" "${A_FLAGS-${NODE_FLAGS---max-semi-space-size=8}}" "${A_NODE:-node}"; }
run_b() { run B "${B_DIST:-$root/dist}" "${B_EXTRA:-}" "${B_CONFIG:-$here/harness-agent.yml}" "${B_FLAGS-${NODE_FLAGS---max-semi-space-size=8}}" "${B_NODE:-node}"; }
# A B, then B A, and so on: the run that comes first in a pair was seen slower in several series on a shared
# machine (2026-12-08), so each variant goes first in half of the pairs.
for i in $(seq "$pairs"); do
  if ((i % 2)); then
    run_a
    run_b
  else
    run_b
    run_a
  fi
done
for v in A B; do
  awk -v v="$v" 'BEGIN { n = 0 } $1 == v { w[n] = $2; u[n] = $3; m[n] = $4; c[n] = $3 + $5; n++ }
    function med(a, n,   i, j, t) { for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      return n % 2 ? a[int(n / 2)] : (a[n / 2 - 1] + a[n / 2]) / 2 }
    END { printf "median %s: wall %.2f s, user %.2f s, user+sys %.2f s, peak RSS %.1f MiB (%d runs)\n", v, med(w, n), med(u, n), med(c, n), med(m, n) / 1024, n }' "$work/all"
done
# Per pair (consecutive lines): in how many B used less user+sys CPU than A.
awk '{ c[$1] = $3 + $5; if (NR % 2 == 0) { pairs++; if (c["B"] < c["A"]) lower++ } }
  END { printf "B lower in user+sys CPU than A in %d of %d pairs\n", lower, pairs }' "$work/all"
