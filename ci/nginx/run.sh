#!/usr/bin/env bash
# Runs a command against a throw-away nginx serving ci/nginx/www on 127.0.0.1:PORT.
#
#   ci/nginx/run.sh PORT -- COMMAND [ARGS...]
#
# Example (from the repository root):
#   ci/nginx/run.sh 18080 -- sh -c './target/release/peerspec run cases/http1 cases/seed \
#       --target http://127.0.0.1:18080 --provides "$PEERSPEC_NGINX_PROVIDES"'
#
# The script makes a temporary prefix directory, writes ci/nginx/nginx.conf there with the port
# filled in, starts nginx in the foreground of a background job, waits (at most
# NGINX_START_TIMEOUT seconds, default 10) until the port accepts connections, runs COMMAND,
# stops nginx (TERM, then KILL after NGINX_STOP_TIMEOUT seconds, default 5), removes the prefix
# and exits with COMMAND's status. It cleans up on every exit path, including errors and signals.
#
# COMMAND sees these environment variables:
#   PEERSPEC_NGINX_URL       http://127.0.0.1:PORT
#   PEERSPEC_NGINX_PROVIDES  the peerspec capabilities this nginx has, comma-separated:
#                            seed-files,status and, with the echo module,
#                            seed-chunked,chunked,echo,trailers
#   PEERSPEC_NGINX_PREFIX    the prefix directory (logs/ holds error.log and access.log)
# ci/nginx/provides.txt holds the same capability list for the usual install (nginx-light on
# Debian, which brings the echo module), for `--provides "$(cat ci/nginx/provides.txt)"`.
# ci/nginx/known-failures.txt lists the cases nginx fails and why (`--known-failures`).
#
# Settings (environment):
#   NGINX                 the nginx binary (default: nginx on PATH, else /usr/sbin/nginx)
#   NGINX_ECHO_MODULE     path of ngx_http_echo_module.so; `static` if it is compiled in;
#                         `none` to run without it (default: looked up in nginx's modules path)
#   NGINX_RUN_TIMEOUT     upper bound for COMMAND in seconds (default 900; 0 = none)
#   NGINX_KEEP_PREFIX=1   keep the prefix directory (logs) instead of removing it
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
me=${0##*/}

die() { echo "$me: $*" >&2; exit 2; }
usage() { echo "usage: $me PORT -- COMMAND [ARGS...]" >&2; exit 2; }

[ $# -ge 3 ] || usage
port=$1
[ "$2" = "--" ] || usage
shift 2
case $port in ''|*[!0-9]*) die "PORT must be a number, got '$port'" ;; esac
[ "$port" -ge 1 ] && [ "$port" -le 65535 ] || die "PORT out of range: $port"

nginx_bin=${NGINX:-$(command -v nginx || true)}
[ -n "$nginx_bin" ] || nginx_bin=/usr/sbin/nginx
[ -x "$nginx_bin" ] || die "nginx not found (set NGINX=/path/to/nginx; Debian: apt-get install nginx-light)"
start_timeout=${NGINX_START_TIMEOUT:-10}
stop_timeout=${NGINX_STOP_TIMEOUT:-5}
run_timeout=${NGINX_RUN_TIMEOUT:-900}

. "$here/../lib.sh"
ps_me=$me
port_open() { ps_port_open 127.0.0.1 "$port"; }

prefix=""
nginx_pid=""
PS_CMD_PID=""

cleanup() {
    ps_stop "$PS_CMD_PID" "$stop_timeout"
    PS_CMD_PID=""
    # nginx runs in a process group of its own: stopping the group stops its workers too.
    ps_stop "$nginx_pid" "$stop_timeout" nginx
    nginx_pid=""
    if [ -n "$prefix" ] && [ -d "$prefix" ]; then
        if [ "${NGINX_KEEP_PREFIX:-0}" = 1 ]; then
            echo "$me: kept $prefix" >&2
        else
            rm -rf -- "$prefix"
        fi
    fi
}

trap cleanup EXIT
trap 'echo "$me: interrupted" >&2; exit 130' INT
trap 'exit 143' TERM HUP

port_open && die "127.0.0.1:$port already accepts connections; choose a free port"

prefix=$(mktemp -d "${TMPDIR:-/tmp}/peerspec-nginx.XXXXXX") || die "cannot create a temporary directory"
# Run as root, nginx's workers are `nobody`: they must be able to reach the prefix.
chmod 755 "$prefix"
mkdir -p "$prefix/conf/modules.d" "$prefix/conf/echo.d" "$prefix/logs" "$prefix/tmp" || die "cannot populate $prefix"
cp -R "$here/www" "$prefix/www" && chmod -R a+rX "$prefix/www" || die "cannot copy $here/www"
sed "s/@PORT@/$port/g" "$here/nginx.conf" > "$prefix/conf/nginx.conf" || die "cannot write the config"

provides="seed-files,status"
echo_module=${NGINX_ECHO_MODULE:-}
if [ -z "$echo_module" ]; then
    modules_path=$("$nginx_bin" -V 2>&1 | sed -n 's/.*--modules-path=\([^ ]*\).*/\1/p')
    for dir in "$modules_path" /usr/lib/nginx/modules /usr/lib64/nginx/modules /usr/share/nginx/modules; do
        if [ -n "$dir" ] && [ -f "$dir/ngx_http_echo_module.so" ]; then
            echo_module=$dir/ngx_http_echo_module.so
            break
        fi
    done
fi
case $echo_module in
    "") echo "$me: ngx_http_echo_module not found: no chunked, echo or trailers resources" >&2 ;;
    none) echo "$me: NGINX_ECHO_MODULE=none: no chunked, echo or trailers resources" >&2 ;;
    static) ;;
    *) [ -f "$echo_module" ] || die "NGINX_ECHO_MODULE: no such file: $echo_module"
       echo "load_module $echo_module;" > "$prefix/conf/modules.d/echo.conf" ;;
esac
case $echo_module in
    ""|none) ;;
    *) cp "$here/echo.conf" "$prefix/conf/echo.d/echo.conf" || die "cannot copy echo.conf"
       provides="$provides,seed-chunked,chunked,echo,trailers" ;;
esac

if ! "$nginx_bin" -t -q -p "$prefix/" -c conf/nginx.conf >"$prefix/logs/check.log" 2>&1; then
    cat "$prefix/logs/check.log" >&2
    die "the nginx configuration does not load"
fi

ps_start_server - "$nginx_bin" -p "$prefix/" -c conf/nginx.conf
nginx_pid=$PS_SERVER_PID
ps_wait_port 127.0.0.1 "$port" "$start_timeout" "$nginx_pid" nginx "$prefix/logs/error.log" || exit 2
"$nginx_bin" -v 2>&1 | sed "s/^/$me: /" >&2
echo "$me: nginx (pid $nginx_pid) listening on 127.0.0.1:$port; provides $provides" >&2

export PEERSPEC_NGINX_URL="http://127.0.0.1:$port"
export PEERSPEC_NGINX_PROVIDES="$provides"
export PEERSPEC_NGINX_PREFIX="$prefix"

command -v timeout >/dev/null 2>&1 || run_timeout=0
ps_run "$run_timeout" "$@"
exit $?
