#!/usr/bin/env bash
# Measures what the job store writes per job and how much room it keeps (issue 15): the embedded H2 store and
# PostgreSQL, one service each, the production launch of bench/lib.sh (extracted jar, Spring AOT, JDK AOT cache).
# Prints one Markdown table on stdout with issue 15's targets beside; progress goes to stderr.
#
# The workload is issue 15's: pool process at max-concurrency 2, jobs `/bin/echo hello` (one line of output each),
# 16 clients (wrk -t2 -c16) POSTing with `Prefer: wait=30`, for a fixed duration from a fresh store. Then:
#   - bytes written per job: write_bytes of /proc/<pid>/io of the service's JVM (the page cache it dirtied, which
#     the kernel writes to the disk: a page dirtied again before its writeback is not counted twice; its reaped
#     children are included, and write nothing to disk here)
#     before the load and after it, once the pool has drained; over the jobs finished meanwhile
#     (jobexec_jobs_finished_total in /actuator/prometheus). The service log's growth is in that figure and shown
#     beside it. On H2 also H2's own count of the bytes it wrote (the jobexec.store.written meter).
#   - H2: the size of <data-dir>/store/jobexec.mv.db at the end of the load (and its largest during it), after
#     an idle period (BENCH_IDLE_S, default 60 s; --quick 10 s), and after a graceful stop (SIGTERM); the live
#     data is a copy of the stopped file compacted with H2's `SHUTDOWN COMPACT` (org.h2.tools.Shell with the
#     H2 jar of the extracted lib/ dir); file/live ratios at the three moments.
#   - PostgreSQL (cluster mode, heartbeat every 2 s): WAL bytes per job from pg_stat_wal.wal_bytes, the delta
#     over the load (drain and a stats-flush wait included) minus the idle rate times that time. pg_stat_wal is
#     server-wide: other sessions' work adds to it, so the idle rate is measured before the service starts
#     (the server alone), with the service idle (server + heartbeat) before the load, and again after it;
#     the one before the load is subtracted, the spread of the three says how noisy the figure is. Backends
#     publish their WAL counts up to 10 s late (PostgreSQL 15's idle stats flush), so every pg_stat_wal
#     reading after work waits 11 s; pg_current_wal_insert_lsn() (exact, also server-wide) is the cross-check.
#     The schema's relations (tables, indexes, TOAST) are measured like the H2 file: after the load, idle,
#     stopped, and after VACUUM FULL of every table of the schema (its "live" size).
# Usage: bench/store-writes.sh [--quick]
#   default: H2 load 120 s, idle 60 s; PostgreSQL load 60 s, idle windows 20 s each: about 6 minutes after
#   packaging. --quick: H2 load 15 s, idle 10 s; PostgreSQL load 12 s, idle windows 6 s: under 2 minutes.
#   BENCH_LOAD_S, BENCH_IDLE_S, BENCH_PG_LOAD_S and BENCH_PG_IDLE_S override those durations (seconds);
#   BENCH_STORES="h2 pg" (default) picks the stores. Packages the jar first like bench/run.sh (BENCH_JAR=path
#   measures that jar instead, for before/after figures).
# PostgreSQL: PGHOST (localhost), PGPORT (5432), PGDATABASE (jobexec), PGUSER (jobexec), PGPASSWORD (jobexec);
#   the role needs CREATE on the database (one fresh schema per run, dropped at the end); if the server cannot
#   be reached, the PostgreSQL row says so and the H2 figures are still measured. Needs: JDK 25, curl, wrk,
#   psql (for PostgreSQL). Disk: before issue 15 the default run wrote up to 5.6 GB through the H2 store (54,000 jobs
#   at 450 jobs/s) and held a 3.3 GB file and, while compacting it, its copy in the work dir (under $TMPDIR):
#   leave 7 GB free there.
set -euo pipefail
cd "$(dirname "$0")/.."
bench=$PWD/bench
# shellcheck source=bench/lib.sh
. "$bench/lib.sh"

bench_quick_option "$@"
if [ "$quick" = 1 ]; then
  mode=quick; load_s=15; idle_s=10; pg_load_s=12; pg_idle_s=6
else
  mode=full; load_s=120; idle_s=60; pg_load_s=60; pg_idle_s=20
