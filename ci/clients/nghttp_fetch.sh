#!/usr/bin/env bash
# nghttp (Debian's nghttp2-client) held to peerspec's client contract.
#
#   ci/clients/nghttp_fetch.sh URL...
#
# Fetches the URLs with `nghttp --no-push` (h2c with prior knowledge for http://, ALPN h2 for
# https://; nghttp does not verify the server's certificate), bodies to stdout. nghttp exits 0
# even when a transfer failed, so its own report on stderr decides: exit 1 when it logged an
# error ("[ERROR]"), a reset stream ("RST_STREAM") or unprocessed requests, else nghttp's status.
set -u
err=$(mktemp)
trap 'rm -f "$err"' EXIT
nghttp --no-push --no-dep "$@" 2>"$err"
rc=$?
cat "$err" >&2
[ "$rc" -ne 0 ] && exit "$rc"
grep -q -e '\[ERROR\]' -e 'Some requests were not processed' -e 'RST_STREAM' "$err" && exit 1
exit 0
