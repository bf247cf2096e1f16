#!/usr/bin/env bash
# Runs peerspec's HTTP/2 suite (cases/h2, the seed's HTTP/2 cases and ci/h2/cases: the h2c
# Upgrade, which the built-in target does not implement) against real servers on
# loopback, each checked against its list of known rule breaks:
#
#   nginx    h2c with prior knowledge, and h2 over TLS (ALPN)   ci/h2/known-failures-nginx.txt
#   nghttpd  h2c with prior knowledge, and h2 over TLS (ALPN)   ci/h2/known-failures-nghttpd.txt
#
#   ci/h2/run.sh [PEER...]        PEER: nginx-h2c nginx-tls nghttpd-h2c nghttpd-tls (default: all)
#
# A throw-away prefix holds the configs, logs and a self-signed certificate made by openssl at run
# time (peerspec trusts it with --ca-file). Every wait is bounded (H2_START_TIMEOUT, default 10 s,
# for a port to open; H2_RUN_TIMEOUT, default 120 s, per suite run; H2_CASE_TIMEOUT, default 2s,
# per case); a trap stops the servers
# this script started (by their pids) and removes the prefix on every exit path.
# Settings: PEERSPEC (default ./target/release/peerspec), NGINX, NGHTTPD, H2_BASE_PORT (18280).
# Needs: nginx with http_v2 and ssl (Debian nginx-light; the echo module gives /echo,
# /chunked, /trailers), python3 (ci/h2/slow_upstream.py behind nginx's /slow), nghttpd (Debian
# nghttp2-server), openssl. Exit status: 0 when every run
# matched its known-failures list.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
me=${0##*/}
die() { echo "$me: $*" >&2; exit 2; }

peerspec=${PEERSPEC:-$root/target/release/peerspec}
nginx_bin=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
nghttpd_bin=${NGHTTPD:-$(command -v nghttpd || echo /usr/sbin/nghttpd)}
start_timeout=${H2_START_TIMEOUT:-10}
run_timeout=${H2_RUN_TIMEOUT:-120}
# Per-case timeout: only cases where the peer stops answering (no GOAWAY, no PING ACK) use it up.
case_timeout=${H2_CASE_TIMEOUT:-2s}
base=${H2_BASE_PORT:-18280}
[ -x "$peerspec" ] || die "peerspec not built: $peerspec (cargo build --release)"
command -v openssl >/dev/null || die "openssl not found"

peers=("$@")
[ ${#peers[@]} -gt 0 ] || peers=(nginx-h2c nginx-tls nghttpd-h2c nghttpd-tls)

. "$here/../lib.sh"
ps_me=$me
port_open() { ps_port_open 127.0.0.1 "$1"; }
wait_port() { # PORT PID NAME
    ps_wait_port 127.0.0.1 "$1" "$start_timeout" "$2" "$3" || exit 2
}

prefix=""
pids=()
PS_CMD_PID=""
cleanup() {
    local pid
    ps_stop "$PS_CMD_PID" 5
    # Each server runs in a process group of its own (nginx's workers stop with it).
    for pid in "${pids[@]}"; do ps_stop "$pid" 5 server; done
    pids=()
    [ -n "$prefix" ] && [ -d "$prefix" ] && rm -rf -- "$prefix"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

prefix=$(mktemp -d "${TMPDIR:-/tmp}/peerspec-h2.XXXXXX") || die "cannot create a temporary directory"
chmod 755 "$prefix"
# A throw-away CA (ca.pem, trusted by peerspec) and a certificate for 127.0.0.1 signed by it.
{
    openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=peerspec test CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
        -keyout "$prefix/ca-key.pem" -out "$prefix/ca.pem" &&
    openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout "$prefix/key.pem" -out "$prefix/req.pem" &&
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > "$prefix/ext.cnf" &&
    openssl x509 -req -in "$prefix/req.pem" -CA "$prefix/ca.pem" -CAkey "$prefix/ca-key.pem" -CAcreateserial \
        -days 1 -extfile "$prefix/ext.cnf" -out "$prefix/cert.pem"
} >/dev/null 2>&1 || die "openssl could not make the certificates"
chmod 644 "$prefix/key.pem"

nginx_port=$base nginx_tls=$((base + 1)) nghttpd_port=$((base + 2)) nghttpd_tls=$((base + 3)) slow_port=$((base + 4))
for p in $nginx_port $nginx_tls $nghttpd_port $nghttpd_tls $slow_port; do
    port_open "$p" && die "127.0.0.1:$p is already in use (set H2_BASE_PORT)"
done

start_nginx() {
    local n=$prefix/nginx provides="seed-files,status,slow"
    command -v python3 >/dev/null || die "python3 not found (ci/h2/slow_upstream.py serves nginx's /slow)"
    ps_start_server "$prefix/slow-upstream.log" python3 "$here/slow_upstream.py" "$slow_port"
    pids+=("$PS_SERVER_PID")
    wait_port "$slow_port" "$PS_SERVER_PID" slow_upstream.py
    mkdir -p "$n/conf/modules.d" "$n/conf/echo.d" "$n/logs" "$n/tmp"
    cp -R "$here/www" "$n/www" && chmod -R a+rX "$n"
    cp "$prefix/cert.pem" "$prefix/key.pem" "$n/conf/"
    sed -e "s/@PORT@/$nginx_port/g" -e "s/@TLSPORT@/$nginx_tls/g" -e "s/@SLOWPORT@/$slow_port/g" "$here/nginx.conf" > "$n/conf/nginx.conf"
    local mod
    for mod in /usr/lib/nginx/modules/ngx_http_echo_module.so /usr/lib64/nginx/modules/ngx_http_echo_module.so; do
        if [ -f "$mod" ]; then
            echo "load_module $mod;" > "$n/conf/modules.d/echo.conf"
            cp "$here/echo.conf" "$n/conf/echo.d/echo.conf"
            provides="$provides,echo,seed-chunked,trailers"
            break
        fi
    done
    "$nginx_bin" -t -q -p "$n/" -c conf/nginx.conf || die "the nginx configuration does not load"
    ps_start_server - "$nginx_bin" -p "$n/" -c conf/nginx.conf
    pids+=("$PS_SERVER_PID")
    wait_port "$nginx_port" "$PS_SERVER_PID" nginx
    wait_port "$nginx_tls" "$PS_SERVER_PID" nginx
    nginx_provides=$provides
}

start_nghttpd() {
    local n=$prefix/nghttpd
    mkdir -p "$n" && cp -R "$here/www" "$n/www"
    ps_start_server "$n/h2c.log" "$nghttpd_bin" --no-tls --echo-upload -d "$n/www" "$nghttpd_port"
    pids+=("$PS_SERVER_PID")
    wait_port "$nghttpd_port" "$PS_SERVER_PID" nghttpd
    ps_start_server "$n/tls.log" "$nghttpd_bin" --echo-upload -d "$n/www" "$nghttpd_tls" "$prefix/key.pem" "$prefix/cert.pem"
    pids+=("$PS_SERVER_PID")
    wait_port "$nghttpd_tls" "$PS_SERVER_PID" nghttpd
}

nghttpd_provides=echo,seed-files,max-frame-size-16384
need_nginx=0 need_nghttpd=0
for p in "${peers[@]}"; do
    case $p in
        nginx-*) need_nginx=1 ;;
        nghttpd-*) need_nghttpd=1 ;;
        *) die "unknown peer $p" ;;
    esac
done
[ $need_nginx = 1 ] && { [ -x "$nginx_bin" ] || die "nginx not found"; start_nginx; "$nginx_bin" -v 2>&1 | sed "s/^/$me: /"; }
[ $need_nghttpd = 1 ] && { [ -x "$nghttpd_bin" ] || die "nghttpd not found"; start_nghttpd; "$nghttpd_bin" --version 2>&1 | sed "s/^/$me: /"; }

status=0
for p in "${peers[@]}"; do
    case $p in
        nginx-h2c) url=http://127.0.0.1:$nginx_port provides=$nginx_provides list=nginx ;;
        nginx-tls) url=https://127.0.0.1:$nginx_tls provides=$nginx_provides list=nginx ;;
        # nghttpd serves the seed files from www (seed-files), echoes uploads (--echo-upload: echo)
        # and keeps SETTINGS_MAX_FRAME_SIZE at its initial 16384 (it announces only
        # MAX_CONCURRENT_STREAMS). It has no /slow, /status/N, chunked seed files or trailers, nor
        # the h2c Upgrade (it answers SETTINGS and closes). Its 404 page is its own, not the seed
        # article's `<h1>Not Found</h1>`: the one case that checks that body is left out.
        nghttpd-h2c) url=http://127.0.0.1:$nghttpd_port provides=$nghttpd_provides list=nghttpd ;;
        nghttpd-tls) url=https://127.0.0.1:$nghttpd_tls provides=$nghttpd_provides list=nghttpd ;;
    esac
    skip=()
    case $p in nghttpd-*) skip=(--skip seed/h2/three-streams) ;; esac
    echo "$me: == $p ($url) =="
    started=$(date +%s%N)
    ps_run "$run_timeout" "$peerspec" run "$root/cases/h2" "$root/cases/seed/h2.yaml" "$here/cases" \
        --target "$url" --ca-file "$prefix/ca.pem" --timeout "$case_timeout" --provides "$provides" "${skip[@]}" \
        --known-failures "$here/known-failures-$list.txt" --quiet \
        --junit "$root/reports/h2-$p-junit.xml" --json "$root/reports/h2-$p.json" || status=1
    ms=$(( ($(date +%s%N) - started) / 1000000 ))
    echo "$me: $p: wall time $((ms / 1000)).$(printf %03d $((ms % 1000))) s"
done
exit $status
