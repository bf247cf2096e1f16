# The example peers of the README and docs/ (bash; source it after ci/lib.sh). The pages show
# friendly ports; the tests start the peers on ports of their own and map them (blocks.py
# --port-map), so a run never meets a stray server on 8000 or 8080:
#
#   documented  started on            peer
#   8000        DOCS_PORT_BASE + 0    python3 -m http.server (a plain HTTP/1.x server)
#   8001        DOCS_PORT_BASE + 1    free: the CI example starts its own server there
#   8080        DOCS_PORT_BASE + 2    nginx as configured in ci/nginx/ (through ci/nginx/run.sh)
#   9001        DOCS_PORT_BASE + 3    python3 ci/ws/websockets_echo.py
#   -           DOCS_PORT_BASE + 8    a listener that never answers (ci/newcomer.sh starts it)
#   -           DOCS_PORT_BASE + 9    nothing: a dead target
#
# DOCS_PORT_BASE defaults to 18400 (ci/ uses 18080, 18085, 18091, 18121, 18280, 19001-19003).
#
#   docs_peers_start DIR    start http.server (serving DIR/www) and the echo server, their logs in
#                           DIR/*.log (shown when one does not start); wait for both
#   docs_peers_stop         stop them (TERM, then KILL)
#   DOCS_PORT_MAP           the --port-map for blocks.py
#   DOCS_NGINX_PORT         the port to give ci/nginx/run.sh

DOCS_PORT_BASE=${DOCS_PORT_BASE:-18400}
DOCS_HTTP_PORT=$((DOCS_PORT_BASE + 0))
DOCS_CI_PORT=$((DOCS_PORT_BASE + 1))
DOCS_NGINX_PORT=$((DOCS_PORT_BASE + 2))
DOCS_WS_PORT=$((DOCS_PORT_BASE + 3))
DOCS_SILENT_PORT=$((DOCS_PORT_BASE + 8))
DOCS_DEAD_PORT=$((DOCS_PORT_BASE + 9))
DOCS_PORT_MAP="8000=$DOCS_HTTP_PORT,8001=$DOCS_CI_PORT,8080=$DOCS_NGINX_PORT,9001=$DOCS_WS_PORT"
docs_pids=()

docs_peers_start() {
    local dir=$1 here port
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    for port in "$DOCS_HTTP_PORT" "$DOCS_CI_PORT" "$DOCS_NGINX_PORT" "$DOCS_WS_PORT" "$DOCS_SILENT_PORT" "$DOCS_DEAD_PORT"; do
        if ps_port_open 127.0.0.1 "$port"; then
            echo "$ps_me: 127.0.0.1:$port already accepts connections; set DOCS_PORT_BASE" >&2
            return 1
        fi
    done
    mkdir -p "$dir/www" || return 1
    ps_start_server "$dir/http.server.log" python3 -m http.server "$DOCS_HTTP_PORT" --bind 127.0.0.1 --directory "$dir/www"
    docs_pids+=("$PS_SERVER_PID")
    ps_wait_port 127.0.0.1 "$DOCS_HTTP_PORT" 20 "$PS_SERVER_PID" http.server "$dir/http.server.log" || return 1
    ps_start_server "$dir/websockets.log" python3 "$here/ws/websockets_echo.py" "$DOCS_WS_PORT"
    docs_pids+=("$PS_SERVER_PID")
    ps_wait_port 127.0.0.1 "$DOCS_WS_PORT" 20 "$PS_SERVER_PID" websockets_echo.py "$dir/websockets.log" || return 1
    echo "$ps_me: http.server on $DOCS_HTTP_PORT, websockets echo on $DOCS_WS_PORT (ports mapped: $DOCS_PORT_MAP)" >&2
}

docs_peers_stop() {
    local pid
    for pid in "${docs_pids[@]}"; do ps_stop "$pid" 5; done
    docs_pids=()
}
