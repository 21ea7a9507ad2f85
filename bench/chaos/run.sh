#!/usr/bin/env bash
# The chaos harness at full length: a cluster with a spare for every role (the arbiter too) and
# two receivers on 127.0.16.x, 1,000 hosts / 10,000 services checked every 60 s, numbered passive results and
# commands, a random fault every 10-30 s for 30 minutes (kill -9, SIGSTOP for 1-10 s, restart),
# then the table (results and commands sent / applied / lost / twice, notifications sent twice,
# longest unchecked service, take-overs). Seeded: CHAOS_SEED=N replays a run.
#
#   bash bench/chaos/run.sh                       # 30 minutes, 1,000 hosts
#   MINUTES=5 HOSTS=100 bash bench/chaos/run.sh   # shorter
# The 2-minute version runs with the test suite (crates/vigia/tests/chaos.rs, 50 hosts).
set -euo pipefail
cd "$(dirname "$0")/../.."
export CHAOS_SECONDS=$(( ${MINUTES:-30} * 60 ))
export CHAOS_HOSTS=${HOSTS:-1000}
export CHAOS_PASSIVE=${PASSIVE:-100}
export CHAOS_INTERVAL=${INTERVAL:-60}
# Not the test suite's addresses: both can run at once.
export CHAOS_NET=${NET:-127.0.16}
export CHAOS_EVERY_MIN=${EVERY_MIN:-10}
export CHAOS_EVERY_MAX=${EVERY_MAX:-30}
[ -n "${SEED:-}" ] && export CHAOS_SEED=$SEED
out=${OUT:-bench/chaos/last-run.txt}
cargo test --release -p vigia --test chaos -- --nocapture 2>&1 \
    | grep --line-buffered -v -E '^\s*$|INFO|WARN|DEBUG' | tee "$out"
