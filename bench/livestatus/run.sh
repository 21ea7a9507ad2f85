#!/usr/bin/env bash
# Livestatus benchmark (issue 12): a cluster of HOSTS hosts x SERVICES passive services on one
# scheduler (bench/scale/generate.py), the broker serving Livestatus on IP:6557; then
# bench/livestatus/query.py times the queries the issue names, and the broker's RSS is read.
# usage: HOSTS=10000 SERVICES=10 bash bench/livestatus/run.sh   (VIGIA=path to skip the build)
set -euo pipefail
cd "$(dirname "$0")/../.."
hosts=${HOSTS:-10000}
per=${SERVICES:-10}
ip=${IP:-127.0.32.1}
work=${BENCH_DIR:-/tmp/vigia-bench-livestatus}
rm -rf "$work" && mkdir -p "$work"
if [ -n "${VIGIA:-}" ]; then vigia=$VIGIA; else cargo build --release -q -p vigia; vigia=target/release/vigia; fi
IP=$ip python3 bench/scale/generate.py "$hosts" "$per" 1 "$work/etc"
sed -i 's|^}|    livestatus_host '"$ip"'\n    livestatus_port 6557\n}|' "$work/etc/arbiter/daemons/broker-master.cfg"
"$vigia" run "$work/etc" --data "$work/data" >"$work/run.log" 2>&1 &
run_pid=$!
trap 'kill "$run_pid" 2>/dev/null; wait "$run_pid" 2>/dev/null || true' EXIT
want=$((hosts * per))
for _ in $(seq 1 600); do
    got=$(printf 'GET status\nColumns: num_services\n\n' | python3 -c "
import socket,sys
try:
    s=socket.create_connection(('$ip',6557)); s.sendall(sys.stdin.buffer.read()); s.shutdown(1)
    print(s.makefile().read().strip())
except OSError: print(0)") || got=0
    [ "$got" = "$want" ] && break
    sleep 1
done
echo "every service served over Livestatus: $got of $want"
python3 bench/livestatus/query.py "$ip" 6557 5
broker_pid=$(pgrep -f "vigia broker .*$ip" | head -n1)
echo "broker RSS: $(awk '/^VmRSS:/ { printf "%d MB", $2 / 1024 }' /proc/"$broker_pid"/status) for $want services"
