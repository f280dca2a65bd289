#!/usr/bin/env bash
# Measures how much the service's heap grows when jobs print far more than jobexec.process.max-output:
# starts the service with the production launch of bench/lib.sh (the jar packaged with -Paot first, or
# BENCH_JAR; a fresh temp data dir), runs N jobs that each print 200 MB, and compares the heap used after a
# full GC before and after. Usage: bench/output-memory.sh [jobs]   (PORT: a fixed port instead of a free one)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
jobs=${1:-5}
bench_fixed_port=${PORT:-}
bench_find_jdk
bench_build_jar
bench_make_work
bench_prepare_launch
bench_start "$bench_work/data"
java_home=$bench_java_home
pid=$bench_pid
base_url=$bench_url
key=$bench_key

heap_used_kb() {
  "$java_home/bin/jcmd" "$pid" GC.run >/dev/null
  "$java_home/bin/jcmd" "$pid" GC.heap_info | awk '/used/ { for (i = 1; i <= NF; i++) if ($i == "used") { sub("K", "", $(i+1)); print $(i+1); exit } }'
}
rss_kb() { awk '/VmRSS/ { print $2 }' "/proc/$pid/status"; }

curl -fs -H "X-API-Key: $key" -H 'Content-Type: application/json' -H 'Prefer: wait=60' -d '{"command":["/bin/true"]}' "$base_url/api/v1/jobs" >/dev/null
before_heap=$(heap_used_kb); before_rss=$(rss_kb)
start=$(date +%s.%N)
for _ in $(seq 1 "$jobs"); do
  curl -fs -H "X-API-Key: $key" -H 'Content-Type: application/json' -H 'Prefer: wait=120' \
    -d '{"command":["/bin/sh","-c","head -c 209715200 /dev/zero | tr \"\\\\0\" x"]}' "$base_url/api/v1/jobs" \
    | grep -q '"bytes":209715200'
done
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
after_heap=$(heap_used_kb); after_rss=$(rss_kb)
echo "| jobs printing 200 MB each | heap used after GC, before → after | growth per job | RSS before → after | seconds |"
echo "|---|---|---|---|---|"
echo "| $jobs | ${before_heap} KB → ${after_heap} KB | $(( (after_heap - before_heap) / jobs )) KB | ${before_rss} KB → ${after_rss} KB | ${elapsed} |"
bench_stop
