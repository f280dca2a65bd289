#!/usr/bin/env bash
# Benchmarks jobexec against baselines measured in the same run, and prints one Markdown table on stdout
# (progress goes to stderr). Starts the packaged service (a copy of the jar, a fresh temp data dir, a random
# free port, API key bench-key-0123456789abcdef) and measures:
#   1. process jobs end to end (/bin/true over HTTP at concurrency C) vs ProcessBuilder, C posix_spawn and
#      Python subprocess at the same concurrency, and vs webhook (adnanh/webhook, a Go HTTP command runner: one
#      hook running /bin/true, answered once it has ended) driven by the same load generator at the same C;
#   2. thread jobs: echo submissions per second (wrk) vs GET /actuator/health/liveness with the same wrk
#      settings, and echo jobs end to end (Prefer: wait) vs Python multiprocessing.Pool;
#   3. kill latency: group death past the deadline (startedAt + timeout) vs the same group killed directly;
#   4. memory per queued job (RSS, and heap after a full GC);
#   5. GET /api/v1/jobs/{id} latency while process jobs run vs on the idle service;
#   6. start-up time until readiness answers 200 vs a trivial Java program.
# Every start (the service the scenarios use, and the start-up samples) is the production launch of the
# Dockerfile, prepared by bench/lib.sh: the jar extracted with `-Djarmode=tools extract`, Spring AOT
# (-Dspring.aot.enabled=true, when the jar was built with -Paot) and a JDK AOT cache (-XX:AOTCache) from one
# training run made here first. The training run is not part of any figure; its duration is in the notes.
# BENCH_JVM_OPTS adds JVM options to every start, the training run included (e.g.
# BENCH_JVM_OPTS=-XX:TieredStopAtLevel=1); BENCH_SERVICE_ARGS adds Spring arguments to every start, the training
# run included (e.g. BENCH_SERVICE_ARGS=--jobexec.pools.process.isolation=off; properties the script sets
# itself, listed in bench/README.md, cannot be overridden this way).
# Usage: bench/run.sh [--quick]   (--quick: smaller counts and shorter runs, under two minutes on 2 cores;
#   the full run takes 5 to 10 minutes). Packages the jar with the Maven wrapper first, with -Paot (Spring AOT)
#   on JDK 25 (the AOT processing makes that about 30 s even when nothing changed);
#   BENCH_JAR=path/to.jar measures that jar instead, for before/after figures.
# Needs: JDK 25 (see bench/lib.sh), curl, wrk (installed with apt-get when missing and running as root).
# Optional: cc (C baseline), python3 (Python baselines), webhook (installed with apt-get when missing and running
# as root; without it the webhook row says so). Only ever talks to 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
bench=$PWD/bench
# shellcheck source=bench/lib.sh
. "$bench/lib.sh"

bench_quick_option "$@"

C=2                      # concurrency of process jobs (and of the spawn baselines)
key=$bench_key
if [ "$quick" = 1 ]; then
  mode=quick; n_spawn=300; n_kill=20; n_queue=20000; queue_max_s=25; dur=3; warm=1; warm_chunk=1000; warm_max=4000; starts=1
  client_warm=2000
  n_pool=20000
else
  mode=full; n_spawn=2000; n_kill=50; n_queue=100000; queue_max_s=150; dur=10; warm=10; warm_chunk=2000; warm_max=60000; starts=3
  # Scenario 1's client (a JVM) runs this many jobs (jobexec) or requests (webhook) unmeasured before it measures:
  # cold, its C2 compiler alone took a fifth of the machine and held webhook to about half its rate (2026-12-02:
  # 616 requests/s after none, 1,210 after 8,000). BenchClient runs them in passes of n_spawn:
  # after one run of 10,000 its JIT still took 0.6 to 1.6 s of CPU in jobexec's measured pass of 2,000 (3.5 s);
  # after 30,000 in passes, 0.09 to 0.2 s (2026-12-03).
  client_warm=30000
  n_pool=100000
