#!/usr/bin/env bash
# Shows whether listing jobs stays fast with a large job store: starts the service (the production launch of
# bench/lib.sh: the jar packaged with -Paot first, or BENCH_JAR; extracted, Spring AOT, a JDK AOT cache trained
# first) once on a fresh data dir (Flyway creates the schema), stops it, bulk-inserts N finished jobs (default 1,000,000;
# about 10% labelled team:t0..t19) straight into the H2 file with H2's RunScript, starts the service on
# that store, and measures GET /api/v1/jobs for several filters, beside GET /actuator/health/liveness of
# the same service as the HTTP ceiling: one request alone (curl), then under load with wrk (or hey;
# installs wrk with apt-get when running as root and neither is there; else a sequential curl loop).
# H2 hands back the previous result of an identical query while no table has changed
# (OPTIMIZE_REUSE_RESULTS), and nothing writes to the store here, so that is turned off by default to
# measure the queries rather than H2's result cache; H2_REUSE_RESULTS=TRUE keeps H2's default.
# Usage: bench/list-1m.sh [jobs]   (prints a Markdown table on stdout)
# Environment: PORT (default: a free port), DURATION (5s per URL), WARMUP (3s per URL, before all measurements),
#              THREADS (2), CONNECTIONS (8), LOADGEN (wrk | hey | curl; default: whichever is installed),
#              H2_REUSE_RESULTS (FALSE)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
jobs=${1:-1000000}
bench_fixed_port=${PORT:-}
duration=${DURATION:-5s}
warmup=${WARMUP:-3s}
threads=${THREADS:-2}
connections=${CONNECTIONS:-8}
reuse_results=${H2_REUSE_RESULTS:-FALSE}
bench_find_jdk
bench_build_jar
java=$bench_java
jar=$bench_jar
bench_make_work
work=$bench_work
data=$work/data
# An API key for this run, sent with every request (a service without API keys ignores both).
api_key=bench-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
bench_key=$api_key
api() { curl -H "X-API-Key: $api_key" "$@"; }
# The production launch; it leaves the copy of the jar it runs in $work/jobexec.jar.
bench_prepare_launch

# H2's own tools, of the version the service bundles (the store format must match).
h2_version=$(unzip -Z1 "$work/jobexec.jar" | sed -n 's|^BOOT-INF/lib/h2-\(.*\)\.jar$|\1|p' | head -1)
[ -n "$h2_version" ] || { echo "no H2 in $jar" >&2; exit 1; }
h2=~/.m2/repository/com/h2database/h2/$h2_version/h2-$h2_version.jar
if [ ! -f "$h2" ]; then
  h2=$work/h2-$h2_version.jar
  unzip -p "$work/jobexec.jar" "BOOT-INF/lib/h2-$h2_version.jar" >"$h2"
fi
# Filled with the compression the service writes with (JobStoreEnvironment), so that reads decompress as they would.
h2_url="jdbc:h2:file:$data/store/jobexec;COMPRESS=TRUE"
h2_sql() { "$java" -cp "$h2" org.h2.tools.Shell -url "$h2_url" -user sa -password '' -sql "$1"; }

# start_service [SPRING_ARG...]: the service on $data (both starts log to $data.log), until readiness answers 200.
start_service() { bench_start "$data" "$@"; base_url=$bench_url; }

# 1. Let Flyway create the schema, then stop the service so that H2's tools can open the file.
start_service
bench_stop 120

