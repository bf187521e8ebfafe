#!/usr/bin/env bash
# AGENT_CMD for ../shared/bench/run-peers.sh: `casguard replay` of the harness's IIS file into its bulk sink.
# Usage (from the repository root, after `npm run build`):
#   AGENT_CMD=bench/harness-agent.sh AGENT_NAME=casguard AGENT_CWD=$PWD ONLY=node-ship-http,casguard \
#     ../shared/bench/run-peers.sh
# Optional: CASGUARD_DIST=<folder with cli/main.js> runs another build (e.g. one made outside the shared work
# tree, so a colleague's rebuild cannot change the agent mid-run); CASGUARD_NODE_FLAGS="..." replaces the node flags,
# which default to the ones the service definitions give (service/linux/casguard.service, NODE_OPTIONS in
# service/windows/casguard-service.xml); bench/README.md says what each was measured to do.
set -euo pipefail
input="$1"
sink="$2"
here="$(cd "$(dirname "$0")" && pwd)"
dist="${CASGUARD_DIST:-$here/../dist}"
# shellcheck disable=SC2086 # the flags are a word list
exec env CASGUARD_ES_HOSTS="$sink" CASGUARD_DATA_DIR="${BENCH_STATE_DIR:-$(mktemp -d)}" CASGUARD_CONFIG="$here/harness-agent.yml" \
  node ${CASGUARD_NODE_FLAGS---max-semi-space-size=8} "$dist/cli/main.js" replay --format iis "$input"
