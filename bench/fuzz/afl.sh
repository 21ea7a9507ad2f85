#!/usr/bin/env bash
# Coverage-guided fuzzing with AFL++ (issue 15, item 4): `cargo afl` builds the binaries of
# fuzz/ (one per parser of outside input) with AFL++'s instrumentation and runs afl-fuzz on each
# for MINUTES minutes (default 10), starting from fuzz/corpus/TARGET (kept in the repository;
# worth adding to from fuzz/out/TARGET/default/queue after a long run). Fails on any crash or
# hang, printing where AFL++ left the inputs.
# usage: bash bench/fuzz/afl.sh [TARGET…]       (default: every target; MINUTES=1 for a look)
# needs: cargo install cargo-afl (it builds AFL++ at its first use: `cargo afl config --build`)
set -euo pipefail
cd "$(dirname "$0")/../../fuzz"
minutes=${MINUTES:-10}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(grammar ini external plugin_output livestatus postcard spool)
command -v cargo-afl >/dev/null || { echo "needs cargo-afl: cargo install cargo-afl" >&2; exit 2; }
cargo afl build --release -q
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_QUIET=1
echo "machine: $(nproc) cores; $minutes min per target"
failed=0
for t in "${targets[@]}"; do
  rm -rf "out/$t"; mkdir -p out
  cargo afl fuzz -V $((minutes * 60)) -i "corpus/$t" -o "out/$t" "target/release/$t" >"out-$t.log" 2>&1 || true
  stats="out/$t/default/fuzzer_stats"
  [ -f "$stats" ] || { echo "$t: afl-fuzz did not run:"; tail -20 "out-$t.log"; failed=1; continue; }
  get() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
  crashes=$(get saved_crashes); hangs=$(get saved_hangs)
  printf '%-14s %12s execs  %6s/s  %5s paths  edges %-8s crashes %s  hangs %s\n' "$t" "$(get execs_done)" \
    "$(get execs_per_sec)" "$(get corpus_count)" "$(get edges_found)" "$crashes" "$hangs"
  if [ "${crashes:-0}" != 0 ] || [ "${hangs:-0}" != 0 ]; then
    echo "  inputs: fuzz/out/$t/default/crashes and hangs"; failed=1
  fi
done
exit $failed