# 2. Bulk insert. Job i is submitted at base + i * step ms, spread over the last 5 days (inside the
#    default 7-day retention); its id is a UUIDv7 of that millisecond (12-bit sequence and 62 random bits
#    derived from i), so ids are distinct and sort like the service's. Only terminal states: queued or
#    running jobs would be dispatched again or marked lost when the service starts.
span_ms=$((5 * 86400 * 1000))
step_ms=$((span_ms / jobs)); [ "$step_ms" -ge 1 ] || step_ms=1
base_ms=$(($(date +%s%3N) - jobs * step_ms - 10 * 60 * 1000))
epoch="timestamp with time zone '1970-01-01 00:00:00Z'"
# One row per job with every value derived from x; used by both inserts so that labels match.
generated="
  select g.*, substring(hi, 1, 8) || '-' || substring(hi, 9, 4) || '-' || substring(hi, 13, 4) || '-'
      || substring(lo, 1, 4) || '-' || substring(lo, 5, 12) as id
  from (
    select g.*,
      rawtohex(cast(bitor(lshift(ms, 16), 28672 + ora_hash(x, 1023, 7)) as binary(8))) as hi,
      '8' || substring(rawtohex(hash('SHA-256', cast(x as varchar))), 2, 15) as lo,
      case when s < 880 then 'SUCCEEDED' when s < 960 then 'FAILED' when s < 985 then 'TIMED_OUT'
        else 'CANCELLED' end as state,
      case when proc then 300000 else 60000 end as timeout_ms
    from (
      select x, cast($base_ms + x * $step_ms as bigint) as ms, ora_hash(x, 99, 1) < 70 as proc,
        ora_hash(x, 999, 2) as s, ora_hash(x, 9, 3) = 0 as labelled, 't' || ora_hash(x, 19, 4) as team,
        ora_hash(x, 99, 5) < 3 as daemon, 5 + ora_hash(x, 3000, 6) as run_ms
      from system_range(1, $jobs)
    ) g
  ) g"
cat >"$work/fill.sql" <<EOF
insert into job (id, pool, kind, state, request, timeout_ms, daemon, submitted_at, started_at, finished_at, pid,
    pid_start_ticks, instance, exit_code, signal, result, error, stdout_text, stdout_bytes, stdout_truncated,
    stderr_text, stderr_bytes, stderr_truncated, termination_reason)
select id,
  case when proc then 'process' else 'thread' end,
  case when proc then 'PROCESS' else 'TASK' end,
  state,
  case when proc then '{"command":["/bin/sh","-c","echo job ' || x || '"]'
    else '{"pool":"thread","task":"sleep","params":{"duration":"PT' || (run_ms / 1000) || 'S"}' end
    || case when daemon then ',"daemon":true' else '' end
    || case when labelled then ',"labels":{"team":"' || team || '"}' else '' end || '}',
  timeout_ms, daemon,
  dateadd(millisecond, ms, $epoch),
  dateadd(millisecond, ms + 3, $epoch),
  dateadd(millisecond, ms + 3 + case when state = 'TIMED_OUT' then timeout_ms else run_ms end, $epoch),
  case when proc then 10000 + mod(x, 50000) end,
  case when proc then 1000000 + x end,
  case when proc then '0190f0e4-0000-7000-8000-00000000be4c' end,
  case when proc and state = 'SUCCEEDED' then 0 when proc and state = 'FAILED' then 1 end,
  case when proc and state in ('TIMED_OUT', 'CANCELLED') then 15 end,
  case when not proc and state = 'SUCCEEDED' then '"PT' || (run_ms / 1000) || 'S"' end,
  case when not proc and state = 'FAILED' then 'task failed: simulated' end,
  case when proc then 'job ' || x || char(10) end,
  case when proc then length('job ' || x) + 1 end,
  case when proc then false end,
  case when proc then case when state = 'FAILED' then 'boom' || char(10) else '' end end,
  case when proc then case when state = 'FAILED' then 5 else 0 end end,
  case when proc then false end,
  case state when 'TIMED_OUT' then 'TIMEOUT' when 'CANCELLED' then 'CANCELLED' end
from ($generated) j;
insert into job_label (job_id, label_name, label_value)
select id, 'team', team from ($generated) j where labelled;
EOF
echo "Inserting $jobs jobs into a fresh H2 $h2_version store ..." >&2
start=$(date +%s.%N)
"$java" -Xmx2g -cp "$h2" org.h2.tools.RunScript -url "$h2_url" -user sa -password '' -script "$work/fill.sql"
insert_s=$(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)")
store_file=$data/store/jobexec.mv.db
store_mb=$(echo "scale=1; $(stat -c %s "$store_file") / 1048576" | bc)
h2_sql "select state, count(*) jobs from job group by state order by 2 desc" >&2
labelled=$(h2_sql "select count(*) from job_label" | sed -n 2p)
h2_sql "select label_value team, count(*) jobs from job_label where label_value in ('t3', 't7') group by label_value order by label_value" >&2

