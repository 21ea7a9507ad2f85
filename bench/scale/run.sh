#!/usr/bin/env bash
# Scale benchmark (issue 10): a whole cluster started with `vigia run` on a configuration written
# as a new Alignak user writes it (bench/scale/generate.py: one objects file, hostgroups of 1,000,
# services applied through the hostgroups, all passive, parent chains of 50; SCHEDULERS master
# schedulers each with a spare, one poller, reactionner, broker, receiver, all on IP).
#
# Measures and prints one table:
#   a  `vigia check-config` wall time and max RSS (/usr/bin/time -v);
#   b  time from `vigia run` until the broker shows every host and service;
#   c  RSS of every daemon once settled (every part live on its spare), from
#      /proc/PID/status (VmRSS; VmHWM = the peak so far);
#   d  passive results for SAMPLE services and an acknowledgement, a downtime and a comment on
#      host0 through the receiver (POST /api/v1/commands?wait=10), then kill -9 of the master
#      scheduler that runs host0: time until the arbiter shows a spare running its part, and
#      until a result posted right after the kill is applied and shown at the broker; whether
#      the ack, downtime, comment and sample results are still there at the broker;
#   e  the killed master started again by hand with the command line `vigia run` gave it
#      (`vigia run` does not restart a daemon): time until the arbiter shows it active and the
#      spare waiting, and until a result posted then is shown at the broker;
#   f  RSS of the spare before the kill, after the take-over and after the fail-back;
#   g  a reload (POST /v1/reload to the arbiter, as SIGHUP does) that adds one host (in group0,
#      so with SERVICES services): the reload's answer, and time until the broker shows it;
#   h  SIGSTOP of the master that runs host0: time until the arbiter shows a spare running its
#      part; SIGCONT: time until the master runs it again; the ack, downtime and comment after.
#
# usage: bench/scale/run.sh
# env:   HOSTS (10000), SERVICES per host (10), SCHEDULERS (4), IP (127.0.31.1, loopback),
#        FILES (objects spread over that many files; default one), SAMPLE (passive results
#        before the kill, 1000), BENCH_DIR (/tmp/vigia-bench-scale: configuration, daemons'
#        data, raw JSON and logs), WAIT_S (deadline of each wait, 600), TOTAL_S (deadline of the
#        whole run, 900), MAX_RSS_MB (the run stops when the cluster's RSS exceeds it, 8192),
#        VIGIA (a vigia binary to use instead of building target/release/vigia).
# needs: python3, curl, jq, /usr/bin/time, /usr/lib/nagios/plugins/check_dummy
#        (monitoring-plugins-basic: the hosts' checks). Ports on IP: 7769-7773, 7801+, 7901+.
# Every process it starts is stopped on exit (also on failure or Ctrl-C): SIGTERM, then SIGKILL.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
hosts=${HOSTS:-10000}
per=${SERVICES:-10}
scheds=${SCHEDULERS:-4}
ip=${IP:-127.0.31.1}
sample=${SAMPLE:-1000}
work=${BENCH_DIR:-/tmp/vigia-bench-scale}
wait_s=${WAIT_S:-600}
total_s=${TOTAL_S:-900}
max_rss_mb=${MAX_RSS_MB:-8192}
etc=$work/etc
data=$work/data
# The Alignak layout's ports (bench/config/generate.py); scheduler ports come from the arbiter.
arbiter=http://$ip:7770
broker=http://$ip:7772
receiver=http://$ip:7773
expected_services=$((hosts * per))
((sample > expected_services)) && sample=$expected_services

for tool in python3 curl jq /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 2; }
done
[ -x /usr/lib/nagios/plugins/check_dummy ] ||
    echo "WARNING: /usr/lib/nagios/plugins/check_dummy missing (apt-get install monitoring-plugins-basic): every host check fails" >&2
[[ $ip == 127.* ]] || { echo "IP must be a loopback address (127.x.y.z)" >&2; exit 2; }

