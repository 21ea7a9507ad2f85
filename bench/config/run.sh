#!/usr/bin/env bash
# check-config benchmark: Vigia against Nagios 4 (`nagios4 -v`) on the same generated files, in
# the same run. Prints wall time and peak RSS (median of REPEAT runs) for each size.
#
# usage: bench/config/run.sh [SIZES...]   (a size is HOSTSxSERVICES_PER_HOST; default 10000x10 100000x10)
# needs: python3, /usr/bin/time, nagios4 (apt-get install nagios4-core); builds vigia --release.
set -euo pipefail
cd "$(dirname "$0")/../.."
sizes=("${@:-10000x10 100000x10}")
# shellcheck disable=SC2206
sizes=(${sizes[*]})
repeat=${REPEAT:-5}
work=${BENCH_DIR:-/tmp/vigia-bench-config}
cargo build --release -q -p vigia
vigia=$PWD/target/release/vigia
nagios=$(command -v nagios4 || echo /usr/sbin/nagios4)

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

measure() { # label, command...
    local label=$1; shift
    local times=() rss=()
    for _ in $(seq "$repeat"); do
        /usr/bin/time -o "$work/time.out" -f "%e %M" "$@" >/dev/null 2>&1 || true
        out=$(tail -1 "$work/time.out")
        times+=("${out% *}"); rss+=("${out#* }")
    done
    local t m
    t=$(printf '%s\n' "${times[@]}" | median)
    m=$(printf '%s\n' "${rss[@]}" | median)
    printf '%-8s %-12s %8s s %8d MB\n' "$label" "$size" "$t" "$((m / 1024))"
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo); repeat $repeat, median"
for size in "${sizes[@]}"; do
    hosts=${size%x*}; per=${size#*x}
    dir=$work/$size
    [ -f "$dir/nagios.cfg" ] || python3 bench/config/generate.py "$hosts" "$per" "$dir"
    "$vigia" check-config "$dir/nagios.cfg" | grep -E "^Checked [0-9]+ (hosts|services)\." | tr '\n' ' '; echo
    measure vigia "$vigia" check-config "$dir/nagios.cfg"
    if [ -x "$nagios" ]; then
        measure nagios4 "$nagios" -v "$dir/nagios.cfg"
    else
        echo "nagios4 not installed: no peer figure (apt-get install nagios4-core)"
    fi
done