# 3. Measure.
# The URL the service builds itself (JobStoreEnvironment; keep the two in step), plus the result reuse
# setting, which H2 only takes from the URL or a SET statement.
start_service \
  --spring.datasource.url="jdbc:h2:retry:$data/store/jobexec;DB_CLOSE_ON_EXIT=FALSE;COMPRESS=TRUE;RETENTION_TIME=5000;OPTIMIZE_REUSE_RESULTS=$reuse_results" \
  --spring.datasource.username=sa --spring.datasource.password=

json() { if command -v jq >/dev/null; then jq -r "$1"; else python3 -c "import json, sys; d = json.load(sys.stdin); print($2)"; fi; }
# Job ids in a page, newest first.
ids() { json '.items[].id' '"\n".join(i["id"] for i in d["items"])' | sed '/^$/d'; }
mid_ms=$((base_ms + (jobs / 2) * step_ms))
mid=$(printf '%08x-%04x-7fff-bfff-ffffffffffff' $((mid_ms >> 16)) $((mid_ms & 0xffff)))
cursor=$(api -fs "$base_url/api/v1/jobs?limit=1&cursor=$mid" | ids | head -1)
[ -n "$cursor" ] || { echo "no job found below the middle of the id range" >&2; exit 1; }

loadgen=${LOADGEN:-}
if [ -z "$loadgen" ]; then
  if command -v wrk >/dev/null; then loadgen=wrk
  elif command -v hey >/dev/null; then loadgen=hey
  elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null \
      && { echo "installing wrk with apt-get ..." >&2; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; } \
        >"$work/apt.log" 2>&1; then loadgen=wrk
  else loadgen=curl; echo "neither wrk nor hey is available: falling back to sequential curl" >&2
  fi
fi

seconds() { local d=$1; case $d in *ms) echo "${d%ms} / 1000" | bc -l ;; *s) echo "${d%s}" ;; *m) echo "${d%m} * 60" | bc ;; *) echo "$d" ;; esac; }

# A client that gives up does not stop the query it started: wait until the service holds no store
# connection, so that one measurement's leftovers do not slow down the next.
wait_idle() {
  local active
  for _ in $(seq 1 600); do
    active=$(api -fs "$base_url/actuator/metrics/hikaricp.connections.active" | json '.measurements[0].value' 'd["measurements"][0]["value"]') || true
    [ "${active%.*}" = 0 ] && return 0
    sleep 0.5
  done
  echo "the service still runs store queries after 5 minutes" >&2
}

# Loads one URL for the warm-up time, to get the JIT and the store's caches going.
warm_up() {
  local url=$1
  case $loadgen in
    wrk) wrk -H "X-API-Key: $api_key" -t"$threads" -c"$connections" -d"$warmup" --timeout 60s "$url" >/dev/null ;;
    hey) hey -H "X-API-Key: $api_key" -z "$warmup" -c "$connections" -t 60 "$url" >/dev/null ;;
    curl) for _ in $(seq 1 "$(printf '%.0f' "$(echo "$(seconds "$warmup") * 40" | bc)")"); do api -s -o /dev/null "$url"; done ;;
  esac
  wait_idle
}

# Milliseconds of one request with nothing else running: the median of three.
alone() {
  for _ in 1 2 3; do api -fs -o /dev/null -w '%{time_total}\n' "$1"; done | sort -n | sed -n 2p | awk '{ printf "%.1f", $1 * 1000 }'
}

