#!/usr/bin/env bash
# Plugin execution benchmark: checks per second through vigia-exec's Executor with /bin/true and
# `check_dummy 0 ok`, side by side with a tight posix_spawn + waitpid loop on the same program
# (as many in flight as cores), from a small process and from one holding 1 GB.
#
# usage: bench/exec/run.sh   (environment: RUNS, ROUNDS, INFLIGHT; see crates/vigia-exec/benches/spawn.rs)
# needs: cargo; check_dummy from Debian's monitoring-plugins-basic (installed when run as root).
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
if [ ! -x /usr/lib/nagios/plugins/check_dummy ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y -q monitoring-plugins-basic >/dev/null
fi
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
exec cargo bench -q -p vigia-exec --bench spawn