fi
load_s=${BENCH_LOAD_S:-$load_s}; idle_s=${BENCH_IDLE_S:-$idle_s}
pg_load_s=${BENCH_PG_LOAD_S:-$pg_load_s}; pg_idle_s=${BENCH_PG_IDLE_S:-$pg_idle_s}
stores=${BENCH_STORES:-h2 pg}
C=2              # pool process: max-concurrency (issue 15's measurement)
clients=16       # wrk connections, each waiting for its job (Prefer: wait=30)
body='{"command":["/bin/echo","hello"]}'
stats_flush_s=11 # PostgreSQL 15 backends publish pending stats at most 10 s after they go idle

export PGHOST=${PGHOST:-localhost} PGPORT=${PGPORT:-5432} PGDATABASE=${PGDATABASE:-jobexec}
export PGUSER=${PGUSER:-jobexec} PGPASSWORD=${PGPASSWORD:-jobexec}
for tool in curl wrk; do command -v "$tool" >/dev/null || bench_die "$tool is required"; done

bench_find_jdk
bench_build_jar
log() { bench_log "$@"; }
bench_make_work
work=$bench_work
key=$bench_key
t0=$(date +%s%N)

# ---- helpers ----
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
value() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p" | head -1; }
now_ns() { date +%s%N; }
api() { curl -s -H "X-API-Key: $key" "$@"; }
json_field() { grep -o "\"$1\":[^,}]*" | head -1 | cut -d: -f2- | tr -d '"'; }
io_field() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$bench_pid/io"; }  # FIELD of the service's /proc/<pid>/io
size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }
# The sum of a Prometheus series over its label sets (0 if absent).
prom() { api "$bench_url/actuator/prometheus" | awk -v m="$1" '$1 == m || index($1, m "{") == 1 { s += $NF } END { printf "%.0f\n", s }'; }
kb() { calc "%.1f" "$1 / 1024"; }
mb() { calc "%.2f" "$1 / 1048576"; }
ratio() { if [ "${2:-0}" -gt 0 ]; then calc "%.1f" "$1 / $2"; else echo "–"; fi; }
met() { awk -v v="$1" -v t="$2" 'BEGIN { print (v != "–" && v + 0 <= t + 0) ? "yes" : "no" }'; }

# Waits until pool process has nothing queued or running (at most 60 s).
wait_drained() {
  local deadline=$(($(date +%s) + 60)) p
  while [ "$(date +%s)" -lt "$deadline" ]; do
    p=$(api "$bench_url/api/v1/pools/process")
    [ "$(json_field queued <<<"$p")" = 0 ] && [ "$(json_field active <<<"$p")" = 0 ] && return 0
    sleep 0.2
  done
  log "   (pool process not drained after 60 s)"
}

sampler_pid=
start_sampler() {  # FILE OUT: the file's size every second, "ns size" lines
  ( while :; do echo "$(date +%s%N) $(stat -c %s "$1" 2>/dev/null || echo 0)"; sleep 1; done ) >"$2" &
  sampler_pid=$!
}
stop_sampler() { [ -z "$sampler_pid" ] || { kill "$sampler_pid" 2>/dev/null || true; wait "$sampler_pid" 2>/dev/null || true; sampler_pid=; }; }