fi
wrk_threads=2; wrk_conns=8          # submission and liveness ceiling (scenario 2)
poll_threads=1; poll_conns=2        # status polling (scenario 5)

# JDK 25, and the jar: packaged with -Paot, or BENCH_JAR (an older build, for before/after figures in the same
# conditions).
bench_find_jdk
bench_build_jar
java_home=$bench_java_home
java=$bench_java
jar=$bench_jar

log() { bench_log "$@"; }
t0=$(date +%s%N)

# The work dir; on exit lib.sh stops the service (SIGTERM, then SIGKILL) and removes the dir.
bench_make_work
work=$bench_work
stream_pid=; webhook_pid=
bench_on_exit() {
  [ -z "$stream_pid" ] || kill "$stream_pid" 2>/dev/null || true
  [ -z "$webhook_pid" ] || kill "$webhook_pid" 2>/dev/null || true
}

# ---- tools ----
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing wrk with apt-get ..."
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; } >"$work/apt.log" 2>&1 \
      || { cat "$work/apt.log" >&2; exit 1; }
  else
    echo "wrk is required: apt-get install -y wrk" >&2; exit 1
  fi
fi
notes=()
mkdir -p "$work/classes"
cat >"$work/Hello.java" <<'EOF'
public class Hello { public static void main(String[] args) { System.out.println("hello"); } }
EOF
"$java_home/bin/javac" -d "$work/classes" "$bench/BenchClient.java" "$work/Hello.java"
client() { BENCH_URL=$base_url BENCH_KEY=$key "$java" --enable-native-access=ALL-UNNAMED -cp "$work/classes" BenchClient "$@"; }
have_cc=0
if command -v cc >/dev/null && cc -O2 -pthread -o "$work/spawn_baseline" "$bench/spawn_baseline.c" 2>"$work/cc.log"; then
  have_cc=1
else
  notes+=("C posix_spawn baseline skipped: no working \`cc\`.")
fi
have_py=0
if command -v python3 >/dev/null && python3 -c 'import multiprocessing, concurrent.futures' 2>/dev/null; then
  have_py=1
else
  notes+=("Python baselines skipped: no \`python3\`.")
fi
if ! command -v webhook >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  log "installing webhook with apt-get ..."
  { export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq webhook || { apt-get update -qq && apt-get install -y -qq webhook; }; } \
    >"$work/apt-webhook.log" 2>&1 || log "   webhook could not be installed ($(tail -1 "$work/apt-webhook.log"))"
fi
have_webhook=0; webhook_version=
if command -v webhook >/dev/null; then
  have_webhook=1
  webhook_version=$(webhook -version 2>&1 | awk '{ print $NF; exit }')
fi

# ---- helpers ----
# value KEY LINE: the value of KEY in a "k=v k=v" line
value() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p" | head -1; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
api() { curl -s -H "X-API-Key: $key" "$@"; }
json_field() { grep -o "\"$1\":[^,}]*" | head -1 | cut -d: -f2- | tr -d '"'; }

# The service's Spring arguments, besides those lib.sh gives every start (127.0.0.1, a free port, the data
# dir, the API key), the JDK AOT cache's training run included.
bench_service_args=(
  --jobexec.pools.process.max-concurrency="$C"
  --jobexec.pools.process.queue-capacity=200000
  --jobexec.pools.thread.queue-capacity=200000
  --jobexec.pools.one.type=process --jobexec.pools.one.max-concurrency=1 --jobexec.pools.one.queue-capacity=200000
)
# start_service DATA_DIR: the production launch (bench_start, lib.sh) on a fresh data dir, until readiness
# answers 200; sets base_url and startup_ms. stop_service [GRACE]: SIGTERM, then SIGKILL after GRACE s.
start_service() { bench_start "$1"; base_url=$bench_url; startup_ms=$bench_startup_ms; }
stop_service() { bench_stop "$@"; }

