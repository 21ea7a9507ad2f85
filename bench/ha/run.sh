#!/usr/bin/env bash
# High-availability benchmark: `vigia demo ha --cycles N --json` per role (a master and a spare
# on loopback, the master killed with SIGKILL and restarted N times). Prints median and max
# fail-over (kill → first check run by the spare, seen at the broker; for a reactionner or a
# receiver, kill → spare assigned by the arbiter) and fail-back (restart → master assigned and
# spare waiting), and the load average around the run (the figures move with other load).
#
# usage: bench/ha/run.sh [ROLES...]   (scheduler poller reactionner broker receiver; default scheduler)
# env:   CYCLES (default 10), ADDRESS (default 127.0.9.1), BENCH_DIR (JSON kept there)
# needs: python3; builds vigia --release.
set -euo pipefail
cd "$(dirname "$0")/../.."
roles=("${@:-scheduler}")
cycles=${CYCLES:-10}
address=${ADDRESS:-127.0.9.1}
work=${BENCH_DIR:-/tmp/vigia-bench-ha}
mkdir -p "$work"
cargo build --release -q -p vigia
vigia=${CARGO_TARGET_DIR:-$PWD/target}/release/vigia

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo); $cycles cycles per role"
printf '%-12s %-22s %-22s %s\n' role "fail-over median/max" "fail-back median/max" "load average before → after"
for role in "${roles[@]}"; do
    before=$(cut -d' ' -f1-3 /proc/loadavg)
    "$vigia" demo ha --role "$role" --cycles "$cycles" --json --address "$address" \
        >"$work/$role.json" 2>"$work/$role.log" || {
        echo "$role: vigia demo ha failed, see $work/$role.log" >&2
        tail -20 "$work/$role.log" >&2
        exit 1
    }
    after=$(cut -d' ' -f1-3 /proc/loadavg)
    python3 - "$work/$role.json" "$role" "$before" "$after" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
fo, fb = r["failover"], r["failback"]
print(f"{sys.argv[2]:<12} {fo['median_s']:.2f} s / {fo['max_s']:.2f} s{'':<6} "
      f"{fb['median_s']:.2f} s / {fb['max_s']:.2f} s{'':<6} {sys.argv[3]} → {sys.argv[4]}")
print(f"{'':<12} (fail-over = {r['failover_measures']})")
PY
done
echo "JSON per role in $work"
