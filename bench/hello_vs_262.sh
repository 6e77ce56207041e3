#!/usr/bin/env bash
# Hello-world throughput of our built-in server next to Microdot 2.6.2 (PyPI), in the same run,
# as a ratio. Keep-alive load (wrk keeps connections open; 2.6.2 closes each one, so wrk
# reconnects), 32 connections, on 127.0.0.1. Server pinned to CPU 0, wrk to CPU 1.
#   bench/hello_vs_262.sh [seconds per run, default 10] [rounds, default 2]
# Needs wrk (apt-get install wrk) and taskset. Creates /tmp/venv-md262 with microdot==2.6.2 once.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}
ROUNDS=${2:-2}
CONNECTIONS=32
VENV262=${VENV262:-/tmp/venv-md262}
OUT=bench/results
mkdir -p "$OUT"

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
if [ ! -x "$VENV262/bin/python" ]; then
    python3 -m venv "$VENV262"
    "$VENV262/bin/pip" install -q 'microdot==2.6.2'
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

SERVER_PID=
stop_server() { if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=; fi; }
trap stop_server EXIT

# start_server NAME PORT: ours from packages/microdot-core/src, 2.6.2 from its venv
start_server() {
    if [ "$1" = ours ]; then
        env PYTHONPATH=packages/microdot-core/src taskset -c 0 python3 bench/hello_app.py "$2" >"$OUT/server-$1.log" 2>&1 &
    else
        env -u PYTHONPATH taskset -c 0 "$VENV262/bin/python" bench/hello_app.py "$2" >"$OUT/server-$1.log" 2>&1 &
    fi
    SERVER_PID=$!
    for _ in $(seq 100); do
        curl -s -o /dev/null "http://127.0.0.1:$2/" && return 0
        sleep 0.1
    done
    echo "server $1 did not start" >&2; cat "$OUT/server-$1.log" >&2; exit 1
}

# run NAME: prints wrk's output, sets RPS
run() {
    local port; port=$(free_port)
    start_server "$1" "$port"
    taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d1s "http://127.0.0.1:$port/" >/dev/null  # warm-up
    taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency "http://127.0.0.1:$port/" | tee "$OUT/wrk-$1.txt"
    RPS=$(awk '/^Requests\/sec:/ {print $2}' "$OUT/wrk-$1.txt")
    stop_server
}

echo "python: $(python3 --version); cores: $(nproc); ${CONNECTIONS} connections, ${DURATION}s per run"
for round in $(seq "$ROUNDS"); do
    echo "== round $round: microdot (this repo)"
    run ours; OURS=$RPS
    echo "== round $round: microdot 2.6.2"
    run v262; THEIRS=$RPS
    echo "round $round: ours ${OURS} req/s, 2.6.2 ${THEIRS} req/s, ratio ours/2.6.2 = $(python3 -c "print(round($OURS / $THEIRS, 2))")"
done

# The protocol as a client sees it: HTTP/1.1, and the second request reuses the connection
port=$(free_port)
start_server ours "$port"
echo "== curl -v http://127.0.0.1:$port/ http://127.0.0.1:$port/"
curl -sv "http://127.0.0.1:$port/" "http://127.0.0.1:$port/" 2>&1
echo
stop_server