# Waits until pool $1 has nothing queued or running (at most $2 seconds); prints the seconds it took.
wait_pool_idle() {
  local start; start=$(date +%s%N)
  for _ in $(seq 1 $(($2 * 5))); do
    local p; p=$(api "$base_url/api/v1/pools/$1")
    [ "$(json_field queued <<<"$p")" = 0 ] && [ "$(json_field active <<<"$p")" = 0 ] && break
    sleep 0.2
  done
  calc "%.1f" "($(date +%s%N) - $start) / 1e9"
}

# webhook (scenario 1): one hook, POST /hooks/true, running /bin/true. include-command-output-in-response makes
# webhook answer once the command has ended (by default it answers at once and runs the command afterwards).
cat >"$work/hooks.json" <<'EOF'
[{"id": "true", "execute-command": "/bin/true", "include-command-output-in-response": true}]
EOF
webhook_body='{"command":["/bin/true"]}'
# start_webhook LOG [OPTION...]: webhook on a free loopback port with those hooks, until GET / answers 200;
# sets webhook_pid and webhook_url. stop_webhook: SIGTERM to it, and waits for it.
start_webhook() {
  local log_file=$1 port
  shift
  port=$(bench_free_port)
  webhook_url=http://127.0.0.1:$port
  webhook -hooks "$work/hooks.json" -ip 127.0.0.1 -port "$port" "$@" >"$log_file" 2>&1 &
  webhook_pid=$!
  for _ in $(seq 1 200); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$webhook_url/")" = 200 ] && return 0
    kill -0 "$webhook_pid" 2>/dev/null || break
    sleep 0.05
  done
  stop_webhook
  return 1
}
stop_webhook() {
  [ -n "$webhook_pid" ] || return 0
  kill "$webhook_pid" 2>/dev/null || true
  wait "$webhook_pid" 2>/dev/null || true
  webhook_pid=
}
# webhook_check N: N POSTs to a verbose webhook, one at a time; succeeds when all N were answered 200 and its
# log shows N executions of /bin/true that finished. Prints what it saw.
webhook_check() {
  local ok=0 execs finished
  start_webhook "$work/webhook-check.log" -verbose || { echo "webhook did not start"; return 1; }
  for _ in $(seq 1 "$1"); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d "$webhook_body" \
      "$webhook_url/hooks/true")" = 200 ] && ok=$((ok + 1))
  done
  stop_webhook
  execs=$(grep -c 'executing /bin/true' "$work/webhook-check.log" || true)
  finished=$(grep -c 'finished handling true' "$work/webhook-check.log" || true)
  echo "requests=$1 answered_200=$ok executions=$execs finished=$finished"
  [ "$ok" = "$1" ] && [ "$execs" = "$1" ] && [ "$finished" = "$1" ]
}

rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$bench_pid/status"; }
# VmRSS once it has settled: G1 gives memory back concurrently, after the collection that freed it.
# Sampled every 0.25 s until two samples differ by less than 512 KB (at most 5 s).
settled_rss_kb() {
  local last now
  last=$(rss_kb)
  for _ in $(seq 1 20); do
    sleep 0.25
    now=$(rss_kb)
    [ $(( now > last ? now - last : last - now )) -lt 512 ] && break
    last=$now
  done
  echo "$now"
}
heap_used_kb() {
  "$java_home/bin/jcmd" "$bench_pid" GC.run >/dev/null
  "$java_home/bin/jcmd" "$bench_pid" GC.heap_info | awk '/used/ { for (i = 1; i <= NF; i++) if ($i == "used") { sub("K", "", $(i+1)); print $(i+1); exit } }'
}

