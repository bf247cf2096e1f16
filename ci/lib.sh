# Shell helpers shared by ci/with-server.sh and the ci/*/run.sh scripts (bash; source it):
# start a server in its own process group, wait (bounded) for its port, stop it (TERM, then KILL).
#
#   . "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"     # from ci/NAME/run.sh
#
#   ps_start_server LOG CMD [ARGS...]     start CMD in the background, in a process group of its
#                                         own (so stopping it reaches its workers and children),
#                                         stdin from /dev/null, stdout+stderr to LOG ("-": this
#                                         script's stderr); sets PS_SERVER_PID
#   ps_port_open HOST PORT                true when HOST:PORT accepts a TCP connection now
#   ps_wait_port HOST PORT SECS [PID [NAME [LOG]]]
#                                         wait until HOST:PORT accepts connections, at most SECS
#                                         seconds; fail early when PID has exited; on failure say
#                                         why (and show LOG's last lines) on stderr, return 1
#   ps_run SECS CMD [ARGS...]             run CMD (at most SECS seconds; 0 = no bound) as a
#                                         background job, so that a signal to the script ends
#                                         `wait` at once and its trap can stop it with
#                                         `ps_stop "$PS_CMD_PID" SECS`; return CMD's status (124
#                                         when the bound ended it, said on stderr)
#   ps_stop PID SECS [NAME]               TERM to the process group PID made (else to PID alone),
#                                         KILL after SECS seconds if anything is left, reap PID
#
# Only processes these functions started, by their pid or process group, are ever signalled.
# Safe under `set -euo pipefail` (a failing kill or wait never ends the calling script).

ps_me=${ps_me:-${0##*/}}

ps_port_open() {
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

ps_start_server() {
    local log=$1
    shift
    # setsid from a non-leader process makes the new session (and process group) in place, so
    # $! is the group's id. Without setsid, only the pid itself can be stopped.
    local setsid=()
    command -v setsid >/dev/null 2>&1 && setsid=(setsid)
    if [ "$log" = - ]; then
        "${setsid[@]}" "$@" </dev/null >&2 &
    else
        "${setsid[@]}" "$@" </dev/null >"$log" 2>&1 &
    fi
    PS_SERVER_PID=$!
}

ps_wait_port() {
    local host=$1 port=$2 secs=$3 pid=${4:-} name=${5:-the server} log=${6:-}
    local deadline=$((SECONDS + secs)) status
    until ps_port_open "$host" "$port"; do
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null && status=0 || status=$?
            echo "$ps_me: $name exited with status $status before accepting connections on $host:$port" >&2
            ps_show_log "$log" "$name"
            return 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "$ps_me: $name did not accept connections on $host:$port within ${secs}s" >&2
            ps_show_log "$log" "$name"
            return 1
        fi
        sleep 0.05
    done
}

ps_show_log() {
    if [ -n "$1" ] && [ "$1" != - ] && [ -s "$1" ]; then
        echo "$ps_me: last lines of the ${2:-server} log ($1):" >&2
        tail -n 20 "$1" >&2
    fi
}

ps_stop() {
    local pid=$1 secs=$2 name=${3:-} target deadline
    [ -n "$pid" ] || return 0
    # A process group with PID's number can only be the one PID made (ps_start_server's setsid):
    # a group keeps its id in use. It may outlive its leader (workers), so look at the group.
    if kill -0 -- "-$pid" 2>/dev/null; then
        target=-$pid
    elif kill -0 "$pid" 2>/dev/null; then
        target=$pid
    else
        wait "$pid" 2>/dev/null || true
        return 0
    fi
    kill -TERM -- "$target" 2>/dev/null || true
    deadline=$((SECONDS + secs))
    while kill -0 -- "$target" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.05; done
    if kill -0 -- "$target" 2>/dev/null; then
        [ -n "$name" ] && echo "$ps_me: $name (pid $pid) did not stop within ${secs}s; killing it" >&2
        kill -KILL -- "$target" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    return 0
}

ps_run() {
    local secs=$1 status
    shift
    if [ "$secs" != 0 ]; then
        timeout --kill-after=10 "$secs" "$@" <&0 &
    else
        "$@" <&0 &
    fi
    PS_CMD_PID=$!
    wait "$PS_CMD_PID" && status=0 || status=$?
    PS_CMD_PID=""
    [ "$status" = 124 ] && [ "$secs" != 0 ] && echo "$ps_me: the command did not finish within ${secs}s" >&2
    return "$status"
}
