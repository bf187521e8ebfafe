#!/usr/bin/env bash
# AGENT_CMD for ../shared/bench/run-peers.sh: `casguard replay` of the harness's IIS file into its bulk sink.
# Usage (from the repository root, after `npm run build`):
#   AGENT_CMD=bench/harness-agent.sh AGENT_NAME=casguard AGENT_CWD=$PWD ONLY=node-ship-http,casguard \
#     ../shared/bench/run-peers.sh
# Optional:
#   CASGUARD_PACKAGE=<folder>  runs the Linux release package as shipped: its bundled Node on its agent bundle
#     (agent-build.sh says how to make the folder).
#   CASGUARD_DIST=<folder with cli/main.js>  runs another build with the node in PATH (e.g. one made outside the
#     shared work tree, so a colleague's rebuild cannot change the agent mid-run). Ignored with CASGUARD_PACKAGE.
#   CASGUARD_NODE_FLAGS="..."  replaces the node flags, which default to the ones the service definitions give
#     (service/linux/casguard.service, NODE_OPTIONS in service/windows/casguard-service.xml); bench/README.md says
#     what each was measured to do.
# Prints which node and which agent build it runs on stderr (the harness keeps it in the tool's log).
set -euo pipefail
input="$1"
sink="$2"
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=bench/agent-build.sh
. "$here/agent-build.sh"
agent_build "${CASGUARD_DIST:-$here/../dist}/cli/main.js"
echo "harness-agent.sh: $(agent_label)" >&2
# shellcheck disable=SC2086 # the flags are a word list
exec env CASGUARD_ES_HOSTS="$sink" CASGUARD_DATA_DIR="${BENCH_STATE_DIR:-$(mktemp -d)}" CASGUARD_CONFIG="$here/harness-agent.yml" \
  "$node_bin" ${CASGUARD_NODE_FLAGS---max-semi-space-size=8} "$main_js" replay --format iis "$input"