# Prints "p50_ms p99_ms requests_per_s requests failed_requests" for one URL under load.
measure() {
  local url=$1
  case $loadgen in
    wrk)
      wrk -H "X-API-Key: $api_key" -t"$threads" -c"$connections" -d"$duration" --timeout 60s --latency "$url" | awk '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /m$/) return v * 60000; return v * 1000 }
        $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) } $1 == "Requests/sec:" { rps = $2 }
        $2 == "requests" && $3 == "in" { n = $1 }
        /Non-2xx or 3xx responses:/ { bad += $NF }
        /Socket errors:/ { for (i = 3; i <= NF; i++) { gsub(",", "", $i); if ($i ~ /^[0-9]+$/) bad += $i } }
        END { printf "%.2f %.2f %.1f %d %d\n", p50, p99, rps, n, bad }' ;;
    hey)
      hey -H "X-API-Key: $api_key" -z "$duration" -c "$connections" -t 60 "$url" | awk '
        $1 == "Requests/sec:" { rps = $2 } $1 == "50%" { p50 = $3 * 1000 } $1 == "99%" { p99 = $3 * 1000 }
        /^Status code distribution:/ { section = "status"; next } /^Error distribution:/ { section = "errors"; next }
        section == "status" && /^ *\[[0-9]+\]/ { n += $2; if ($1 != "[200]") bad += $2 }
        section == "errors" && /^ *\[[0-9]+\]/ { c = $1; gsub(/[][]/, "", c); n += c; bad += c }
        END { printf "%.2f %.2f %.1f %d %d\n", p50, p99, rps, n, bad }' ;;
    curl)
      local end
      end=$(echo "$(date +%s.%N) + $(seconds "$duration")" | bc)
      while [ "$(echo "$(date +%s.%N) < $end" | bc)" = 1 ]; do
        api -s -o /dev/null -w '%{http_code} %{time_total}\n' "$url"
      done | sort -k2 -n | awk '{ t[NR] = $2 * 1000; sum += $2; if ($1 != 200) bad++ }
        END { i50 = int((NR + 1) * 0.5); if (i50 < 1) i50 = 1; i99 = int(NR * 0.99 + 0.5); if (i99 < 1) i99 = 1
              printf "%.2f %.2f %.1f %d %d\n", t[i50], t[i99], (sum > 0) ? NR / sum : 0, NR, bad }' ;;
  esac
  wait_idle
}

liveness=$base_url/actuator/health/liveness
queries=(
  "limit=50"
  "state=FAILED&limit=50"
  "pool=thread&limit=50"
  "label=team:t7&limit=50"
  "state=SUCCEEDED&pool=process&label=team:t3&limit=50"
  "limit=50&cursor=$cursor"
  "state=FAILED&limit=50&cursor=$cursor"
  "label=team:none&limit=50"
)
urls=("$liveness")
items=("–")
for q in "${queries[@]}"; do
  url="$base_url/api/v1/jobs?$q"
  page=$(api -fs "$url") || { echo "GET $url failed:" >&2; api -s "$url" >&2; exit 1; }
  urls+=("$url")
  items+=("$(echo "$page" | ids | wc -l)")
done
echo "Warming up: $warmup of $loadgen on each of ${#urls[@]} URLs ..." >&2
for url in "${urls[@]}"; do warm_up "$url"; done
echo "Measuring: one request alone, then $loadgen for $duration per URL ..." >&2
rows=()
for i in "${!urls[@]}"; do
  url=${urls[$i]}
  echo "  $url" >&2
  single=$(alone "$url") || single=failed
  read -r p50 p99 rps n bad < <(measure "$url")
  if [ "$i" = 0 ]; then base_p50=$p50; base_rps=$rps; fi
  if [ "$n" = 0 ]; then
    p50=–; p99=–; ratios="– | –"
  else
    ratios=$(awk -v a="$p50" -v b="$base_p50" -v c="$rps" -v d="$base_rps" 'BEGIN { printf "%.1f× | %.2f", a / b, c / d }')
  fi
  shown=${url#"$base_url"}
  shown=${shown//$cursor/<middle id>}
  shown="\`GET $shown\`"
  [ "$i" = 0 ] && shown="$shown (baseline)"
  rows+=("| $shown | ${items[$i]} | $single | $p50 | $p99 | $rps | $n | $bad | $ratios |")
done

case $loadgen in
  wrk) load="wrk, $threads threads, $connections connections" ;;
  hey) load="hey, $connections connections" ;;
  curl) load="curl, one request at a time" ;;
esac
echo
echo "$jobs jobs ($labelled of them labelled) inserted in ${insert_s}s; store file ${store_mb} MB;" \
  "H2 $h2_version, OPTIMIZE_REUSE_RESULTS=$reuse_results; $(nproc) CPUs shared by the service and $loadgen;" \
  "under load: $load, $duration per URL."
echo
echo "| request | items | alone ms | p50 ms | p99 ms | req/s | requests | failed | p50 vs liveness | req/s vs liveness |"
echo "|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
bench_stop
