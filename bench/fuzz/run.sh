#!/usr/bin/env bash
# Fuzzing by structured random generation (issue 15, item 4): every property test that feeds a
# parser of outside input runs again and again, with fresh random cases each time, for MINUTES
# minutes per group (default 10), CASES cases per run (default 20000). Any failure stops the run;
# proptest keeps the failing input in the test's `.proptest-regressions` file (commit it: it is
# replayed first from then on). Prints the cases run per group.
# usage: MINUTES=10 bash bench/fuzz/run.sh        (MINUTES=1 for a quick look)
set -euo pipefail
cd "$(dirname "$0")/../.."
minutes=${MINUTES:-10}
cases=${CASES:-20000}
# package | cargo test selection | what it feeds
groups=(
  "vigia-daemons|--test fuzz_inputs|spool files, command FIFO, postcard messages, users file, cgi.cfg, web forms, session cookies"
  "vigia-config|--test load_never_panics|whole configuration trees (objects, main file, alignak.ini)"
  "vigia-config|--lib grammar::|the object grammar"
  "vigia-config|--lib ini::|alignak.ini"
  "vigia-engine|--lib external::|external command lines"
  "vigia-exec|--test parser_props|plugin output, perfdata, threshold ranges, command lines"
  "vigia-livestatus|--test lql|Livestatus requests"
  "vigia-proto|--test part_image|part images"
)
echo "machine: $(nproc) cores; $minutes min per group, $cases cases per run"
cargo test --release -q --workspace --no-run 2>/dev/null
total=0
for g in "${groups[@]}"; do
  IFS='|' read -r package selection what <<<"$g"
  read -r -a sel <<<"$selection"
  deadline=$(( $(date +%s) + minutes * 60 ))
  runs=0
  while [ "$(date +%s)" -lt "$deadline" ]; do
    if ! PROPTEST_CASES=$cases cargo test --release -q -p "$package" "${sel[@]}" >/tmp/vigia-fuzz.log 2>&1; then
      echo "FAILED: $package $selection ($what) after $runs runs"; tail -40 /tmp/vigia-fuzz.log; exit 1
    fi
    runs=$((runs + 1))
  done
  targets=$(grep -c '\.\.\. ok' /tmp/vigia-fuzz.log || true)
  [ "$targets" -gt 0 ] || targets=$(grep -oE '[0-9]+ passed' /tmp/vigia-fuzz.log | head -1 | cut -d' ' -f1)
  printf '%-18s %-26s %4d runs of %s tests (each property test %d cases), 0 failures  (%s)\n' "$package" "$selection" "$runs" "$targets" "$cases" "$what"
  total=$((total + runs))
done
echo "all groups: $total runs, 0 failures"