# ---- the table ----
rows=()
# row SCENARIO JOBEXEC_TEXT JOBEXEC_VALUE BASELINE_TEXT BASELINE_VALUE higher|lower TARGET_TEXT TARGET_KIND TARGET_VALUE
#   TARGET_KIND: ratio (met when ratio >= value), max (met when the jobexec value <= value), none
row() {
  local scenario=$1 jtext=$2 j=$3 btext=$4 b=$5 better=$6 ttext=$7 tkind=$8 tval=${9:-} ratio=– means met=–
  if [ "$better" = higher ]; then means="jobexec/baseline (higher is better)"; else means="baseline/jobexec (lower is better)"; fi
  if [ -n "$b" ] && [ -n "$j" ] && awk "BEGIN { exit !($j > 0 && $b > 0) }"; then
    if [ "$better" = higher ]; then ratio=$(calc "%.4f" "$j / $b"); else ratio=$(calc "%.4f" "$b / $j"); fi
    if awk "BEGIN { exit !($ratio >= 0.1) }"; then ratio=$(calc "%.2f" "$ratio"); else ratio=$(calc "%.2g" "$ratio"); fi
  fi
  case $tkind in
    ratio) if [ "$ratio" = – ]; then met=–; elif awk "BEGIN { exit !($ratio >= $tval) }"; then met=yes; else met=no; fi ;;
    max) if [ -z "$j" ]; then met=–; elif awk "BEGIN { exit !($j <= $tval) }"; then met=yes; else met=no; fi ;;
  esac
  rows+=("| $scenario | $jtext | $btext | $ratio | $means | $ttext | $met |")
}

# ---- machine ----
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
mem_total=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
java_version=$("$java" -version 2>&1 | head -1)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
log "bench/run.sh ($mode): work dir $work"

# ---- the production launch (lib.sh): a copy of the jar extracted, Spring AOT, JDK AOT cache trained once ----
bench_prepare_launch
spring_aot=$bench_spring_aot
aot_cache=$bench_aot_cache
if [ "$spring_aot" = off ]; then
  notes+=("Spring AOT off: $jar was built without -Paot (\`JAVA_HOME=<JDK 25> ./mvnw -Paot package\` adds it), so the start-up is not quite the production launch.")
fi
if [ -s "$aot_cache" ]; then
  notes+=("Start-up (scenario 6, and the service of every scenario) is the production launch: \`java $(printf '%s ' "${bench_launch_opts[@]}" | sed "s|$work/||g")-jar app/jobexec.jar\` on the extracted jar. The JDK AOT cache was trained once beforehand in ${bench_train_s} s (start, 4 requests, SIGTERM; not counted).")
else
  notes+=("The JDK AOT cache training run wrote no cache (the end of its log went to stderr); the service was started without it.")
fi

# ---- 6 (first sample). Start-up of the service that the other scenarios use ----
log "starting the service ..."
start_service "$work/data"
startups=("$startup_ms")
log "ready in ${startup_ms} ms at $base_url (pid $bench_pid)"
# How the process pool's jobs are confined (the isolation health component; absent in older builds).
isolation=$(api "$base_url/actuator/health/isolation" | sed -n 's/.*"pools":{[^}]*"process":"\([^"]*\)".*/\1/p')
isolation=${isolation:-unknown (no isolation health component)}
log "process pool: $isolation"
if grep -q '^\[[0-9.]*s\]\[error\]\[aot\]' "$work/data.log"; then  # a cache the JVM cannot use: it starts without
  grep '\[error\]\[aot\]' "$work/data.log" | head -5 >&2
  notes+=("The JVM rejected the JDK AOT cache (\`[error][aot]\` in its log), so the start-up figures are without it.")
fi

# ---- warm-up: JIT and store ----
log "warming up (process jobs until the JIT settles, at most $warm_max; then ${warm}s of each kind of request) ..."
BENCH_CLIENT_WARM_S=0 bench_warm_up "$warm_chunk" "$warm_max" 0.05 client e2e "$warm_chunk" "$C" '{"command":["/bin/true"]}'
notes+=("Warm-up: $bench_warm_jobs process jobs in runs of $warm_chunk, until the JIT compilers used at most 5 % of the service's CPU in one run (or $warm_max jobs); in the last run they used ${bench_warm_jit} %. Then ${warm} s each of echo submissions and liveness requests.")
bench_wrk $wrk_threads $wrk_conns "$warm" "$base_url/api/v1/jobs" POST '{"task":"echo","params":{"message":"hi"}}' >/dev/null
bench_wrk $wrk_threads $wrk_conns "$warm" "$base_url/actuator/health/liveness" >/dev/null
wait_pool_idle thread 60 >/dev/null

