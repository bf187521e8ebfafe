# shellcheck shell=bash
# Sourced by harness-agent.sh and parallel-replay.sh: which node runs which agent build.
#   agent_build <main.js of the default build>
# sets node_bin and main_js: with CASGUARD_PACKAGE=<folder> (an extracted Linux release package: `npm run
# package:linux`, then `tar -xzf artifacts/casguard-<v>-linux-x64.tar.gz -C <folder> --strip-components=1`) its
# bundled Node on its bundle, as shipped; otherwise the node in PATH on the given main.js. Exits 2 when either is
# missing. agent_label prints them for the run's log.
agent_build() {
  if [ -n "${CASGUARD_PACKAGE:-}" ]; then
    node_bin="$CASGUARD_PACKAGE/node/bin/node"
    main_js="$CASGUARD_PACKAGE/dist/cli/main.js"
  else
    node_bin="$(command -v node || true)"
    main_js="$1"
  fi
  if [ ! -x "$node_bin" ] || [ ! -f "$main_js" ]; then
    echo "$(basename "$0"): no agent at '$node_bin' '$main_js' (npm run build, or see CASGUARD_PACKAGE)" >&2
    exit 2
  fi
}
agent_label() { echo "$node_bin ($("$node_bin" --version)) $main_js"; }
