#!/usr/bin/env bash
# The Livestatus benchmark's other side (issue 12): Icinga 2 (Debian's icinga2-bin) on the same
# HOSTS hosts x SERVICES passive services as bench/livestatus/run.sh's cluster
# (bench/livestatus/icinga_config.py writes bench/scale/generate.py's objects in Icinga's DSL),
# serving Livestatus on IP:PORT; once every service is served, bench/livestatus/query.py times
# the same queries (best of 5), and Icinga's RSS is read (every process of the daemon, summed,
# and the largest alone).
# usage: HOSTS=10000 SERVICES=10 bash bench/livestatus/icinga.sh
# env:   IP (127.0.33.1), PORT (6558), BENCH_DIR (/tmp/vigia-bench-livestatus-icinga)
set -euo pipefail
cd "$(dirname "$0")/../.."
hosts=${HOSTS:-10000}
per=${SERVICES:-10}
ip=${IP:-127.0.33.1}
port=${PORT:-6558}
work=${BENCH_DIR:-/tmp/vigia-bench-livestatus-icinga}
icinga2=/usr/sbin/icinga2
[ -x "$icinga2" ] || { echo "$icinga2 is missing: apt-get install icinga2-bin" >&2; exit 1; }
rm -rf "$work" && mkdir -p "$work"
for d in cache lib log spool run/icinga2/cmd; do mkdir -p "$work/var/$d/icinga2"; done
mkdir -p "$work/var/log/icinga2/compat/archives"
python3 bench/livestatus/icinga_config.py "$hosts" "$per" "$ip" "$port" "$work/icinga2.conf"
start=$(date +%s.%N)
# Its own process group (setsid): the daemon forks helpers, and all of them go at the end.
setsid "$icinga2" daemon -c "$work/icinga2.conf" -DLocalStateDir="$work/var" -DSysconfDir="$work" \
    -DInitRunDir="$work/var/run/icinga2" -DRunAsUser="$(id -un)" -DRunAsGroup="$(id -gn)" \
    >"$work/icinga2.log" 2>&1 &
icinga_pid=$!
trap 'kill -9 -- -"$icinga_pid" 2>/dev/null; wait "$icinga_pid" 2>/dev/null || true' EXIT
want=$((hosts * per))
got=0
for _ in $(seq 1 900); do
    kill -0 "$icinga_pid" 2>/dev/null || { tail -20 "$work/icinga2.log"; exit 1; }
    got=$(printf 'GET status\nColumns: num_services\n\n' | python3 -c "
import socket,sys
try:
    s=socket.create_connection(('$ip',$port)); s.sendall(sys.stdin.buffer.read()); s.shutdown(1)
    print(s.makefile().read().strip() or 0)
except OSError: print(0)") || got=0
    [ "$got" = "$want" ] && break
    sleep 1
done
echo "every service served over Livestatus: $got of $want, $(python3 -c "import time; print(f'{time.time() - $start:.1f}')") s after the start"
python3 bench/livestatus/query.py "$ip" "$port" 5
pids=$(pgrep -g "$icinga_pid" || true)
total=0
largest=0
for p in $pids; do
    kb=$(awk '/^VmRSS:/ { print $2 }' /proc/"$p"/status 2>/dev/null || echo 0)
    total=$((total + kb))
    [ "$kb" -gt "$largest" ] && largest=$kb
done
echo "icinga2 RSS: $((total / 1024)) MB in all ($(echo "$pids" | wc -w) processes), $((largest / 1024)) MB the largest, for $want services"