# ---- 1. Process jobs end to end ----
log "1. process jobs: $n_spawn × /bin/true at concurrency $C (baselines first) ..."
pb=$("$java" "$bench/SpawnBaseline.java" "$n_spawn" "$C"); log "   ProcessBuilder: $pb"
pb_rate=$(value jobs_per_s "$pb")
c_rate=; py_rate=
if [ "$have_cc" = 1 ]; then c=$("$work/spawn_baseline" "$n_spawn" "$C"); log "   C posix_spawn: $c"; c_rate=$(value jobs_per_s "$c"); fi
if [ "$have_py" = 1 ]; then py=$(python3 "$bench/baselines.py" spawn "$n_spawn" "$C"); log "   Python subprocess: $py"; py_rate=$(value jobs_per_s "$py"); fi
wh_rate=; wh_text="– (no \`webhook\`: apt-get install -y webhook)"
if [ "$have_webhook" = 1 ]; then
  # First a check that every request runs /bin/true (verbose webhook, its log counted), then the measured
  # run on a quiet webhook (verbose logging would cost it time): the client of jobexec's figure, same N and C.
  if check=$(webhook_check 10); then
    log "   webhook check: $check"
    if start_webhook "$work/webhook.log"; then
      wh=$(BENCH_CLIENT_WARM_JOBS=$client_warm BENCH_URL=$webhook_url BENCH_KEY='' "$java" -cp "$work/classes" BenchClient sync "$n_spawn" "$C" /hooks/true \
        "$webhook_body" /)
      stop_webhook
      log "   webhook: $wh"
      wh_rate=$(value jobs_per_s "$wh")
      wh_text="$wh_rate (webhook $webhook_version: hook running \`/bin/true\`, answered once it ended; same client, C=$C)"
      notes+=("Scenario 1, webhook: jobexec's jobs are submitted without waiting (202, queued in the pool of $C) and its clock stops when all are terminal; webhook answers each request once its command has ended, so its $C clients never run ahead of the commands. Both run at most $C commands at a time.")
      [ "$(value statuses "$wh")" = "200:$n_spawn" ] || notes+=("Scenario 1, webhook: not every request was answered 200: $(value statuses "$wh") (only 200s count).")
    else
      wh_text="– (webhook did not start: $(tail -1 "$work/webhook.log"))"
    fi
  else
    log "   webhook check failed: $check"; wh_text="– (webhook check failed: $check)"
  fi
fi
je=$(BENCH_CLIENT_WARM_JOBS=$client_warm client e2e "$n_spawn" "$C" '{"command":["/bin/true"]}'); log "   jobexec: $je"
notes+=("Scenario 1, the client: a JVM that first runs $client_warm of the measured requests unmeasured, so that its own JIT has settled; during the measured run it used $(value client_cpu_ms_per_job "$je") ms CPU per job against jobexec (its JIT $(value client_jit_ms "$je") ms)${wh_rate:+ and $(value client_cpu_ms_per_job "$wh") ms per request against webhook (its JIT $(value client_jit_ms "$wh") ms)}, on the same $(nproc) CPUs as the service.")
je_rate=$(value jobs_per_s "$je")
notes+=("Scenario 1, jobexec's two phases: while the $C clients submitted ($(value submit_per_s "$je") submissions/s), jobs ended at $(value ended_while_submitting_per_s "$je")/s; in the drain after the last submission was answered, with only the pool running, at $(value drain_jobs_per_s "$je")/s.")
[ "$(value states "$je")" = "SUCCEEDED:$n_spawn" ] || notes+=("Scenario 1: not every job succeeded: $(value states "$je").")
s1="1. process jobs end to end, $n_spawn × \`/bin/true\`, concurrency $C (jobs/s)"
row "$s1 vs ProcessBuilder" "$je_rate" "$je_rate" "$pb_rate (Java ProcessBuilder)" "$pb_rate" higher "≥ 0.8× ProcessBuilder" ratio 0.8
if [ "$have_cc" = 1 ]; then
  row "$s1 vs C" "$je_rate" "$je_rate" "$c_rate (C posix_spawn + waitpid)" "$c_rate" higher "≥ 0.6× C" ratio 0.6
