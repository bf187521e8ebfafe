#!/usr/bin/env bash
# Interleaved A/B of two casguard builds or configurations on the same job: `casguard replay` of an IIS file into
# a fresh loopback sink per run (the shared harness's sink keeps every id it has seen, so a reused sink gets
# slower run after run). Runs alternate A, B, A, B, ... so the machine's drift hits both alike; prints each run
# and the medians. This machine's single runs vary by 10-25 %: compare medians of several pairs, never one run.
#
# Usage (from the repository root, after `npm run build`):
#   bench/ab-replay.sh <iis.log> [pairs]
# Variants (defaults: both the current build with bench/harness-agent.yml):
#   A_DIST / B_DIST     folders holding cli/main.js (copy dist/ away to compare with a later build)
#   A_EXTRA / B_EXTRA   YAML appended to bench/harness-agent.yml for that variant: top-level keys the base file
#                       does not set, e.g. B_EXTRA='timezone: UTC' (an invalid config stops the script with the
#                       agent's message)
#   NODE_FLAGS          node flags for both (default: --max-semi-space-size=8, as the service definitions)
#   SINK=harness|null   the shared harness's validating sink (default) or bench/null-bulk-sink.mjs
# Input: e.g. `node ../shared/bench/gen/gen.js iis --out /tmp/iis-1m.log --lines 1000000 --seed 42`.
set -euo pipefail
input="$1"
pairs="${2:-3}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/.."
work="$(mktemp -d)"
trap 'pkill -f "casguard-ab-sink" 2>/dev/null || true; rm -rf "$work"' EXIT
port=9297
sink_cmd() {
  if [ "${SINK:-harness}" = null ]; then
    exec -a casguard-ab-sink node "$root/bench/null-bulk-sink.mjs" --port "$port"
  else
    SINK_VALIDATE=sample exec -a casguard-ab-sink node "$root/../shared/bench/sink/server.js" --port "$port"
  fi
}
run() {
  local name="$1" dist="$2" extra="$3"
  local cfg="$work/$name.yml" data
  { cat "$here/harness-agent.yml"; printf '%s\n' "$extra"; } >"$cfg"
  (sink_cmd >"$work/sink.log" 2>&1 &)
  sleep 0.8
  data="$(mktemp -d -p "$work")"
  # shellcheck disable=SC2086 # the flags are a word list
  CASGUARD_ES_HOSTS="http://127.0.0.1:$port" CASGUARD_DATA_DIR="$data" CASGUARD_CONFIG="$cfg" \
    /usr/bin/time -f "$name %e %U %M" -o "$work/time" \
    node ${NODE_FLAGS---max-semi-space-size=8} "$dist/cli/main.js" replay --format iis "$input" >"$work/out" 2>&1 ||
    {
      echo "variant $name failed:" >&2
      cat "$work/out" >&2
      exit 1
    }
  pkill -f casguard-ab-sink || true
  sleep 0.3
  cat "$work/time" | tee -a "$work/all"
}
echo "variant wall_s user_s maxrss_kb"
for _ in $(seq "$pairs"); do
  run A "${A_DIST:-$root/dist}" "${A_EXTRA:-}"
  run B "${B_DIST:-$root/dist}" "${B_EXTRA:-}"
done
for v in A B; do
  awk -v v="$v" 'BEGIN { n = 0 } $1 == v { w[n] = $2; u[n] = $3; m[n] = $4; n++ }
    function med(a, n,   i, j, t) { for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      return n % 2 ? a[int(n / 2)] : (a[n / 2 - 1] + a[n / 2]) / 2 }
    END { printf "median %s: wall %.2f s, user %.2f s, peak RSS %.1f MiB (%d runs)\n", v, med(w, n), med(u, n), med(m, n) / 1024, n }' "$work/all"
done
