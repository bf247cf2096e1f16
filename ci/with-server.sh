#!/usr/bin/env bash
# Starts your server, waits until its port accepts connections, runs a command (peerspec), stops
# the server, and exits with the command's status.
#
#   ci/with-server.sh [--server 'SERVER COMMAND'] --wait HOST:PORT [--wait HOST:PORT...]
#                     [--timeout SECS] [--stop-timeout SECS] [--run-timeout SECS]
#                     [--server-log FILE] -- COMMAND [ARGS...]
#
# Example:
#   ci/with-server.sh --server 'python3 -m http.server 8000 --bind 127.0.0.1' \
#       --wait 127.0.0.1:8000 -- peerspec run --target http://127.0.0.1:8000 --only http1 \
#       --junit reports/junit.xml
#
#   --server CMD       a shell command line (sh -c) that runs the server in the foreground. It gets
#                      a process group of its own, so stopping it reaches the workers it forks.
#                      Without --server, nothing is started: the script only waits for the ports
#                      (a CI service container, a server started elsewhere) and runs COMMAND.
#   --wait HOST:PORT   wait until this accepts TCP connections before running COMMAND (at least
#                      one; repeat for several ports)
#   --timeout SECS     how long to wait for the ports (default 30); past it, or if the server
#                      exits first, the script stops and says why (with the server log's tail)
#   --stop-timeout S   after COMMAND, the server gets TERM, then KILL after S seconds (default 5)
#   --run-timeout S    upper bound for COMMAND (default 3600; 0 = none)
#   --server-log FILE  the server's stdout and stderr (default: a temporary file, removed at the
#                      end; its last lines are shown when the server fails to start)
#
# Exit status: COMMAND's (124 if --run-timeout ended it); 2 for a usage error or a server that
# did not start; 130/143 when interrupted (SIGINT/SIGTERM) — the server is stopped on every exit
# path, including errors and Ctrl-C.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ps_me=${0##*/}
. "$here/lib.sh"

usage() {
    sed -n '5,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    [ $# -gt 0 ] && echo "$ps_me: $*" >&2
    exit 2
}
number() { case $2 in ''|*[!0-9]*) usage "$1 takes a number of seconds, got '$2'" ;; esac; }

server="" waits=() start_timeout=30 stop_timeout=5 run_timeout=3600 server_log=""
while [ $# -gt 0 ]; do
    case $1 in
        --server) [ $# -ge 2 ] || usage "--server needs a command"; server=$2; shift 2 ;;
        --wait) [ $# -ge 2 ] || usage "--wait needs HOST:PORT"; waits+=("$2"); shift 2 ;;
        --timeout) [ $# -ge 2 ] || usage; number "$1" "$2"; start_timeout=$2; shift 2 ;;
        --stop-timeout) [ $# -ge 2 ] || usage; number "$1" "$2"; stop_timeout=$2; shift 2 ;;
        --run-timeout) [ $# -ge 2 ] || usage; number "$1" "$2"; run_timeout=$2; shift 2 ;;
        --server-log) [ $# -ge 2 ] || usage; server_log=$2; shift 2 ;;
        --) shift; break ;;
        -h|--help) sed -n '2,/^set -u/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
        *) usage "unknown option '$1' (the command to run comes after --)" ;;
    esac
done
[ $# -gt 0 ] || usage "no command to run after --"
[ ${#waits[@]} -gt 0 ] || usage "--wait HOST:PORT is required (which port says the server is up?)"
for w in "${waits[@]}"; do
    case $w in *:*) number "--wait's port" "${w##*:}" ;; *) usage "--wait takes HOST:PORT, got '$w'" ;; esac
done

server_pid="" own_log="" PS_CMD_PID=""
cleanup() {
    # The command first (on Ctrl-C it may still run), then the server.
    ps_stop "$PS_CMD_PID" "$stop_timeout"
    PS_CMD_PID=""
    if [ -n "$server_pid" ]; then
        ps_stop "$server_pid" "$stop_timeout" "the server"
        server_pid=""
    fi
    [ -n "$own_log" ] && rm -f -- "$own_log"
}
trap cleanup EXIT
trap 'echo "$ps_me: interrupted" >&2; exit 130' INT
trap 'exit 143' TERM HUP

if [ -n "$server" ]; then
    for w in "${waits[@]}"; do
        ps_port_open "${w%:*}" "${w##*:}" && { echo "$ps_me: $w already accepts connections before the server started; is another one running?" >&2; exit 2; }
    done
    if [ -z "$server_log" ]; then
        own_log=$(mktemp "${TMPDIR:-/tmp}/with-server.XXXXXX.log") || { echo "$ps_me: cannot create a log file" >&2; exit 2; }
        server_log=$own_log
    fi
    ps_start_server "$server_log" sh -c "$server"
    server_pid=$PS_SERVER_PID
    echo "$ps_me: started the server (pid $server_pid): $server" >&2
fi
started=$SECONDS
for w in "${waits[@]}"; do
    left=$((start_timeout - (SECONDS - started)))
    [ "$left" -gt 0 ] || left=1
    ps_wait_port "${w%:*}" "${w##*:}" "$left" "$server_pid" "the server" "$server_log" || exit 2
done
echo "$ps_me: ${waits[*]} accepting connections after $((SECONDS - started))s; running: $*" >&2

ps_run "$run_timeout" "$@"
exit $?