fi
row "$s1 vs webhook" "$je_rate" "$je_rate" "$wh_text" "$wh_rate" higher "≥ 0.8× webhook" ratio 0.8
if [ "$have_py" = 1 ]; then
  row "$s1 vs Python" "$je_rate" "$je_rate" "$py_rate (Python subprocess.run, ThreadPoolExecutor($C))" "$py_rate" higher "–" none
fi

# ---- 2. Thread jobs ----
log "2. thread jobs: wrk -t$wrk_threads -c$wrk_conns -d${dur}s on liveness, then echo submissions ..."
live=$(bench_wrk $wrk_threads $wrk_conns "$dur" "$base_url/actuator/health/liveness"); log "   liveness: $live"
sub=$(bench_wrk $wrk_threads $wrk_conns "$dur" "$base_url/api/v1/jobs" POST '{"task":"echo","params":{"message":"hi"}}')
log "   submissions: $sub"
sub_rate=$(calc "%.1f" "$(value s202 "$sub") / $(value secs "$sub")")
drain_s=$(wait_pool_idle thread 120); log "   queue drained ${drain_s}s after the submissions"
[ "$(value other "$sub")" = 0 ] || notes+=("Scenario 2: $(value other "$sub") echo submissions were not answered 202.")
row "2a. echo task submissions (202/s), wrk -t$wrk_threads -c$wrk_conns" "$sub_rate" "$sub_rate" \
  "$(value rps "$live") (GET /actuator/health/liveness, same wrk)" "$(value rps "$live")" higher "≥ 0.5× HTTP ceiling" ratio 0.5
e2e=$(bench_wrk $wrk_threads $wrk_conns "$dur" "$base_url/api/v1/jobs" POST '{"task":"echo","params":{"message":"hi"}}' 'wait=30')
log "   echo end to end (Prefer: wait=30): $e2e"
e2e_rate=$(calc "%.1f" "$(value s200 "$e2e") / $(value secs "$e2e")")
[ "$(value s202 "$e2e")" = 0 ] && [ "$(value other "$e2e")" = 0 ] \
  || notes+=("Scenario 2b: $(value s202 "$e2e") answers 202 (not done within the wait), $(value other "$e2e") other.")
wait_pool_idle thread 60 >/dev/null
if [ "$have_py" = 1 ]; then
  mp=$(python3 "$bench/baselines.py" pool "$n_pool"); log "   Python multiprocessing: $mp"
  row "2b. echo task end to end (jobs/s), POST with \`Prefer: wait=30\`, wrk -t$wrk_threads -c$wrk_conns" "$e2e_rate" "$e2e_rate" \
    "$(value jobs_per_s "$mp") (Python multiprocessing.Pool($(nproc)).apply_async, trivial function)" "$(value jobs_per_s "$mp")" higher "–" none
else
  row "2b. echo task end to end (jobs/s)" "$e2e_rate" "$e2e_rate" "–" "" higher "–" none
fi

# ---- 5. Status polling (before the kill and queue scenarios, which leave work behind) ----
log "5. status polling: wrk -t$poll_threads -c$poll_conns -d${dur}s GET /api/v1/jobs/{id}, idle then busy ..."
job_id=$(api -H 'Content-Type: application/json' -H 'Prefer: wait=30' -d '{"command":["/bin/true"]}' "$base_url/api/v1/jobs" | json_field id)
job_url=$base_url/api/v1/jobs/$job_id
bench_wrk $poll_threads $poll_conns 1 "$job_url" >/dev/null
idle=$(bench_wrk $poll_threads $poll_conns "$dur" "$job_url"); log "   idle: $idle"
BENCH_URL=$base_url BENCH_KEY=$key "$java" -cp "$work/classes" BenchClient stream "$C" "$(calc "%.1f" "$dur + 2")" \
  '{"command":["/bin/true"]}' >"$work/stream.out" &