# ---- PostgreSQL ----
sql() { PGOPTIONS='-c client_min_messages=warning' psql -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
schema=
bench_on_exit() {
  stop_sampler
  if [ -n "$schema" ]; then bench_stop 10; sql "drop schema if exists $schema cascade" >/dev/null 2>&1 || true; fi
}
# "wal=.. lsn=.. fpi=.. records=.. ckpt=.." now, server-wide
pg_wal() {
  sql "select 'wal=' || w.wal_bytes::bigint || ' lsn=' || pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint
               || ' fpi=' || w.wal_fpi || ' records=' || w.wal_records
               || ' ckpt=' || (b.checkpoints_timed + b.checkpoints_req)
       from pg_stat_wal w, pg_stat_bgwriter b"
}
pg_schema_size() {
  sql "select coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = '$schema' and c.relkind in ('r', 'm')"
}
pg_other_backends() {  # client backends of other sessions (call before the service starts), not this psql
  sql "select count(*) || ' (' || count(*) filter (where state = 'active') || ' active)' from pg_stat_activity
       where backend_type = 'client backend' and pid <> pg_backend_pid()"
}

cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
mem_total=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
fs_type=$(df -PT "$work" | awk 'NR == 2 { print $2 }')
log "bench/store-writes.sh ($mode): work dir $work ($fs_type)"

bench_service_args=("--jobexec.pools.process.max-concurrency=$C")
bench_prepare_launch
spring_aot=$bench_spring_aot
aot_cache=$([ -s "$bench_aot_cache" ] && echo on || echo off)

rows=(); notes=()
# row STORE JOBS JOBS/S WRITTEN/JOB WAL/JOB STEADY IDLE STOPPED LIVE R_STEADY R_IDLE R_STOPPED
row() { local out="|" c; for c in "$@"; do out+=" $c |"; done; rows+=("$out"); }

# One load run on the running service: sets jobs, jobs_s, other, secs, io_w (write_bytes delta), io_c
# (cancelled_write_bytes delta), log_w (service log growth), t_load0 (ns), size_steady (H2 file, if FILE).
load_run() {  # SECONDS [FILE]
  local dur=$1 file=${2:-} fin0 fin1 w0 c0 l0 out
  fin0=$(prom jobexec_jobs_finished_total); w0=$(io_field write_bytes); c0=$(io_field cancelled_write_bytes)
  l0=$(size_of "$bench_service_log")
  t_load0=$(now_ns)
  log "   load: wrk -t2 -c$clients -d${dur}s, POST $body with Prefer: wait=30 ..."
  out=$(bench_wrk 2 "$clients" "$dur" "$bench_url/api/v1/jobs" POST "$body" wait=30)
  [ -z "$file" ] || size_steady=$(size_of "$file")
  wait_drained
  # H2's footprint meters are read at most every 5 s: wait that long so that the reading after the load is new.
  [ -z "$file" ] || sleep 5.5
  fin1=$(prom jobexec_jobs_finished_total)
  io_w=$(( $(io_field write_bytes) - w0 )); io_c=$(( $(io_field cancelled_write_bytes) - c0 ))
  log_w=$(( $(size_of "$bench_service_log") - l0 ))
  jobs=$((fin1 - fin0)); secs=$(value secs "$out")
  other=$(( $(value other "$out") + $(value s202 "$out") ))  # a 202: the job did not end within the wait
  jobs_s=$(calc "%.1f" "$(value s200 "$out") / $secs")
  log "   $jobs jobs finished ($out); write_bytes +$io_w, cancelled_write_bytes +$io_c, log +$log_w"
}

# ---------------- H2 ----------------
if [[ " $stores " == *" h2 "* ]]; then
  log "H2: starting the service on a fresh data dir ..."
  bench_start "$work/h2"
  h2file=$work/h2/store/jobexec.mv.db
  [ -f "$h2file" ] || bench_die "no H2 file at $h2file"
  sleep 1
  h2w0=$(prom jobexec_store_written_bytes_total)
  size_start=$(size_of "$h2file")
  start_sampler "$h2file" "$work/h2-sizes"
  load_run "$load_s" "$h2file"
  stop_sampler
  h2w1=$(prom jobexec_store_written_bytes_total)
  h2_file_meter=$(prom jobexec_store_file_size_bytes); h2_live_meter=$(prom jobexec_store_live_size_bytes)
  size_max=$(awk '$2 > m { m = $2 } END { print m + 0 }' "$work/h2-sizes")
  # The file's growth: its size every 10 s of the load (MB).
  growth=$(awk -v t0="$t_load0" -v step=10 '{ s = ($1 - t0) / 1e9; if (s >= 0 && s >= next_t) { printf "%s%d s: %.0f", sep, s, $2 / 1048576; sep = ", "; next_t = int(s / step) * step + step } }' "$work/h2-sizes")
  w_idle0=$(io_field write_bytes)
  log "   file $(mb "$size_steady") MB at the end of the load (largest $(mb "$size_max") MB); idle ${idle_s} s ..."
  sleep "$idle_s"
  size_idle=$(size_of "$h2file")
  w_idle=$(( $(io_field write_bytes) - w_idle0 ))
  h2_live_meter_idle=$(prom jobexec_store_live_size_bytes)
  log "   file $(mb "$size_idle") MB after ${idle_s} s idle (written meanwhile: $w_idle bytes); stopping (SIGTERM) ..."
  stop0=$(now_ns)
  bench_stop 120
  stop_ms=$(( ($(now_ns) - stop0) / 1000000 ))
  size_stopped=$(size_of "$h2file")
  # The live data: a copy of the stopped file, compacted by H2 itself.
  h2jar=$(find "$work/app/lib" -maxdepth 1 -name 'h2-*.jar' | head -1)
  [ -n "$h2jar" ] || bench_die "no h2-*.jar in $work/app/lib"
  mkdir -p "$work/compact"
  cp "$h2file" "$work/compact/jobexec.mv.db"
  compact0=$(now_ns)
  "$bench_java" -cp "$h2jar" org.h2.tools.Shell -url "jdbc:h2:$work/compact/jobexec" -user sa -password "" \
    -sql "SHUTDOWN COMPACT" >"$work/compact.log" 2>&1 || { cat "$work/compact.log" >&2; bench_die "SHUTDOWN COMPACT failed"; }
  compact_ms=$(( ($(now_ns) - compact0) / 1000000 ))
  size_live=$(size_of "$work/compact/jobexec.mv.db")
  log "   stopped in $stop_ms ms: file $(mb "$size_stopped") MB; compacted copy $(mb "$size_live") MB"

  per_job=$(( jobs > 0 ? io_w / jobs : 0 ))
  r_steady=$(ratio "$size_steady" "$size_live"); r_idle=$(ratio "$size_idle" "$size_live"); r_stopped=$(ratio "$size_stopped" "$size_live")
  row "H2 (embedded, default)" "$jobs" "$jobs_s" "$(kb "$per_job") KB ($(met "$(kb "$per_job")" 8))" "–" \
    "$(mb "$size_steady") MB" "$(mb "$size_idle") MB" "$(mb "$size_stopped") MB" "$(mb "$size_live") MB" \
    "$r_steady× ($(met "$r_steady" 4))" "$r_idle× ($(met "$r_idle" 2))" "$r_stopped× ($(met "$r_stopped" 2))"
  h2_version=$(basename "$h2jar" .jar)
  notes+=("H2 ($h2_version): ${load_s} s of load from a fresh store, $jobs jobs; $(( other )) responses other than 200. The JVM's write_bytes grew $(mb "$io_w") MB over the load and the drain ($(kb "$per_job") KB/job), of which the service log $(kb "$log_w") KB; cancelled_write_bytes (pages written and then truncated away) $(mb "$io_c") MB. H2's own count of the bytes it wrote to the file (jobexec.store.written) over the same time: $(mb "$(( h2w1 - h2w0 ))") MB, $(kb "$(( jobs > 0 ? (h2w1 - h2w0) / jobs : 0 ))") KB/job.")
  notes+=("H2 file size during the load (MB, every 10 s): $growth; largest $(mb "$size_max") MB; $(mb "$size_start") MB before the load. Written while idle ${idle_s} s: $(kb "$w_idle") KB. Graceful stop (SIGTERM until exit): $stop_ms ms. \`SHUTDOWN COMPACT\` of the copy: $compact_ms ms.")
  notes+=("H2's estimate of its live data (jobexec.store.live.size, from its fill rates) after the load: $(mb "$h2_live_meter") MB of a $(mb "$h2_file_meter") MB file; after the idle period $(mb "$h2_live_meter_idle") MB; the compacted copy: $(mb "$size_live") MB.")
fi

# ---------------- PostgreSQL ----------------
pg_done=0
if [[ " $stores " == *" pg "* ]]; then
  if ! command -v psql >/dev/null; then
    row "PostgreSQL" "not measured: psql is not installed" "" "" "" "" "" "" "" "" "" ""
  elif ! sql "select 1" >/dev/null 2>&1; then
    row "PostgreSQL" "not measured: cannot reach $PGUSER@$PGHOST:$PGPORT/$PGDATABASE" "" "" "" "" "" "" "" "" "" ""
  else
    pg_version=$(sql "show server_version"); pg_version=${pg_version%% *}
    pg_settings=$(sql "select string_agg(name || '=' || setting, ', ' order by name) from pg_settings
                       where name in ('full_page_writes', 'wal_compression', 'checkpoint_timeout', 'synchronous_commit', 'wal_level')")
    # 1. The server alone: WAL of other sessions, autovacuum, checkpoints.
    log "PostgreSQL: the server's idle WAL rate without the service, ${pg_idle_s} s ..."
    a=$(pg_wal); ta=$(now_ns); sleep "$pg_idle_s"; b=$(pg_wal); tb=$(now_ns)
    rate_server=$(calc "%.1f" "($(value wal "$b") - $(value wal "$a")) / (($tb - $ta) / 1e9)")
    schema=jobexec_bench_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
    sql "create schema $schema" >/dev/null
    others=$(pg_other_backends)
    log "   starting the service on schema $schema ..."
    bench_start "$work/pg" "--spring.datasource.url=jdbc:postgresql://$PGHOST:$PGPORT/$PGDATABASE?currentSchema=$schema" \
      "--spring.datasource.username=$PGUSER" "--spring.datasource.password=$PGPASSWORD"
    cluster_line=$(grep -o 'Node [0-9a-f-]* joined the cluster' "$bench_service_log" | head -1 || true)
    [ -n "$cluster_line" ] || log "   (the log says no node joined a cluster: is cluster mode off?)"
    # 2. The service idle: its heartbeat (every 2 s) and the rest of the server. The first stats flush waits.
    log "   idle WAL rate with the service idle (heartbeat), ${pg_idle_s} s after a ${stats_flush_s} s settle ..."
    sleep "$stats_flush_s"
    a=$(pg_wal); ta=$(now_ns); sleep "$pg_idle_s"; b=$(pg_wal); tb=$(now_ns)
    idle_dt=$(calc "%.3f" "($tb - $ta) / 1e9")
    rate_idle=$(calc "%.1f" "($(value wal "$b") - $(value wal "$a")) / $idle_dt")
    rate_idle_lsn=$(calc "%.1f" "($(value lsn "$b") - $(value lsn "$a")) / $idle_dt")
    # 3. The load, then the drain and a stats flush.
    w0=$(pg_wal)
    load_run "$pg_load_s"
    log "   waiting ${stats_flush_s} s for the backends' WAL counts ..."
    sleep "$stats_flush_s"
    w1=$(pg_wal); t_w1=$(now_ns)
    size_steady=$(pg_schema_size)
    window_s=$(calc "%.3f" "($t_w1 - $t_load0) / 1e9")
    wal_d=$(( $(value wal "$w1") - $(value wal "$w0") )); lsn_d=$(( $(value lsn "$w1") - $(value lsn "$w0") ))
    fpi_d=$(( $(value fpi "$w1") - $(value fpi "$w0") )); rec_d=$(( $(value records "$w1") - $(value records "$w0") ))
    ckpt_d=$(( $(value ckpt "$w1") - $(value ckpt "$w0") ))
    wal_net=$(calc "%.0f" "$wal_d - $rate_idle * $window_s")
    lsn_net=$(calc "%.0f" "$lsn_d - $rate_idle_lsn * $window_s")
    # 4. Idle again, after the load.
    log "   idle WAL rate after the load, ${pg_idle_s} s ..."
    a=$(pg_wal); ta=$(now_ns); sleep "$pg_idle_s"; b=$(pg_wal); tb=$(now_ns)
    rate_after=$(calc "%.1f" "($(value wal "$b") - $(value wal "$a")) / (($tb - $ta) / 1e9)")
    rate_after_lsn=$(calc "%.1f" "($(value lsn "$b") - $(value lsn "$a")) / (($tb - $ta) / 1e9)")
    size_idle=$(pg_schema_size)
    bench_stop 120
    size_stopped=$(pg_schema_size)
    while read -r t; do [ -z "$t" ] || sql "vacuum full $t" >/dev/null; done \
      < <(sql "select format('%I.%I', schemaname, tablename) from pg_tables where schemaname = '$schema'")
    autovac=$(sql "select 'autovacuum ' || coalesce(sum(autovacuum_count), 0) || ', autoanalyze ' || coalesce(sum(autoanalyze_count), 0)
                   from pg_stat_user_tables where schemaname = '$schema'")
    size_live=$(pg_schema_size)
    sql "drop schema $schema cascade" >/dev/null; schema=
    pg_done=1

    per_job=$(( jobs > 0 ? io_w / jobs : 0 ))
    wal_job=$(calc "%.0f" "$wal_net / ($jobs > 0 ? $jobs : 1)")
    row "PostgreSQL $pg_version (cluster mode)" "$jobs" "$jobs_s" "$(kb "$per_job") KB (the JVM; the server's writes: WAL →)" \
      "$(kb "$wal_job") KB" "$(mb "$size_steady") MB" "$(mb "$size_idle") MB" "$(mb "$size_stopped") MB" "$(mb "$size_live") MB" \
      "$(ratio "$size_steady" "$size_live")×" "$(ratio "$size_idle" "$size_live")×" "$(ratio "$size_stopped" "$size_live")×"
    notes+=("PostgreSQL: ${pg_load_s} s of load on a fresh schema, $jobs jobs; $(( other )) responses other than 200. WAL over the load, the drain and the ${stats_flush_s} s stats wait (${window_s} s): pg_stat_wal $(mb "$wal_d") MB, minus the idle rate $(kb "$rate_idle") KB/s × ${window_s} s = $(mb "$wal_net") MB, $(kb "$wal_job") KB/job (raw, nothing subtracted: $(kb "$(( jobs > 0 ? wal_d / jobs : 0 ))") KB/job). Cross-check from pg_current_wal_insert_lsn(): $(kb "$(calc "%.0f" "$lsn_net / ($jobs > 0 ? $jobs : 1)")") KB/job net. $(calc "%.1f" "$rec_d / ($jobs > 0 ? $jobs : 1)") WAL records and $(calc "%.2f" "$fpi_d / ($jobs > 0 ? $jobs : 1)") full-page images per job (raw); checkpoints meanwhile: $ckpt_d. The JVM's write_bytes: $(kb "$io_w") KB, of which the service log $(kb "$log_w") KB.")
    notes+=("PostgreSQL idle WAL rates (server-wide, pg_stat_wal): the server without the service $(kb "$rate_server") KB/s; with the service idle (its heartbeat every 2 s) $(kb "$rate_idle") KB/s, the one subtracted (from pg_current_wal_insert_lsn(): $(kb "$rate_idle_lsn") KB/s); after the load $(kb "$rate_after") KB/s (LSN: $(kb "$rate_after_lsn") KB/s), not subtracted: whatever of it autovacuum spends on the schema's tables is a cost of the jobs left out of the figure. Other sessions' client backends on the server just before the service started: $others. ${cluster_line:-no cluster join in the log}. Server settings: $pg_settings.")
    notes+=("PostgreSQL sizes: the schema's relations (tables, indexes, TOAST; pg_total_relation_size) after the load, after ${pg_idle_s} s idle, after the stop, and after VACUUM FULL of every table (the live size). Autovacuum runs on the schema's tables during the run: $autovac (its WAL is in the figures: server-wide). Autovacuum may run at any time, so the idle and stopped figures depend on when it last did.")
  fi
fi

# ---- report ----
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
total_s=$(calc "%.0f" "($(now_ns) - $t0) / 1e9")
echo "## Store writes: \`bench/store-writes.sh\` ($mode run, $(date -u '+%Y-%m-%d %H:%M UTC'))"
echo
echo "- machine: $(nproc) CPUs, $cpu_model, $mem_total memory, Linux $(uname -r); the work dir (H2 file) on $fs_type$([ "$pg_done" = 1 ] && echo "; PostgreSQL $pg_version on this host")"
echo "- java: $("$bench_java" -version 2>&1 | head -1); wrk $(wrk -v 2>&1 | head -1 | awk '{ print $2 }')"
echo "- load average before → after: $load_before → $load_after (other work on the machine makes every figure noisy)"
echo "- service: pool process (max-concurrency $C); $clients clients (wrk -t2 -c$clients) POSTing \`$body\` with \`Prefer: wait=30\`; H2 load ${load_s} s, idle ${idle_s} s; PostgreSQL load ${pg_load_s} s, idle windows ${pg_idle_s} s; extracted jar, Spring AOT $spring_aot, JDK AOT cache $aot_cache; $total_s s for the whole run"
echo
echo "| store | jobs | jobs/s | bytes written per job | WAL bytes per job | file steady | file idle | file stopped | live | file/live steady | file/live idle | file/live stopped |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo "| issue 15 target (default store) | – | not lower than before | ≤ 8 KB | – | – | – | – | – | ≤ 4× | ≤ 2× | ≤ 2× |"
[ "$quick" = 0 ] || notes+=("Quick run: ${load_s} s of H2 load and an idle wait of ${idle_s} s, not the idle minute of issue 15 (BENCH_IDLE_S=60 for that); short PostgreSQL windows (${pg_idle_s} s) make its idle rate, and so its WAL per job, noisier. Run without --quick for the figures to quote.")
notes+=("KB = 1024 bytes, MB = 1024² bytes. \"bytes written per job\" is the JVM's write_bytes over the jobs finished in the same time; on PostgreSQL the server writes the data, so its cost is the WAL column (the server's own data-file writes at checkpoints are not counted).")
echo
printf -- '- %s\n' "${notes[@]}"
