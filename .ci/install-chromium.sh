#!/usr/bin/env bash
# Installs Debian's chromium, which the HTML report's browser test drives headless
# (test/report/report-browser.test.ts; without it that test is skipped with a printed reason, or fails under CI=true).
# Idempotent: does nothing when /usr/bin/chromium is already there. Needs root or sudo and Debian's apt.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-chromium: not root and no sudo; the report browser test will be skipped (and fails under CI=true)" >&2
    if [ -n "${CI:-}" ] && [ "${CI}" != "false" ]; then exit 1; fi
    exit 0
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium
/usr/bin/chromium --version
