#!/usr/bin/env bash
# Web UI benchmark (issue 14: a list page answers in <= 200 ms on the server with 100,000
# services): a cluster of HOSTS hosts x SERVICES passive services on one scheduler
# (bench/scale/generate.py, services applied through host groups), `vigia run`'s admin logs in
# with curl, then each page is fetched ROUNDS times and its server time (curl's time to the first
# byte, on loopback) reported as median and max.
# usage: HOSTS=10000 SERVICES=10 bash bench/webui/run.sh   (VIGIA=path to skip the build)
set -euo pipefail
cd "$(dirname "$0")/../.."
hosts=${HOSTS:-10000}
per=${SERVICES:-10}
rounds=${ROUNDS:-10}
ip=${IP:-127.0.33.1}
work=${BENCH_DIR:-/tmp/vigia-bench-webui}
rm -rf "$work" && mkdir -p "$work"
if [ -n "${VIGIA:-}" ]; then vigia=$VIGIA; else cargo build --release -q -p vigia; vigia=target/release/vigia; fi
IP=$ip python3 bench/scale/generate.py "$hosts" "$per" 1 "$work/etc"
"$vigia" run "$work/etc" --data "$work/data" >"$work/run.log" 2>&1 &
run_pid=$!
trap 'kill "$run_pid" 2>/dev/null; wait "$run_pid" 2>/dev/null || true' EXIT
base="http://$ip:7772"
for _ in $(seq 1 100); do grep -q "web UI login" "$work/run.log" && break; sleep 0.2; done
password=$(grep -o 'admin / [A-Za-z0-9]*' "$work/run.log" | cut -d' ' -f3)
want=$((hosts * per))
secret=$(cat "$work/data/secret")
for _ in $(seq 1 600); do
    got=$(curl -s -H "X-Vigia-Secret: $secret" "$base/api/v1/services" | python3 -c 'import json,sys
try: print(len(json.load(sys.stdin)))
except Exception: print(0)')
    [ "$got" = "$want" ] && break
    sleep 1
done
echo "services at the broker: $got of $want"
curl -s -c "$work/jar" -o /dev/null -d "user=admin&password=$password" "$base/login"
# A few problems, so that the overview has rows.
for h in 1 2 3; do
    curl -s -o /dev/null -H "X-Vigia-Secret: $secret" -H 'content-type: text/plain' \
        --data-binary "[$(date +%s)] PROCESS_SERVICE_CHECK_RESULT;host$h;svc0;2;CRITICAL - bench" \
        "http://$ip:7773/api/v1/commands?wait=10"
done
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $rounds rounds per page"
printf '%-60s %10s %10s %10s\n' page "median ms" "max ms" bytes
for page in "/" "/services" "/services?page=500" "/services?state=critical" "/services?q=svc7&sort=state" \
    "/services?group=group1" "/hosts" "/hosts?q=host999" "/services?host=host42" \
    "/host?name=host42" "/service?host=host1&service=svc0" "/log"; do
    times=()
    for _ in $(seq 1 "$rounds"); do
        times+=("$(curl -s -b "$work/jar" -o "$work/page.html" -w '%{time_starttransfer}' "$base$page")")
    done
    bytes=$(stat -c %s "$work/page.html")
    printf '%s\n' "${times[@]}" | sort -n | awk -v p="$page" -v b="$bytes" '{ a[NR] = $1 } END { printf "%-60s %10.1f %10.1f %10d\n", p, a[int((NR + 1) / 2)] * 1000, a[NR] * 1000, b }'
done
broker_pid=$(pgrep -f "vigia broker .*$ip" | head -n1)
echo "broker RSS: $(awk '/^VmRSS:/ { printf "%d MB", $2 / 1024 }' /proc/"$broker_pid"/status) for $want services"