mkdir -p "$work"
rm -rf "$etc" "$data" "$work/manual-pids" "$work/stopped-because" "$work/rss-timeline.txt" "$work"/*.json "$work"/*.log "$work"/*.out "$work"/*.txt "$work"/*.time "$work"/*.tsv
results=$work/results.tsv
# The script's own stdout and stderr: a trap may run while a function's output is redirected to
# a file (`get URL >FILE`), and the EXIT trap must still print to them.
exec 3>&1 4>&2
: >"$results"
if [ -n "${VIGIA:-}" ]; then
    vigia=$VIGIA
else
    cargo build --release -q -p vigia
    vigia=${CARGO_TARGET_DIR:-$repo/target}/release/vigia
fi

# ---------------------------------------------------------------------------------------------
# Helpers

now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }
log() { printf '%s %s\n' "$(date +%T)" "$*" | tee -a "$work/bench.log" >&4; }
# res KEY VALUE: one line of the summary table (kept in results.tsv).
res() { printf '%s\t%s\n' "$1" "$2" >>"$results"; log "$1: $2"; }
# The cluster's secret: `vigia run` makes $data/secret at its start; every API wants it.
auth() { printf 'X-Vigia-Secret: %s' "$(cat "$data/secret" 2>/dev/null)"; }
get() { curl -sf -m "${2:-10}" -H "$(auth)" "$1"; }
# post_commands FILE [QUERY]: "HTTP CODE ANSWER" of the receiver.
post_commands() {
    local out
    out=$(curl -s -m 30 -H "$(auth)" -H 'content-type: text/plain' --data-binary "@$1" -w '\n%{http_code}' \
        "$receiver/api/v1/commands${2:-}") || true
    printf 'HTTP %s %s\n' "$(tail -n1 <<<"$out")" "$(sed '$d' <<<"$out")"
}
# mb KB: in MB
mb() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

run_pid=
manual_pids=()
watchdog_pid=

# Every daemon of the cluster as "NAME PID": the arbiter is `vigia run` itself, the others its
# children (named by their --data folder), plus any daemon started again by hand.
daemon_pids() {
    [ -n "$run_pid" ] && kill -0 "$run_pid" 2>/dev/null || return 0
    echo "arbiter-master $run_pid"
    local pid args
    for pid in $(ps -o pid= --ppid "$run_pid") $(cat "$work/manual-pids" 2>/dev/null); do
        args=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || continue
        [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ] && continue
        [[ $args =~ --data\ ([^ ]+) ]] && echo "$(basename "${BASH_REMATCH[1]}") $pid"
    done
}
pid_of() { daemon_pids | awk -v n="$1" '$1 == n { print $2 }' | tail -n1; }

# rss_table LABEL: VmRSS and VmHWM of every daemon, into rss-LABEL.txt; prints the total (MB).
rss_table() {
    local file=$work/rss-$1.txt total=0 name pid r h
    printf '%-22s %8s %10s %10s\n' daemon pid "VmRSS MB" "VmHWM MB" >"$file"
    while read -r name pid; do
        r=$(rss_kb "$pid"); h=$(hwm_kb "$pid")
        total=$((total + r))
        printf '%-22s %8s %10s %10s\n' "$name" "$pid" "$(mb "$r")" "$(mb "$h")" >>"$file"
    done < <(daemon_pids | sort)
    printf '%-22s %8s %10s\n' total "" "$(mb "$total")" >>"$file"
    mb "$total"
}

# wait_until WHAT CONDITION...: runs CONDITION every 0.2 s (a bash function or command) until it
# succeeds; fails after WAIT_S or when `vigia run` has exited.
wait_until() {
    local what=$1 start=$EPOCHREALTIME; shift
    until "$@"; do
        if [ -n "$run_pid" ] && ! kill -0 "$run_pid" 2>/dev/null; then
            log "vigia run exited while waiting for: $what (see $work/run.log)"
            tail -20 "$work/run.log" >&4 || true
            return 1
        fi
        if awk -v a="$start" -v b="$EPOCHREALTIME" -v d="$wait_s" 'BEGIN { exit !(b - a > d) }'; then
            log "timed out after $wait_s s waiting for: $what"
            return 1
        fi
        sleep 0.2
    done
}

summary() {
    [ -s "$results" ] || return 0
    echo
    echo "== vigia scale benchmark: $hosts hosts x $per services = $expected_services services, $scheds master scheduler(s) + $scheds spare(s) on $ip =="
    echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg); binary $vigia"
    awk -F'\t' '{ printf "%-66s %s\n", $1, $2 }' "$results"
    [ -f "$work/stopped-because" ] && echo "STOPPED EARLY: $(cat "$work/stopped-because")"
    for f in "$work"/rss-settled.txt "$work"/rss-after-reload.txt "$work"/rss-at-stop.txt; do
        [ -f "$f" ] && { echo; echo "RSS per daemon ($(basename "$f" .txt | sed 's/^rss-//')):"; cat "$f"; }
    done
    echo
    echo "raw JSON and logs: $work (this table: summary.txt)"
}

# Stops what this script started: SIGTERM to `vigia run` (it stops its children) and to the
# daemons started by hand, SIGKILL to whatever of their process groups is left after 20 s.
cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    exec >&3 2>&4
    [ -n "$watchdog_pid" ] && kill "$watchdog_pid" 2>/dev/null
    [ -f "$work/stopped-because" ] && log "stopped: $(cat "$work/stopped-because")"
    if [ -n "$run_pid" ] && kill -0 "$run_pid" 2>/dev/null; then
        get "$arbiter/v1/status" 5 >"$work/status-at-exit.json" 2>/dev/null || true
    fi
    local groups=() pid
    [ -n "$run_pid" ] && groups+=("$run_pid")
    groups+=("${manual_pids[@]}")
    for pid in "${groups[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    local deadline=$((SECONDS + 20)) left
    while ((SECONDS < deadline)); do
        left=0
        for pid in "${groups[@]}"; do kill -0 -- "-$pid" 2>/dev/null && left=1; done
        ((left)) || break
        sleep 0.2
    done
    for pid in "${groups[@]}"; do
        if kill -0 -- "-$pid" 2>/dev/null; then
            log "process group $pid still there after 20 s: SIGKILL"
            kill -KILL -- "-$pid" 2>/dev/null || true
        fi
    done
    summary | tee "$work/summary.txt"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Watchdog: the cluster's RSS every second (rss-timeline.txt: seconds since `vigia run`, total
# and per daemon, in MB; the peak in rss-peak-mb.txt) and the whole run's deadline; past either
# it writes why (and each daemon's RSS then, rss-at-stop.txt) and stops this script (whose EXIT
# trap stops the cluster).
start_watchdog() {
    (
        peak=0 start=$SECONDS
        while sleep 1; do
            total=0 line=
            while read -r name pid; do
                r=$(rss_kb "$pid")
                total=$((total + r))
                line+=" $name=$((r / 1024))"
            done < <(daemon_pids)
            echo "$(since "$t_start") total=$((total / 1024))$line" >>"$work/rss-timeline.txt"
            ((total > peak)) && { peak=$total; echo $((peak / 1024)) >"$work/rss-peak-mb.txt"; }
            why=
            ((total / 1024 > max_rss_mb)) && why="the cluster's RSS reached $((total / 1024)) MB (> MAX_RSS_MB=$max_rss_mb) $(since "$t_start") s after vigia run started"
            ((SECONDS - start > total_s)) && why="the run took more than TOTAL_S=$total_s s"
            if [ -n "$why" ]; then
                echo "$why" >"$work/stopped-because"
                tr ' ' '\n' <<<"$line" | sed '/^$/d' >"$work/rss-at-stop.txt"
                kill -TERM $$
                exit
            fi
        done
    ) &
    watchdog_pid=$!
}

# ---------------------------------------------------------------------------------------------
# The configuration, and a: check-config

log "generating $hosts hosts x $per services, $scheds master scheduler(s) + spares, on $ip, in $etc"
IP=$ip python3 bench/scale/generate.py "$hosts" "$per" "$scheds" "$etc" ${FILES:+--files "$FILES"}
res "configuration" "$(du -sh "$etc/arbiter/objects" | cut -f1) of objects in $(find "$etc/arbiter/objects" -name '*.cfg' | wc -l) file(s)"

/usr/bin/time -v -o "$work/check-config.time" "$vigia" check-config "$etc" >"$work/check-config.out" 2>&1 || {
    log "vigia check-config $etc failed:"; tail -30 "$work/check-config.out" >&2; exit 1
}
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s }' "$work/check-config.time")
peak=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/check-config.time")
res "a: check-config wall time / max RSS" "$wall s / $(mb "$peak") MB ($(grep -E '^Checked [0-9]+ (hosts|services)\.' "$work/check-config.out" | tr '\n' ' '))"

# ---------------------------------------------------------------------------------------------
# b: start until every service is at the broker

for port in 7769 7770 7771 7772 7773 $(seq 7801 $((7800 + scheds))) $(seq 7901 $((7900 + scheds))); do
    if (exec 5<>"/dev/tcp/$ip/$port") 2>/dev/null; then
        log "$ip:$port is taken: another cluster runs there (stop it, or set IP=)"; exit 1
    fi
done

log "starting: vigia run $etc --data $data"
t_start=$(now)
# Its own session (and process group): the EXIT trap can stop every daemon it starts.
setsid "$vigia" run "$etc" --data "$data" >"$work/run.log" 2>&1 &
run_pid=$!
sleep 0.1
[ "$(ps -o pgid= -p "$run_pid" | tr -d ' ')" = "$run_pid" ] || { log "vigia run is not its own process group"; exit 1; }
start_watchdog

arbiter_up() { get "$arbiter/v1/status" 5 >"$work/status-start.json"; }
wait_until "the arbiter's status API" arbiter_up
res "b: vigia run -> arbiter answers" "$(since "$t_start") s"

masters_assigned() {
    get "$arbiter/v1/status" 5 >"$work/status-start.json" &&
        jq -e '[.daemons[] | select(.role == "scheduler" and (.spare | not) and .assigned)] | length == '"$scheds" \
            "$work/status-start.json" >/dev/null
}
wait_until "every master scheduler assigned" masters_assigned
res "b: vigia run -> every master scheduler assigned" "$(since "$t_start") s"
# What the arbiter sent so far (assignments, mostly): wchar counts socket writes too.
res "b: arbiter's bytes written until then (/proc/PID/io wchar)" "$(awk '/^wchar/ { printf "%.0f MB", $2 / 1048576 }' "/proc/$run_pid/io")"

# The broker's per-scheduler counts (cheap), not the whole list, while waiting.
broker_counts() { get "$broker/api/v1/schedulers" 10 | jq -r '"\([.[].hosts] | add // 0) \([.[].services] | add // 0)"'; }
all_at_broker() {
    local c; c=$(broker_counts 2>/dev/null) || return 1
    [ "$c" = "$hosts $expected_services" ]
}
wait_until "every host and service at the broker" all_at_broker
res "b: vigia run -> every service at the broker" "$(since "$t_start") s"
get "$broker/api/v1/schedulers" >"$work/broker-schedulers-start.json"

# ---------------------------------------------------------------------------------------------
# c: RSS once settled (every part followed by a spare with a live copy: nothing left to replay)

spares_hold_all() {
    local port held=0 n
    for port in $(seq 7901 $((7900 + scheds))); do
        n=$(get "http://$ip:$port/v1/standby" 5 | jq '[.[] | select(.[2] == 0)] | length') || return 1
        held=$((held + n))
    done
    [ "$held" -ge "$scheds" ]
}
wait_until "every master's state live on a spare" spares_hold_all
res "c: vigia run -> every master's state live on a spare" "$(since "$t_start") s"
t0=$(now)
get "$broker/api/v1/services" 120 >"$work/services.json"
res "b: GET /api/v1/services (whole list) time / size / count" \
    "$(since "$t0") s / $(($(stat -c %s "$work/services.json") / 1048576)) MB / $(jq length "$work/services.json")"
# Settled: a minute after the start, once the schedulers' first full status to the broker is
# over (measured 14 s after the start, masters were 40-80 MB above what they settle at).
while [ "$(awk -v a="$t_start" -v b="$EPOCHREALTIME" 'BEGIN { print (b - a < 60) }')" = 1 ]; do sleep 1; done
res "c: RSS of the cluster, settled (per daemon below)" "$(rss_table settled) MB"
"$vigia" status --arbiter "$ip:7770" --secret-file "$data/secret" --json >"$work/status-settled.json" || true

# ---------------------------------------------------------------------------------------------
# d: passive results, operator actions, kill -9 of the master that runs host0

# SAMPLE services spread over every host but host0 (whose services get the operator's actions):
# WARNING results.
ts=$(date +%s)
awk -v n="$sample" -v h="$hosts" -v s="$per" -v t="$ts" 'BEGIN {
    for (i = 0; i < n; i++) printf "[%d] PROCESS_SERVICE_CHECK_RESULT;host%d;svc%d;1;WARNING bench sample %d\n", t, (h > 1 ? 1 + int(i * (h - 1) / n) : 0), i % s, i
}' >"$work/sample-commands.txt"
t0=$(now)
post_commands "$work/sample-commands.txt" "?wait=10" >"$work/sample-answer.json"
res "d: $sample passive results, POST ?wait=10 answered in" "$(since "$t0") s: $(tr -d '\n' <"$work/sample-answer.json" | head -c 200)"
samples_at_broker() {
    get "$broker/api/v1/services" 120 >"$work/services.json" &&
        [ "$(jq '[.[] | select(.output | startswith("WARNING bench sample"))] | length' "$work/services.json")" = "$sample" ]
}
wait_until "the $sample sample results at the broker" samples_at_broker
res "d: $sample passive results: POST -> all shown at the broker" "$(since "$t0") s"

# One problem acknowledged, one downtime, one comment, all on host0.
cat >"$work/operator-commands.txt" <<EOF
[$ts] PROCESS_SERVICE_CHECK_RESULT;host0;svc0;2;CRITICAL bench problem
[$ts] ACKNOWLEDGE_SVC_PROBLEM;host0;svc0;2;1;1;admin;bench acknowledgement
[$ts] SCHEDULE_SVC_DOWNTIME;host0;svc1;$ts;$((ts + 7200));1;0;7200;admin;bench downtime
[$ts] ADD_SVC_COMMENT;host0;svc2;1;admin;bench comment
EOF
t0=$(now)
post_commands "$work/operator-commands.txt" "?wait=10" >"$work/operator-answer.json"
res "d: ack + downtime + comment, POST ?wait=10 answered in" "$(since "$t0") s: $(tr -d '\n' <"$work/operator-answer.json" | head -c 200)"
# operator_state FILE_PREFIX: "ack downtime comment" as true/false, from the broker.
operator_state() {
    get "$broker/api/v1/services?host_name=host0" >"$work/$1-host0.json" || return 1
    get "$broker/api/v1/comments?host_name=host0" >"$work/$1-comments.json" || return 1
    get "$broker/api/v1/downtimes?host_name=host0" >"$work/$1-downtimes.json" || return 1
    echo "ack=$(jq '[.[] | select(.service_description == "svc0" and .acknowledged)] | length == 1' "$work/$1-host0.json")" \
        "downtime=$(jq '[.[] | select(.service_description == "svc1" and .in_downtime)] | length == 1' "$work/$1-host0.json")" \
        "comment=$(jq 'map(tostring) | any(contains("bench comment"))' "$work/$1-comments.json")"
}
operator_ok() { [ "$(operator_state "$1" 2>/dev/null)" = "ack=true downtime=true comment=true" ]; }
wait_until "the acknowledgement, downtime and comment at the broker" operator_ok before-kill
res "d: ack + downtime + comment: POST -> shown at the broker" "$(since "$t0") s"

master=$(get "$broker/api/v1/hosts?host_name=host0" | jq -r '.[0].scheduler')
master_pid=$(pid_of "$master")
master_listen=$(jq -r --arg n "$master" '.daemons[] | select(.name == $n) | "\(.address):\(.port)"' "$work/status-settled.json")
[ -n "$master_pid" ] && [ "$master" != null ] || { log "cannot find the scheduler that runs host0 ($master)"; exit 1; }
declare -A spare_before
for s in $(seq 1 "$scheds"); do spare_before[scheduler-spare-$s]=$(rss_kb "$(pid_of "scheduler-spare-$s")"); done

# A result posted right after the kill is the probe: shown at the broker, it was applied by
# the spare that took over.
t_kill=$(now)
kill -KILL "$master_pid"
log "kill -9 $master (pid $master_pid), which runs host0"
echo "[$(date +%s)] PROCESS_SERVICE_CHECK_RESULT;host0;svc3;0;OK probe after the kill" >"$work/probe-kill.txt"
post_commands "$work/probe-kill.txt" >"$work/probe-kill-answer.json"
spare=
t_assigned=
t_probe=
takeover_seen() {
    if [ -z "$t_assigned" ] && get "$arbiter/v1/status" 5 >"$work/status-takeover.json"; then
        spare=$(jq -r --arg m "$master" '.daemons[] | select(.standing_in_for == $m and .assigned) | .name' "$work/status-takeover.json" | head -n1)
        [ -n "$spare" ] && t_assigned=$(since "$t_kill")
    fi
    if [ -z "$t_probe" ] &&
        get "$broker/api/v1/services?host_name=host0" 5 |
        jq -e '.[] | select(.service_description == "svc3" and .output == "OK probe after the kill")' >/dev/null 2>&1; then
        t_probe=$(since "$t_kill")
    fi
    [ -n "$t_assigned" ] && [ -n "$t_probe" ]
}
wait_until "a spare running $master's part and the probe result at the broker" takeover_seen
res "d: kill -9 $master -> arbiter shows $spare running its part" "$t_assigned s"
res "d: kill -9 -> result posted after the kill shown at the broker" "$t_probe s"
operator_after=$(operator_state after-takeover || echo "broker did not answer")
res "d: after the take-over, at the broker (ack, downtime, comment on host0)" "$operator_after"
get "$broker/api/v1/services" 120 >"$work/services-after-takeover.json" || true
res "d: after the take-over, sample results still shown" \
    "$(jq '[.[] | select(.output | startswith("WARNING bench sample"))] | length' "$work/services-after-takeover.json" 2>/dev/null || echo '?') of $sample"
get "$broker/api/v1/ha" >"$work/broker-ha.json" || true
res "d: arbiter's reason" "$(jq -r --arg s "$spare" '[.events[] | select(.to == $s)] | last | .reason // "?"' "$work/status-takeover.json" | head -c 160)"

# ---------------------------------------------------------------------------------------------
# f (before / after the take-over)

sleep 5
spare_pid=$(pid_of "$spare")
res "f: $spare RSS before the kill -> 5 s after the take-over" \
    "$(mb "${spare_before[$spare]}") MB -> $(mb "$(rss_kb "$spare_pid")") MB (VmHWM $(mb "$(hwm_kb "$spare_pid")") MB)"
others=
for s in $(seq 1 "$scheds"); do
    [ "scheduler-spare-$s" = "$spare" ] && continue
    others+="scheduler-spare-$s $(mb "${spare_before[scheduler-spare-$s]}")->$(mb "$(rss_kb "$(pid_of "scheduler-spare-$s")")") "
done
[ -n "$others" ] && res "f: the other spares' RSS before -> after (MB)" "$others"
"$vigia" status --arbiter "$ip:7770" --secret-file "$data/secret" --json >"$work/status-after-takeover.json" || true

# ---------------------------------------------------------------------------------------------
# e: the master started again by hand, as `vigia run` started it; fail-back

log "starting $master again: $vigia scheduler --listen $master_listen --data $data/$master"
t_restart=$(now)
setsid "$vigia" scheduler --listen "$master_listen" --data "$data/$master" >"$work/restarted-$master.log" 2>&1 &
manual_pids+=("$!")
echo "$!" >>"$work/manual-pids"
failback_seen() {
    get "$arbiter/v1/status" 5 >"$work/status-failback.json" &&
        jq -e --arg m "$master" --arg s "$spare" \
            '([.daemons[] | select(.name == $m and .assigned)] | length == 1) and ([.daemons[] | select(.name == $s and .assigned)] | length == 0)' \
            "$work/status-failback.json" >/dev/null
}
wait_until "$master active again and $spare waiting" failback_seen
res "e: restart of $master -> arbiter shows it active, $spare waiting" "$(since "$t_restart") s"
# From the logs: how long the part ran nowhere (the spare's release to the master running it).
log_time() { sed 's/\x1b\[[0-9;]*m//g' "$1" | grep -a "$2" | tail -n1 | awk '{ print $1 }' | xargs -r -I{} date -d {} +%s.%N; }
t_released=$(log_time "$work/run.log" "scheduler $spare: released")
t_running=$(log_time "$work/restarted-$master.log" "scheduler $master: running")
if [ -n "$t_released" ] && [ -n "$t_running" ]; then
    res "e: the part ran nowhere ($spare released -> $master running, from their logs)" \
        "$(awk -v a="$t_released" -v b="$t_running" 'BEGIN { printf "%.2f", b - a }') s"
fi
echo "[$(date +%s)] PROCESS_SERVICE_CHECK_RESULT;host0;svc3;0;OK probe after the fail-back" >"$work/probe-failback.txt"
t0=$(now)
post_commands "$work/probe-failback.txt" >"$work/probe-failback-answer.json"
probe_back() {
    get "$broker/api/v1/services?host_name=host0" 5 |
        jq -e '.[] | select(.service_description == "svc3" and .output == "OK probe after the fail-back")' >/dev/null 2>&1
}
wait_until "the result posted after the fail-back at the broker" probe_back
res "e: result posted after the fail-back -> shown at the broker" "$(since "$t0") s (restart -> shown: $(since "$t_restart") s)"
res "e: after the fail-back, at the broker (ack, downtime, comment on host0)" "$(operator_state after-failback || echo "broker did not answer")"
sleep 5
res "f: $spare RSS 5 s after the fail-back" "$(mb "$(rss_kb "$spare_pid")") MB"
"$vigia" status --arbiter "$ip:7770" --secret-file "$data/secret" --json >"$work/status-after-failback.json" || true

# ---------------------------------------------------------------------------------------------
# g: a reload that adds one host

new=host$hosts
cat >"$etc/arbiter/objects/zz-reload-$new.cfg" <<EOF
define host {
    use linux-host
    host_name $new
    alias Host $hosts (added by a reload)
    address 10.255.255.254
    hostgroups group0
}
EOF
log "reload: POST $arbiter/v1/reload (adds $new, in group0)"
t0=$(now)
code=$(curl -s -m "$wait_s" -H "$(auth)" -X POST -o "$work/reload-answer.json" -w '%{http_code}' "$arbiter/v1/reload" || echo failed)
res "g: reload (POST /v1/reload) answered in" "$(since "$t0") s: HTTP $code $(head -c 160 "$work/reload-answer.json" 2>/dev/null)"
t_host=
new_at_broker() {
    if [ -z "$t_host" ] && get "$broker/api/v1/hosts?host_name=$new" 5 | jq -e 'length == 1' >/dev/null 2>&1; then
        t_host=$(since "$t0")
    fi
    [ -n "$t_host" ] && get "$broker/api/v1/services?host_name=$new" 5 | jq -e "length == $per" >/dev/null 2>&1
}
wait_until "$new and its $per services at the broker" new_at_broker
res "g: reload -> $new shown at the broker / with its $per services" "$t_host s / $(since "$t0") s"
all_after_reload() { [ "$(broker_counts 2>/dev/null)" = "$((hosts + 1)) $((expected_services + per))" ]; }
wait_until "every host and service at the broker after the reload" all_after_reload
res "g: reload -> every host and service at the broker again" "$(since "$t0") s"
res "g: after the reload, at the broker (ack, downtime, comment on host0)" "$(operator_state after-reload || echo "broker did not answer")"
sleep 5
res "g: RSS of the cluster after the reload (per daemon below)" "$(rss_table after-reload) MB"
# ---------------------------------------------------------------------------------------------
# h: SIGSTOP of the master that runs host0 (hung, not dead), then SIGCONT

master_pid=$(pid_of "$master")
t_stop=$(now)
kill -STOP "$master_pid"
log "SIGSTOP $master (pid $master_pid)"
stood_in() {
    get "$arbiter/v1/status" 5 >"$work/status-sigstop.json" &&
        jq -e --arg m "$master" '[.daemons[] | select(.standing_in_for == $m and .assigned)] | length == 1' \
            "$work/status-sigstop.json" >/dev/null
}
wait_until "a spare running the part of the stopped $master" stood_in
res "h: SIGSTOP $master -> arbiter shows a spare running its part" "$(since "$t_stop") s"
t_cont=$(now)
kill -CONT "$master_pid"
back_from_stop() {
    get "$arbiter/v1/status" 5 >"$work/status-sigcont.json" &&
        jq -e --arg m "$master" \
            '([.daemons[] | select(.name == $m and .assigned)] | length == 1) and ([.daemons[] | select(.standing_in_for == $m and .assigned)] | length == 0)' \
            "$work/status-sigcont.json" >/dev/null
}
wait_until "$master active again after SIGCONT" back_from_stop
res "h: SIGCONT -> $master active again, the spare waiting" "$(since "$t_cont") s"
res "h: after it, at the broker (ack, downtime, comment on host0)" "$(operator_state after-sigstop || echo "broker did not answer")"

res "peak RSS of the cluster (sampled every second)" "$(cat "$work/rss-peak-mb.txt" 2>/dev/null || echo '?') MB"
"$vigia" status --arbiter "$ip:7770" --secret-file "$data/secret" --json >"$work/status-end.json" || true
res "total run time" "$(since "$t_start") s from vigia run"
