#!/usr/bin/env bash
# Benchmarks cluster mode: several jobexec nodes on one PostgreSQL database, all on this host. Prints Markdown
# tables on stdout (progress goes to stderr). Every node is the production launch of bench/lib.sh (extracted
# jar, Spring AOT, JDK AOT cache trained once); cluster mode is decided at run time, so the -Paot jar runs it.
# The nodes listen on 127.0.0.1 on free ports, share one fresh schema of the database (created here, dropped at
# the end) and are only sent requests on 127.0.0.1. Measures:
#   1. jobs/s of latency-bound jobs (`/bin/sleep 0.2`, pool process at max-concurrency 32 per node) with 1, 2
#      and 3 nodes, wrk submitting with `Prefer: wait=30` to every node at once (48 connections per node);
#      the baseline is the one-node figure, and the ideal (nodes × 32 slots / 0.2 s) is shown beside;
#   2. claim-to-start latency, startedAt − submittedAt of jobs in pool solo (max-concurrency 1): "remote", a job
#      submitted to node A whose solo slot is busy, started by idle node B (NOTIFY, claim); "local", the same
#      job submitted to idle node B, started at once;
#   3. SQL statements and round trips per job, counted on the client side from the PostgreSQL JDBC driver's
#      protocol trace (logging.level of QueryExecutorImpl at TRACE: every Execute and SimpleQuery is a
#      statement, every Sync a round trip), for local and remote starts, split by statement kind;
#   4. time from a node's death to its running jobs settled LOST: SIGKILL of its JVM (on the same host the
#      others see the JVM gone at their next heartbeat) and SIGSTOP (the JVM looks alive, only the lease tells,
#      as for a node on another host); lease 3s / heartbeat 500ms, and the defaults 10s / 2s in the full run;
#   5. one node, `/bin/true` jobs/s on PostgreSQL: the build before cluster mode (commit 9be6900) vs this one;
#   6. what NOTIFY costs: two nodes, every submission to node 1 (busy, so each stored job is NOTIFYed and
#      node 2 claims it) vs round-robin (most jobs start where they were submitted).
# Usage: bench/cluster.sh [--quick]   (--quick: shorter runs and fewer samples, 2.5 to 3 minutes on 2 cores
#   after packaging, most of it starting nine JVMs; the full run about 5 minutes). Packages the jar first like bench/run.sh
#   (BENCH_JAR=path/to.jar measures that jar instead). The "before" jar of scenario 5 is BENCH_BEFORE_JAR, else
#   built here from `git archive` of BENCH_BEFORE_COMMIT (default 9be6900), which takes a minute or two.
# PostgreSQL: PGHOST (localhost), PGPORT (5432), PGDATABASE (jobexec), PGUSER (jobexec), PGPASSWORD (jobexec);
#   the role needs CREATE on the database (one schema per run). Needs: JDK 25, curl, wrk, psql.
set -euo pipefail
cd "$(dirname "$0")/.."
bench=$PWD/bench
# shellcheck source=bench/lib.sh
. "$bench/lib.sh"

bench_quick_option "$@"
if [ "$quick" = 1 ]; then
  mode=quick; warm=2; dur=4; n_lat=20; n_sql=30; kill_jobs=3; default_lease=0; t_warm=2; t_dur=4
else
  mode=full; warm=5; dur=10; n_lat=100; n_sql=150; kill_jobs=5; default_lease=1; t_warm=8; t_dur=10
fi
slots=32              # pool process: max-concurrency per node
conns=48              # wrk connections per node in scenario 1 (1.5 × the slots, so that queues form)
sleep_s=0.2
before_commit=${BENCH_BEFORE_COMMIT:-9be6900}

export PGHOST=${PGHOST:-localhost} PGPORT=${PGPORT:-5432} PGDATABASE=${PGDATABASE:-jobexec}
export PGUSER=${PGUSER:-jobexec} PGPASSWORD=${PGPASSWORD:-jobexec}
for tool in curl wrk psql; do command -v "$tool" >/dev/null || bench_die "$tool is required"; done

bench_find_jdk
bench_build_jar
log() { bench_log "$@"; }
bench_make_work
work=$bench_work
key=$bench_key
t0=$(date +%s%N)

