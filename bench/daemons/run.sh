#!/usr/bin/env bash
# End-to-end daemons benchmark: a real cluster of `vigia` processes on loopback (arbiter,
# scheduler, poller, reactionner, broker, receiver) with HOSTS x SERVICES services running
# /bin/true. Phases: a = active checks/s at saturation next to the raw posix_spawn+waitpid
# floor measured in the same run; b = check latency (due -> started) p50/p99 below saturation;
# c = passive results/s through the receiver's HTTP API, until applied at the broker.
#
# usage: bench/daemons/run.sh        (environment: see crates/vigia/benches/daemons.rs;
#                                     e.g. PHASES=a WINDOW=30 POLLER_SLOTS=8)
#        SPARE=1 bench/daemons/run.sh   adds a waiting spare scheduler (port 7778) that the active
#                                     scheduler streams its state to: compare with SPARE=0 (the
#                                     default) for the state-sync overhead; alternate the runs.
#        TLS=1 bench/daemons/run.sh     every link over mutual TLS (a CA and a certificate per
#                                     daemon from `vigia certs`, in the bench's folder; use_ssl 1,
#                                     client_auth 1): compare with TLS=0 (the default); alternate.
# needs: cargo; nothing else (the plugin is /bin/true). Uses 127.0.213.7 (IP=) and the standard ports (+ 7778).
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
# cargo bench builds target/release/vigia too (the bench starts that binary).
exec cargo bench -q -p vigia --bench daemons
