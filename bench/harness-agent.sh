#!/usr/bin/env bash
# AGENT_CMD for ../shared/bench/run-peers.sh: `casguard replay` of the harness's IIS file into its bulk sink.
# Usage (from the repository root, after `npm run build`):
#   AGENT_CMD=bench/harness-agent.sh AGENT_NAME=casguard ONLY=node-ship-http,casguard ../shared/bench/run-peers.sh
set -euo pipefail
input="$1"
sink="$2"
here="$(cd "$(dirname "$0")" && pwd)"
exec env CASGUARD_ES_HOSTS="$sink" CASGUARD_DATA_DIR="${BENCH_STATE_DIR:-$(mktemp -d)}" CASGUARD_CONFIG="$here/harness-agent.yml" \
  node "$here/../dist/cli/main.js" replay --format iis "$input"