stream_pid=$!
sleep 1
busy=$(bench_wrk $poll_threads $poll_conns "$dur" "$job_url"); log "   busy: $busy"
wait "$stream_pid" || true; stream_pid=
stream=$(cat "$work/stream.out"); log "   process jobs meanwhile: $stream"
s5="5. GET /api/v1/jobs/{id} while $C clients run process jobs ($(value jobs_per_s "$stream") jobs/s), wrk -t$poll_threads -c$poll_conns"
row "$s5: p50 ms" "$(value p50 "$busy")" "$(value p50 "$busy")" "$(value p50 "$idle") (same GET, idle service)" "$(value p50 "$idle")" lower "–" none
row "$s5: p99 ms" "$(value p99 "$busy")" "$(value p99 "$busy")" "$(value p99 "$idle") (same GET, idle service)" "$(value p99 "$idle")" lower "–" none
[ "$(value other "$busy")$(value other "$idle")" = 00 ] || notes+=("Scenario 5: some GETs were not answered 200.")

# ---- 3. Kill latency ----
log "3. kill latency: $n_kill jobs with timeout PT0.2S, then the floor ..."
kill_body='{"command":["/bin/sh","-c","sleep 30 & sleep 30 & wait"],"timeout":"PT0.2S"}'
kj=$(client kill "$n_kill" "$kill_body" 2>"$work/kill.err"); log "   jobexec: $kj"; cat "$work/kill.err" >&2
kf=$(client floor "$n_kill" 0.2 2>"$work/floor.err"); log "   floor: $kf"; cat "$work/floor.err" >&2
s3="3. kill latency, \`sh -c 'sleep 30 & sleep 30 & wait'\` with timeout PT0.2S, $n_kill jobs: whole group dead, ms past startedAt + 0.2 s"
row "$s3, p50" "$(value p50_ms "$kj")" "$(value p50_ms "$kj")" "$(value p50_ms "$kf") (own \`kill -TERM -pgid\`)" "$(value p50_ms "$kf")" lower "–" none
row "$s3, p99" "$(value p99_ms "$kj")" "$(value p99_ms "$kj")" "$(value p99_ms "$kf") (own \`kill -TERM -pgid\`)" "$(value p99_ms "$kf")" lower "≤ 50 ms" max 50
[ "$(value states "$kj")" = "TIMED_OUT:$n_kill" ] || notes+=("Scenario 3: job states $(value states "$kj") (expected all TIMED_OUT).")
if grep -q -- '-[0-9]' "$work/kill.err"; then
  notes+=("Scenario 3: some groups died *before* startedAt + 0.2 s (negative figures), which the service should never do: startedAt is the instant its timeout clock starts.")
fi

# ---- 4. Queue memory ----
if [ "$quick" = 1 ]; then
  # Keep the quick run under two minutes on a slow or busy machine: about 12 s are left for the rest.
  left=$((100 - ($(date +%s%N) - t0) / 1000000000))
  [ "$left" -ge "$queue_max_s" ] || queue_max_s=$(( left < 5 ? 5 : left ))