# ---- PostgreSQL: fresh schemas, dropped at exit (after the nodes are stopped) ----
sql() { psql -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
schemas=()
new_schema() {  # prints a fresh schema's name
  local s
  s=jobexec_bench_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
  sql "create schema $s" >/dev/null
  echo "$s"
}
pg_url_extra=   # more JDBC URL parameters for the next nodes, "&name=value..."
pg_args() {  # SCHEMA: the Spring arguments of a node on it
  echo "--spring.datasource.url=jdbc:postgresql://$PGHOST:$PGPORT/$PGDATABASE?currentSchema=$1$pg_url_extra"
  echo "--spring.datasource.username=$PGUSER"
  echo "--spring.datasource.password=$PGPASSWORD"
}
wrk_pids=()
bench_on_exit() {
  local p i s
  for p in ${wrk_pids[@]+"${wrk_pids[@]}"}; do kill "$p" 2>/dev/null || true; done
  for i in "${!node_url[@]}"; do bench_stop_detached "$i" 5; done
  for s in ${schemas[@]+"${schemas[@]}"}; do sql "drop schema if exists $s cascade" >/dev/null 2>&1 || true; done
}
sql "select 1" >/dev/null || bench_die "cannot reach PostgreSQL as $PGUSER@$PGHOST:$PGPORT/$PGDATABASE"
pg_version=$(sql "show server_version")

# ---- helpers ----
value() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p" | head -1; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
now_ns() { date +%s%N; }
api() { curl -s -H "X-API-Key: $key" "$@"; }
json_field() { grep -o "\"$1\":[^,}]*" | head -1 | cut -d: -f2- | tr -d '"'; }
submit() {  # URL BODY [WAIT_S]: the job view
  if [ -n "${3:-}" ]; then
    api -H 'Content-Type: application/json' -H "Prefer: wait=$3" -d "$2" "$1/api/v1/jobs"
  else
    api -H 'Content-Type: application/json' -d "$2" "$1/api/v1/jobs"
  fi
}
# An ISO-8601 instant (UTC, as the service writes them) as seconds since the epoch, with its fraction.
epoch() { local t=$1 frac=0; [[ $t == *.* ]] && { frac=0.${t#*.}; frac=${frac%Z}; }; echo "$(date -u -d "${t%%.*}Z" +%s)$(calc "%.6f" "$frac" | cut -c2-)"; }
pct() { sort -g | awk -v p="$1" '{ v[NR] = $1 } END { if (NR == 0) { print ""; exit } i = int(p / 100 * NR + 0.999999); if (i < 1) i = 1; printf "%.1f", v[i] }'; }

# ---- nodes: started one after the other by bench_start, then set aside (bench_detach) ----
node_url=(); node_log=(); node_id=(); cluster_node=1   # 0: the next nodes are builds without cluster mode
start_node() {  # NAME SCHEMA [SPRING_ARG...]: sets n (the node's index)
  local name=$1 schema=$2 args
  shift 2
  mapfile -t args < <(pg_args "$schema")
  log "starting node $name ..."
  bench_start "$work/$name" "${args[@]}" "$@"
  bench_detach
  n=$bench_detached_index
  node_url[n]=$bench_url; node_log[n]=$bench_service_log
  node_id[n]=$(sed -n 's/.*Node \([0-9a-f-]*\) joined the cluster.*/\1/p' "$bench_service_log" | head -1)
  [ -n "${node_id[n]}" ] || [ "$cluster_node" = 0 ] || bench_die "node $name did not join a cluster (is Spring AOT on? see $bench_service_log)"
  log "   node $name: ${node_id[n]} at ${node_url[n]}, ready in ${bench_startup_ms} ms"
}
stop_node() { bench_stop_detached "$1" "${2:-10}"; }
# Waits until no node has a job of POOL queued or running (at most $2 s).
wait_idle() {
  local pool=$1 secs=$2 deadline=$(($(date +%s) + $2)) i p busy
  shift 2
  while [ "$(date +%s)" -lt "$deadline" ]; do
    busy=0
    for i in "$@"; do
      p=$(api "${node_url[i]}/api/v1/pools/$pool")
      [ "$(json_field queued <<<"$p")" = 0 ] && [ "$(json_field active <<<"$p")" = 0 ] || busy=1
    done
    [ "$busy" = 0 ] && return 0
    sleep 0.2
  done
  log "   (pool $pool not idle after ${secs}s)"
}
# Sums over the nodes of jobexec_cluster_jobs_claimed_total (pool process) by trigger, and of the process pool's
# jobexec_jobs_queue_wait_seconds sum and count: "submit=.. slot=.. notification=.. poll=.. qsum=.. qcount=.."
claims() {
  local i
  for i in "$@"; do
    api "${node_url[i]}/actuator/prometheus" \
      | grep -E '^jobexec_(cluster_jobs_claimed_total|jobs_queue_wait_seconds_(sum|count))\{.*pool="process"' || true
  done | awk '/^jobexec_cluster/ { t = $0; sub(/.*trigger="/, "", t); sub(/".*/, "", t); c[t] += $NF }
              /^jobexec_jobs_queue_wait_seconds_sum/ { qs += $NF } /^jobexec_jobs_queue_wait_seconds_count/ { qc += $NF }
              END { printf "submit=%d slot=%d notification=%d poll=%d qsum=%.6f qcount=%d\n",
                           c["submit"], c["slot"], c["notification"], c["poll"], qs, qc }'
}
claims_delta() {  # BEFORE AFTER: jobs claimed by trigger, and the mean queue wait (ms) meanwhile
  local k out="" qc
  for k in submit slot notification poll; do out+="$k $(( $(value "$k" "$2") - $(value "$k" "$1") )), "; done
  qc=$(( $(value qcount "$2") - $(value qcount "$1") ))
  [ "$qc" -gt 0 ] && out+="mean queue wait $(calc "%.0f" "($(value qsum "$2") - $(value qsum "$1")) / $qc * 1000") ms, "
  echo "${out%, }"
}
# load SECONDS CONNS_PER_URL BODY NODE...: wrk on every node at once, Prefer: wait=30; prints
# "jobs_s=.. ok=.. bad=.. p50=.. p99=.." (the request latencies: the highest of the wrk instances)
load() {
  local secs=$1 c=$2 body=$3 i total=0 bad=0 longest=0 r p50=0 p99=0
  shift 3
  wrk_pids=()
  for i in "$@"; do
    bench_wrk 1 "$c" "$secs" "${node_url[i]}/api/v1/jobs" POST "$body" 'wait=30' >"$work/wrk.$i" &
    wrk_pids+=("$!")
  done
  for i in "${wrk_pids[@]}"; do wait "$i"; done
  wrk_pids=()
  for i in "$@"; do
    r=$(cat "$work/wrk.$i")
    total=$((total + $(value s200 "$r"))); bad=$((bad + $(value s202 "$r") + $(value other "$r")))
    longest=$(calc "%.3f" "($(value secs "$r") > $longest ? $(value secs "$r") : $longest)")
    p50=$(calc "%.1f" "($(value p50 "$r") > $p50 ? $(value p50 "$r") : $p50)")
    p99=$(calc "%.1f" "($(value p99 "$r") > $p99 ? $(value p99 "$r") : $p99)")
  done
  echo "jobs_s=$(calc "%.1f" "$total / $longest") ok=$total bad=$bad p50=$p50 p99=$p99"
}

rows=(); notes=()
declare -A sql_secs lat_n lat_p50 lat_p99 lat_max
row() { rows+=("| $1 | $2 | $3 | $4 | $5 |"); }   # scenario, jobexec, baseline, ratio, target (met?)

cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
mem_total=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
log "bench/cluster.sh ($mode): work dir $work"

# ---- the launch: the nodes' common pools ----
bench_service_args=(
  "--jobexec.pools.process.max-concurrency=$slots" --jobexec.pools.process.queue-capacity=10000
  --jobexec.pools.solo.type=process --jobexec.pools.solo.max-concurrency=1 --jobexec.pools.solo.queue-capacity=10000
)
bench_prepare_launch
[ -s "$bench_aot_cache" ] || notes+=("The JDK AOT cache training wrote no cache; the nodes started without it.")
schema=$(new_schema); schemas+=("$schema")
log "schema $schema"
sleep_body='{"command":["/bin/sleep","'$sleep_s'"]}'

# ---- 1 (and 2, 6). Nodes one by one ----
tput=()
measure_tput() {  # N: warm-up, then the measured run, round-robin over nodes 0..N-1
  local k=$1 idx r c0 c1
  idx=$(seq 0 $((k - 1)))
  # shellcheck disable=SC2086
  { load "$warm" "$conns" "$sleep_body" $idx >/dev/null; wait_idle process 60 $idx; }
  # shellcheck disable=SC2086
  c0=$(claims $idx)
  sample_pg "$dur" >"$work/pg.$k" &
  # shellcheck disable=SC2086
  r=$(load "$dur" "$conns" "$sleep_body" $idx)
  wait "$!" || true
  pg_mix[k]=$(cat "$work/pg.$k")
  # shellcheck disable=SC2086
  { c1=$(claims $idx); wait_idle process 60 $idx; }
  log "   $k node(s): $r; claims by trigger: $(claims_delta "$c0" "$c1"); PostgreSQL: $(cat "$work/pg.$k")"
  tput[k]=$(value jobs_s "$r"); lat1[k]="$(value p50 "$r")/$(value p99 "$r")"
  [ "$(value bad "$r")" = 0 ] || notes+=("Scenario 1, $k nodes: $(value bad "$r") submissions not answered 200 within the wait.")
  claim_mix[k]=$(claims_delta "$c0" "$c1")
}
claim_mix=(); pg_mix=(); lat1=()
# sample_pg SECONDS: every 0.25 s, this role's other active backends, and those waiting for the queue's advisory
# lock; prints "mean active backends A, of which waiting for the advisory lock W" (other users of the role on
# the same database would be counted too)
sample_pg() {
  local end=$(($(date +%s) + $1)) a=0 w=0 n=0 line
  while [ "$(date +%s)" -lt "$end" ]; do
    line=$(sql "select count(*) filter (where state = 'active'), count(*) filter (where wait_event_type = 'Lock' and wait_event = 'advisory') from pg_stat_activity where usename = current_user and datname = current_database() and pid <> pg_backend_pid()") || break
    a=$((a + ${line%%|*})); w=$((w + ${line##*|})); n=$((n + 1))
    sleep 0.25
  done
  [ "$n" -gt 0 ] && echo "mean active backends $(calc "%.1f" "$a / $n"), of which waiting for the advisory lock $(calc "%.1f" "$w / $n") ($n samples)"
}
start_node n1 "$schema"
log "1. /bin/sleep $sleep_s jobs/s, 1 node, wrk -c$conns per node, ${warm}s warm-up + ${dur}s ..."
measure_tput 1
start_node n2 "$schema"

log "2. claim-to-start latency, pool solo: remote (n1 busy → n2) vs local (idle n2), $n_lat samples each ..."
busy=$(submit "${node_url[0]}" '{"pool":"solo","command":["/bin/sleep","300"]}')
busy_id=$(json_field id <<<"$busy")
for _ in $(seq 1 50); do [ "$(api "${node_url[0]}/api/v1/jobs/$busy_id" | json_field state)" = RUNNING ] && break; sleep 0.1; done
: >"$work/lat.remote"; : >"$work/lat.local"; misplaced=0
for i in $(seq 1 "$n_lat"); do
  for kind in remote local; do
    if [ "$kind" = remote ]; then u=${node_url[0]}; else u=${node_url[1]}; fi
    v=$(submit "$u" '{"pool":"solo","command":["/bin/true"]}' 30)
    [ "$(json_field node <<<"$v")" = "${node_id[1]}" ] || { misplaced=$((misplaced + 1)); continue; }
    printf '%s\n' "$(calc "%.3f" "($(epoch "$(json_field startedAt <<<"$v")") - $(epoch "$(json_field submittedAt <<<"$v")")) * 1000")" >>"$work/lat.$kind"
  done
  [ "$i" -gt 2 ] || { : >"$work/lat.remote"; : >"$work/lat.local"; }  # the first two pairs warm up
done
api -X DELETE "${node_url[0]}/api/v1/jobs/$busy_id" >/dev/null
[ "$misplaced" = 0 ] || notes+=("Scenario 2: $misplaced jobs did not run on node n2 and were left out.")
for kind in remote local; do
  lat_n[$kind]=$(wc -l <"$work/lat.$kind")
  lat_p50[$kind]=$(pct 50 <"$work/lat.$kind"); lat_p99[$kind]=$(pct 99 <"$work/lat.$kind")
  lat_max[$kind]=$(pct 100 <"$work/lat.$kind")
  log "   $kind: n=${lat_n[$kind]} p50=${lat_p50[$kind]} ms p99=${lat_p99[$kind]} ms max=${lat_max[$kind]} ms"
done

log "1. 2 nodes ..."
measure_tput 2
log "6. 2 nodes, every submission to n1 (busy: NOTIFY, n2 claims), $((2 * conns)) connections ..."
c0=$(claims 0 1)
r6=$(load "$dur" $((2 * conns)) "$sleep_body" 0)
c1=$(claims 0 1); wait_idle process 60 0 1
mix6=$(claims_delta "$c0" "$c1")
log "   all to n1: $r6; claims by trigger: $mix6"
[ "$(value bad "$r6")" = 0 ] || notes+=("Scenario 6: $(value bad "$r6") submissions not answered 200 within the wait.")

start_node n3 "$schema"
log "1. 3 nodes ..."
measure_tput 3
cpu_s1=$(awk '{ print $1 }' /proc/loadavg)
for i in 0 1 2; do stop_node "$i"; done

# ---- 3 and 4. Two traced nodes with a short lease: statements per job, then SIGKILL / SIGSTOP ----
short=(--jobexec.cluster.lease=3s --jobexec.cluster.heartbeat-interval=500ms)
trace=(--logging.level.org.postgresql.core.v3.QueryExecutorImpl=TRACE)
# prepareThreshold=0: no server-prepared (named) statements, whose names are per connection, which the trace
# does not show; a Parse travels with its Bind and Execute, so the statements and round trips are the same.
pg_url_extra='&prepareThreshold=0'
start_node s "$schema" "${short[@]}" "${trace[@]}"; s_i=$n
start_node v "$schema" "${short[@]}" "${trace[@]}"; v_i=$n
pg_url_extra=
# The driver's trace of both nodes between two marks, classified: "kind count" lines, then statements and round trips.
sql_count() {  # FROM_LINE_S FROM_LINE_V
  { tail -n +"$1" "${node_log[s_i]}"; tail -n +"$2" "${node_log[v_i]}"; } | awk '
    function kind(q) {
      if (q ~ /^BEGIN/) return "begin"; if (q ~ /^COMMIT/) return "commit"; if (q ~ /^ROLLBACK/) return "rollback"
      if (q ~ /pg_advisory_xact_lock/) return "queue lock (advisory)"
      if (q ~ /select count\(\*\) from job/) return "queue count"
      if (q ~ /^insert into job_label/) return "insert label"
      if (q ~ /^insert into job /) return "insert job"
      if (q ~ /^with picked/) return "claim"
      if (q ~ /pg_notify\(.jobexec_queued/) return "notify queued"
      if (q ~ /pg_notify/) return "notify other"
      if (q ~ /^update job set/ && q ~ /exists \(select 1 from node/) return "updateHeld"
      if (q ~ /^update job set/) return "update job (other)"
      if (q ~ /^update node/) return "node: lease renewal"
      if (q ~ /from node/ || q ~ /into node/) return "node: other"
      if (q ~ /^select/ && q ~ /from job/) return "read job"
      return "other: " substr(q, 1, 40)
    }
    function flush_parse() { if (pq != "") { if (pname == "null") unnamed[pth] = pq; else named[pname] = pq; pq = "" } }
    /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T/ {
      flush_parse()
      th = $0; sub(/^[^]]*\] \[ */, "", th); sub(/\].*/, "", th)
      if ($0 !~ / FE=> /) next
      msg = $0; sub(/.* FE=> /, "", msg)
      if (msg ~ /^SimpleQuery/) { q = msg; sub(/^SimpleQuery\(query="/, "", q); c[kind(q)]++; stmts++
                                  if (pending[th]) rt++; pending[th] = 1; next }
      if (msg ~ /^Parse/) { pending[th] = 0; pname = msg; sub(/^Parse\(stmt=/, "", pname); sub(/,.*/, "", pname)
                            pq = msg; sub(/^Parse\(stmt=[^,]*,query="/, "", pq); pth = th; next }
      if (msg ~ /^Bind/) { pending[th] = 0; b = msg; sub(/^Bind\(stmt=/, "", b); sub(/,.*/, "", b)
                           bound[th] = (b == "null") ? unnamed[th] : ((b in named) ? named[b] : "(named " b ")"); next }
      if (msg ~ /^Execute/) { c[kind(bound[th])]++; stmts++; next }
      if (msg ~ /^Sync/) { rt++; next }
      next
    }
    { if (pq != "") pq = pq " " $0 }
    END { flush_parse(); for (th in pending) rt += pending[th]
          for (k in c) print k "\t" c[k]; print "(statements)\t" stmts; print "(round trips)\t" rt }'
}
lines() { wc -l <"$1" | tr -d ' '; }
sql_phase() {  # NAME URL BODY: n_sql jobs one after the other, each with Prefer: wait, counted on both nodes
  local name=$1 url=$2 body=$3 ls lv t
  submit "$url" "$body" 30 >/dev/null   # the first job of its kind prepares statements; not counted
  ls=$(($(lines "${node_log[s_i]}") + 1)); lv=$(($(lines "${node_log[v_i]}") + 1)); t=$(now_ns)
  for _ in $(seq 1 "$n_sql"); do submit "$url" "$body" 30 >/dev/null; done
  sleep 0.3   # the last job's final writes
  sql_count "$ls" "$lv" >"$work/sql.$name"
  sql_secs[$name]=$(calc "%.2f" "($(now_ns) - $t) / 1e9")
}
log "3. statements per job from the JDBC trace: $n_sql local starts on s, then $n_sql remote (s busy → v) ..."
sql_phase local "${node_url[s_i]}" '{"pool":"solo","command":["/bin/true"]}'
busy=$(submit "${node_url[s_i]}" '{"pool":"solo","command":["/bin/sleep","300"]}')
busy_id=$(json_field id <<<"$busy"); sleep 0.5
sql_phase remote "${node_url[s_i]}" '{"pool":"solo","command":["/bin/true"]}'
api -X DELETE "${node_url[s_i]}/api/v1/jobs/$busy_id" >/dev/null
log "   local: $(tr '\t\n' '=;' <"$work/sql.local")"
log "   remote: $(tr '\t\n' '=;' <"$work/sql.remote")"

procs_alive() {  # PID...: how many are alive (not zombies)
  local p c=0 st
  for p in "$@"; do
    if [ -z "$p" ] || [ "$p" = null ]; then continue; fi
    st=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f1) || st=
    [ -n "$st" ] && [ "$st" != Z ] && c=$((c + 1))
  done
  echo "$c"
}
# death DIE_SIGNAL VICTIM_INDEX SURVIVOR_URL: kill_jobs sleep jobs on the victim, then the signal; prints
# "settled_ms=.. seen_ms=.. lost=.. procs_left=.." (settled: the latest finishedAt of the LOST jobs − the
# signal; seen: when a poll of the survivor first showed all of them LOST; procs_left: job processes alive then;
# procs_gone_ms: when they were all gone, after the signal)
death() {
  local sig=$1 vi=$2 surv=$3 ids=() pids=() v t_sig t_seen="" lost=0 latest=0 id f left=0 p
  for _ in $(seq 1 "$kill_jobs"); do
    v=$(submit "${node_url[vi]}" '{"command":["/bin/sleep","120"]}'); ids+=("$(json_field id <<<"$v")")
  done
  for id in "${ids[@]}"; do
    for _ in $(seq 1 50); do v=$(api "$surv/api/v1/jobs/$id"); [ "$(json_field state <<<"$v")" = RUNNING ] && break; sleep 0.1; done
    pids+=("$(json_field pid <<<"$v")")
  done
  sleep 0.3
  t_sig=$(now_ns)
  bench_signal_detached "$vi" "$sig"
  for _ in $(seq 1 1200); do   # 60 s at most
    lost=0
    for id in "${ids[@]}"; do [ "$(api "$surv/api/v1/jobs/$id" | json_field state)" = LOST ] && lost=$((lost + 1)); done
    if [ "$lost" = "${#ids[@]}" ]; then t_seen=$(now_ns); break; fi
    sleep 0.05
  done
  for id in "${ids[@]}"; do
    f=$(api "$surv/api/v1/jobs/$id" | json_field finishedAt)
    [ -z "$f" ] || [ "$f" = null ] || latest=$(calc "%.6f" "($(epoch "$f") > $latest ? $(epoch "$f") : $latest)")
  done
  left=$(procs_alive "${pids[@]}")
  gone=none
  for _ in $(seq 1 300); do   # 15 s at most: when the job processes are gone
    [ "$(procs_alive "${pids[@]}")" = 0 ] && { gone=$(( ($(now_ns) - t_sig) / 1000000 )); break; }
    sleep 0.05
  done
  echo "settled_ms=$(calc "%.0f" "($latest - $t_sig / 1e9) * 1000") seen_ms=$([ -n "$t_seen" ] && echo $(( (t_seen - t_sig) / 1000000 )) || echo none) lost=$lost/${#ids[@]} procs_left=$left procs_gone_ms=$gone"
}
kill_rows=()
kill_case() {  # LABEL LEASE_S SIGNAL VICTIM_INDEX SURVIVOR_INDEX
  local r
  log "4. $1: $kill_jobs running jobs, $3 ..."
  r=$(death "$3" "$4" "${node_url[$5]}")
  log "   $r"
  kill_rows+=("| $1, $3 of the JVM | $(value settled_ms "$r") | $(value seen_ms "$r") | $(calc "%.0f" "$2 * 1000") | $(calc "%.2f" "$(value settled_ms "$r") / ($2 * 1000)") | $(value lost "$r") | $(value procs_left "$r") | $(value procs_gone_ms "$r") |")
  bench_signal_detached "$4" KILL || true
  stop_node "$4" 1
}
kill_case "lease 3s, heartbeat 500ms" 3 KILL "$v_i" "$s_i"
start_node v2 "$schema" "${short[@]}"
kill_case "lease 3s, heartbeat 500ms" 3 STOP "$n" "$s_i"
stop_node "$s_i"
if [ "$default_lease" = 1 ]; then
  start_node sd "$schema"; sd_i=$n
  start_node vd "$schema"
  kill_case "lease 10s, heartbeat 2s (defaults)" 10 KILL "$n" "$sd_i"
  start_node vd2 "$schema"
  kill_case "lease 10s, heartbeat 2s (defaults)" 10 STOP "$n" "$sd_i"
  stop_node "$sd_i"
fi

# ---- 5. One node, /bin/true, before and after cluster mode ----
true_body='{"command":["/bin/true"]}'
t5() {  # LABEL: a fresh schema, one node, warm-up then the measured run; sets t5_result (the load line)
  local s
  s=$(new_schema); schemas+=("$s")
  start_node "$1" "$s"
  load "$t_warm" 4 "$true_body" "$n" >/dev/null; wait_idle process 30 "$n"
  t5_result=$(load "$t_dur" 4 "$true_body" "$n"); wait_idle process 30 "$n"
  stop_node "$n"
}
log "5. one node, /bin/true, wrk -c4 with Prefer: wait, ${t_warm}s warm-up + ${t_dur}s: this build ..."
t5 after; after5=$t5_result; log "   this build: $after5"
if [ -n "${BENCH_BEFORE_JAR:-}" ]; then
  before_jar=$BENCH_BEFORE_JAR
else
  log "5. building $before_commit (git archive, ./mvnw -Paot -Dmaven.test.skip=true package) ..."
  mkdir -p "$work/before-src"
  git -C "$bench_root" archive "$before_commit" | tar -x -C "$work/before-src"
  (cd "$work/before-src" && JAVA_HOME=$bench_java_home ./mvnw -B -q -Paot -Dmaven.test.skip=true package) >"$work/before-build.log" 2>&1 \
    || { tail -30 "$work/before-build.log" >&2; exit 1; }
  before_jar=$work/before-src/target/jobexec-0.1.0-SNAPSHOT.jar
fi
t_build_end=$(now_ns)
[ -f "$before_jar" ] || bench_die "no such jar: $before_jar"
# The same launch for the other jar: its own copy, extraction and JDK AOT cache.
bench_jar=$before_jar
bench_prepare_launch
cluster_node=0
t5 before; before5=$t5_result; log "   $before_commit: $before5"
[ "$(value bad "$after5")$(value bad "$before5")" = 00 ] || notes+=("Scenario 5: some submissions were not answered 200 (this build: $(value bad "$after5"), before: $(value bad "$before5")).")

# ---- report ----
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
total_s=$(calc "%.0f" "($(now_ns) - $t0) / 1e9")
ratio() { calc "%.2f" "$1 / $2"; }
met() { if awk "BEGIN { exit !($1) }"; then echo "yes"; else echo "no"; fi; }
r21=$(ratio "${tput[2]}" "${tput[1]}"); r31=$(ratio "${tput[3]}" "${tput[1]}")
ideal1=$(calc "%.0f" "$slots / $sleep_s")
echo "## jobexec cluster benchmark ($mode run, $(date -u '+%Y-%m-%d %H:%M UTC'))"
echo
echo "- machine: $(nproc) CPUs, $cpu_model, $mem_total memory, Linux $(uname -r); every node, wrk and PostgreSQL $pg_version on this one host"
echo "- java: $("$bench_java" -version 2>&1 | head -1); wrk $(wrk -v 2>&1 | head -1 | awk '{ print $2 }')"
echo "- load average before → after: $load_before → $load_after (1-min load at the end of scenario 1: $cpu_s1)"
echo "- nodes: pools process (max-concurrency $slots), solo (1); extracted jar, JDK AOT cache $([ -s "$bench_aot_cache" ] && echo on || echo off), Spring AOT $bench_spring_aot; one fresh schema for scenarios 1–4, one each for scenario 5's two builds; $total_s s for the whole run$([ -n "${BENCH_BEFORE_JAR:-}" ] && echo " (BENCH_BEFORE_JAR given: no build)" || echo " (the build of $before_commit included)")"
echo
echo "| scenario | jobexec | baseline | ratio | target (met) |"
echo "|---|---|---|---|---|"
row "1. \`/bin/sleep $sleep_s\` jobs/s, 2 nodes, wrk -c$conns per node, \`Prefer: wait=30\` (claims: ${claim_mix[2]})" "${tput[2]}" "${tput[1]} (1 node; ideal $ideal1)" "$r21" "–"
row "1. \`/bin/sleep $sleep_s\` jobs/s, 3 nodes, same (claims: ${claim_mix[3]})" "${tput[3]}" "${tput[1]} (1 node; ideal $ideal1)" "$r31" "≥ 2.7 ($(met "$r31 >= 2.7"))"
row "1. the same against the ideal (nodes × $slots slots / ${sleep_s} s); request p50/p99 ms: 1: ${lat1[1]}, 2: ${lat1[2]}, 3: ${lat1[3]}" "1: ${tput[1]}, 2: ${tput[2]}, 3: ${tput[3]}" "1: $ideal1, 2: $((2 * ideal1)), 3: $((3 * ideal1))" "$(ratio "${tput[1]}" "$ideal1"), $(ratio "${tput[2]}" "$((2 * ideal1))"), $(ratio "${tput[3]}" "$((3 * ideal1))")" "–"
row "1. PostgreSQL during the measured runs, sampled from pg_stat_activity" "1: ${pg_mix[1]:-–}; 2: ${pg_mix[2]:-–}; 3: ${pg_mix[3]:-–}" "–" "–" "–"
row "2. startedAt − submittedAt (ms), pool solo, ${lat_n[remote]} samples: remote start (n1 busy → n2), p50" "${lat_p50[remote]}" "${lat_p50[local]} (local start on idle n2)" "$(ratio "${lat_p50[remote]}" "${lat_p50[local]}")× (remote/local)" "–"
row "2. the same, p99 (max: remote ${lat_max[remote]}, local ${lat_max[local]})" "${lat_p99[remote]}" "${lat_p99[local]} (local start on idle n2)" "$(ratio "${lat_p99[remote]}" "${lat_p99[local]}")× (remote/local)" "remote ≤ 100 ms ($(met "${lat_p99[remote]} <= 100"))"
row "6. \`/bin/sleep $sleep_s\` jobs/s, 2 nodes, every submission to n1 ($((2 * conns)) connections; claims: $mix6; request p50/p99 ms $(value p50 "$r6")/$(value p99 "$r6"))" "$(value jobs_s "$r6")" "${tput[2]} (round-robin, same total connections)" "$(ratio "$(value jobs_s "$r6")" "${tput[2]}")" "–"
row "5. one node, \`/bin/true\` jobs/s, wrk -c4, \`Prefer: wait=30\`, pool process ($slots slots), a fresh schema each (request p50/p99 ms: this build $(value p50 "$after5")/$(value p99 "$after5"), before $(value p50 "$before5")/$(value p99 "$before5"))" "$(value jobs_s "$after5") (this build)" "$(value jobs_s "$before5") ($before_commit, before cluster mode)" "$(ratio "$(value jobs_s "$after5")" "$(value jobs_s "$before5")")" "–"
printf '%s\n' "${rows[@]}"
echo
echo "Statements per job (scenario 3), counted from the PostgreSQL JDBC driver's protocol trace on both nodes"
echo "(a statement: an Execute or a SimpleQuery; a round trip: a Sync, BEGIN travelling with the statement after"
echo "it): $n_sql \`/bin/true\` jobs in pool solo, one after the other with \`Prefer: wait=30\`; local: submitted to"
echo "idle node s; remote: submitted to s while its slot is busy, run by v. Both nodes' heartbeats (every 500 ms)"
echo "are included (local run ${sql_secs[local]} s, remote run ${sql_secs[remote]} s)."
echo
echo "| statement kind | local start, per job | remote start, per job |"
echo "|---|---|---|"
cut -f1 "$work/sql.local" "$work/sql.remote" | sort -u | grep -v '^(' | while IFS= read -r k; do
  a=$(awk -F'\t' -v k="$k" '$1 == k { print $2 }' "$work/sql.local"); b=$(awk -F'\t' -v k="$k" '$1 == k { print $2 }' "$work/sql.remote")
  echo "| $k | $(calc "%.2f" "${a:-0} / $n_sql") | $(calc "%.2f" "${b:-0} / $n_sql") |"
done
for k in '(statements)' '(round trips)'; do
  a=$(awk -F'\t' -v k="$k" '$1 == k { print $2 }' "$work/sql.local"); b=$(awk -F'\t' -v k="$k" '$1 == k { print $2 }' "$work/sql.remote")
  echo "| **total ${k//[()]/}** | **$(calc "%.2f" "${a:-0} / $n_sql")** | **$(calc "%.2f" "${b:-0} / $n_sql")** |"
done
echo
echo "Node death (scenario 4): $kill_jobs \`/bin/sleep 120\` jobs running on the victim, then a signal to its JVM;"
echo "settled = the latest finishedAt of its jobs (set by the node that settles them) − the signal; seen = when a"
echo "poll of the survivor (every 50 ms) first showed them all LOST; then how many of their processes were alive, and"
echo "when (after the signal) none was left (polled for 15 s at most)."
echo
echo "| case | settled (ms) | seen (ms) | lease (ms) | settled / lease | LOST | job processes alive when seen | all job processes gone (ms) |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${kill_rows[@]}"
[ "$quick" = 0 ] || notes+=("Quick run: short load runs and few samples (the JIT is barely warm); run without --quick for steadier figures.")
notes+=("All nodes, the load generator and PostgreSQL share $(nproc) CPUs: more nodes add slots but no CPU, so scenario 1's ratios say how far the claim path lets slots be used, not how a cluster of separate machines scales.")
echo
printf -- '- %s\n' "${notes[@]}"
log "done in $total_s s (scenario 5's second build ready $(( (t_build_end - t0) / 1000000000 )) s after the start)"
