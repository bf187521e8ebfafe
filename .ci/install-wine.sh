#!/usr/bin/env bash
# Installs what the Wine smoke test (test/windows/wine-smoke.test.ts) needs, when it is missing:
#   - Debian's wine64 (runs the Windows package's node.exe; Debian puts the loader in /usr/lib/wine, not on PATH)
#   - the MinGW-w64 C compiler (builds test/windows/winsw-stop.c, the stand-in for WinSW's start/stop)
# Called by .ci/run before `npm test`; safe to run again (installs nothing when both are present).
set -euo pipefail

need=()
if ! command -v wine64 >/dev/null 2>&1 && ! command -v wine >/dev/null 2>&1 && [ ! -x /usr/lib/wine/wine64 ]; then
  need+=(wine64)
fi
if ! command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; then
  need+=(gcc-mingw-w64-x86-64-win32)
fi
if [ "${#need[@]}" -eq 0 ]; then
  echo "install-wine: wine64 and MinGW-w64 already present"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-wine: missing ${need[*]} and no apt-get to install them" >&2
  exit 1
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
echo "install-wine: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "install-wine: done"
