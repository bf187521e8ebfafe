#!/bin/sh
# casguard's command line from the Linux package: the bundled Node 22 running the agent bundle.
# Installed as /usr/lib/casguard/bin/casguard; link it into PATH: ln -s /usr/lib/casguard/bin/casguard /usr/local/bin/
# Resolves its own folder through a symlink, so the link works from anywhere.
self=$(readlink -f -- "$0") || exit 3
root=$(dirname -- "$(dirname -- "$self")")
exec "$root/node/bin/node" "$root/dist/cli/main.js" "$@"