fi
log "4. queue memory: one running job in pool 'one', then up to $n_queue queued jobs (at most ${queue_max_s}s) ..."
api -H 'Content-Type: application/json' -d '{"pool":"one","command":["/bin/sleep","600"],"daemon":true}' "$base_url/api/v1/jobs" >/dev/null
for _ in $(seq 1 100); do [ "$(api "$base_url/api/v1/pools/one" | json_field active)" = 1 ] && break; sleep 0.1; done
heap_before=$(heap_used_kb); rss_before=$(settled_rss_kb)
q=$(client submit "$n_queue" 8 '{"pool":"one","command":["/bin/true"]}' "$queue_max_s"); log "   submitted: $q"
queued=$(api "$base_url/api/v1/pools/one" | json_field queued)
heap_after=$(heap_used_kb); rss_after=$(settled_rss_kb)
log "   queued $queued; heap after GC ${heap_before} → ${heap_after} KB; RSS ${rss_before} → ${rss_after} KB"
heap_per=$(calc "%.2f" "($heap_after - $heap_before) / $queued")
rss_per=$(calc "%.2f" "($rss_after - $rss_before) / $queued")
[ "$queued" -ge "$n_queue" ] || notes+=("Scenario 4: only $queued of $n_queue jobs were queued within ${queue_max_s}s ($(value per_s "$q") submissions/s); the figures are per queued job.")
s4="4. memory per queued job, $queued × \`/bin/true\` behind one running job (KB/job)"
row "$s4: heap used after full GC, ${heap_before} → ${heap_after} KB" "$heap_per" "$heap_per" "–" "" lower "≤ 2 KB" max 2
row "$s4: RSS, ${rss_before} → ${rss_after} KB" "$rss_per" "$rss_per" "–" "" lower "≤ 2 KB" max 2
log "stopping the service ..."
stop_service 10

# ---- 6. Start-up ----
for i in $(seq 2 "$starts"); do
  log "6. start-up, sample $i of $starts ..."
  start_service "$work/data$i"
  startups+=("$startup_ms")
  stop_service 10
done
startup_med=$(printf '%s\n' "${startups[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
hellos=()
for _ in 1 2 3; do s=$(date +%s%N); "$java" -cp "$work/classes" Hello >/dev/null; hellos+=("$(ms "$s")"); done
hello_med=$(printf '%s\n' "${hellos[@]}" | sort -n | sed -n 2p)
startup_s=$(calc "%.2f" "$startup_med / 1000")
row "6. start-up until readiness answers 200 (s), median of $starts ($(IFS=,; echo "${startups[*]}") ms)" "$startup_s" "$startup_s" \
  "$(calc "%.2f" "$hello_med / 1000") (\`java Hello\`, median of 3)" "$(calc "%.3f" "$hello_med / 1000")" lower "≤ 2 s" max 2

# ---- report ----
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
total_s=$(calc "%.0f" "($(date +%s%N) - $t0) / 1e9")
echo "## jobexec benchmark ($mode run, $(date -u '+%Y-%m-%d %H:%M UTC'))"
echo
echo "- machine: $(nproc) CPUs, $cpu_model, $mem_total memory, Linux $(uname -r)"
echo "- java: $java_version ($java_home); wrk $(wrk -v 2>&1 | head -1 | awk '{ print $2 }')$([ "$have_py" = 1 ] && echo "; $(python3 --version 2>&1)")$([ "$have_cc" = 1 ] && echo "; cc $(cc -dumpversion)")"
echo "- load average before → after: $load_before → $load_after (other work on the machine makes every figure noisy)"
echo "- service: pools process (max-concurrency $C; $isolation), thread (64), one (1); queues 200000; H2 store in a fresh temp dir; extracted jar, Spring AOT $spring_aot, JDK AOT cache $([ -s "$aot_cache" ] && echo on || echo off)$([ -z "${BENCH_SERVICE_ARGS:-}" ] || echo "; BENCH_SERVICE_ARGS: \`$BENCH_SERVICE_ARGS\`"); $total_s s for the whole run"
echo
echo "| scenario | jobexec | baseline | ratio | ratio is | target | met |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
[ "$quick" = 0 ] || notes+=("Quick run: small samples and a short warm-up (the JIT is barely warm); run without --quick for steadier figures.")
notes+=("Memory per queued job: both figures are differences of two samples (after a full GC for the heap), so fixed costs are spread over the queued jobs and a small queue overstates the cost per job; RSS grows in steps as the heap commits memory.")
if [ "${#notes[@]}" -gt 0 ]; then
  echo
  printf -- '- %s\n' "${notes[@]}"
fi
