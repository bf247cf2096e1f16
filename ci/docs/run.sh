#!/usr/bin/env bash
# Runs the ```sh peers commands of docs/ against the example peers and checks each exits as
# documented (the plain ```sh ones run in `cargo test`, harness/tests/docs.rs; the README's run in
# ci/newcomer.sh). From the repository root, after `cargo build --release`:
#
#   ci/docs/run.sh [PAGE...]  (default docs/*.md; PEERSPEC: default target/release/peerspec;
#                              DOCS_PORT_BASE: 18400; DOCS_MARKS: default peers)
#
# The commands run in a temporary directory that mirrors the checkout (its top-level entries
# linked, a reports/ of its own), with peerspec first on PATH. Every command is bounded
# (blocks.py), and so is the whole (DOCS_RUN_TIMEOUT, default 900 s). Exit status: 0 every
# command did as documented, 1 one did not, 2 the peers did not start.
set -u
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ps_me=docs/run.sh
. "$root/ci/lib.sh"
. "$root/ci/docs/peers.sh"

peerspec=${PEERSPEC:-$root/target/release/peerspec}
[ -x "$peerspec" ] || { echo "$ps_me: no peerspec at $peerspec (cargo build --release)" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/peerspec-docs.XXXXXX") || exit 2
cleanup() { docs_peers_stop; rm -rf -- "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

mkdir -p "$tmp/bin" "$tmp/repo/reports"
ln -s "$peerspec" "$tmp/bin/peerspec"
for entry in "$root"/* "$root"/.ci; do
    case ${entry##*/} in target|reports) continue ;; esac
    ln -s "$entry" "$tmp/repo/${entry##*/}"
done

pages=("$@")
[ ${#pages[@]} -gt 0 ] || pages=(docs/*.md)
docs_peers_start "$tmp/peers" || exit 2
cd "$tmp/repo" || exit 2
PATH="$tmp/bin:$PATH" NGINX_RUN_TIMEOUT=${DOCS_RUN_TIMEOUT:-900} \
    "$root/ci/nginx/run.sh" "$DOCS_NGINX_PORT" -- \
    python3 "$root/ci/docs/blocks.py" --marks "${DOCS_MARKS:-peers}" --port-map "$DOCS_PORT_MAP" "${pages[@]}"
