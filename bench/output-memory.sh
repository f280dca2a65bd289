#!/usr/bin/env bash
# Measures how much the service's heap grows when jobs print far more than jobexec.process.max-output:
# starts the packaged service, runs N jobs that each print 200 MB, and compares the heap used after a
# full GC before and after. Usage: bench/output-memory.sh [jobs]   (builds the jar if it is missing)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${1:-5}
port=${PORT:-18181}
java_home=$(ls -d /usr/lib/jvm/temurin-25* /usr/lib/jvm/*-25-* 2>/dev/null | head -1)
[ -n "$java_home" ] || { echo "no JDK 25 under /usr/lib/jvm" >&2; exit 1; }
jar=target/jobexec-0.1.0-SNAPSHOT.jar
[ -f "$jar" ] || ./mvnw -B -q -DskipTests package
data=$(mktemp -d)
key=bench-key-0123456789abcdef
"$java_home/bin/java" -jar "$jar" --server.port="$port" --jobexec.data-dir="$data" \
  --jobexec.security.api-keys="$key" >"$data/service.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 120); do curl -fs "localhost:$port/actuator/health" >/dev/null && break; sleep 0.5; done

heap_used_kb() {
  "$java_home/bin/jcmd" "$pid" GC.run >/dev/null
  "$java_home/bin/jcmd" "$pid" GC.heap_info | awk '/used/ { for (i = 1; i <= NF; i++) if ($i == "used") { sub("K", "", $(i+1)); print $(i+1); exit } }'
}
rss_kb() { awk '/VmRSS/ { print $2 }' "/proc/$pid/status"; }

curl -fs -H "X-API-Key: $key" -H 'Content-Type: application/json' -H 'Prefer: wait=60' -d '{"command":["/bin/true"]}' "localhost:$port/api/v1/jobs" >/dev/null
before_heap=$(heap_used_kb); before_rss=$(rss_kb)
start=$(date +%s.%N)
for _ in $(seq 1 "$jobs"); do
  curl -fs -H "X-API-Key: $key" -H 'Content-Type: application/json' -H 'Prefer: wait=120' \
    -d '{"command":["/bin/sh","-c","head -c 209715200 /dev/zero | tr \"\\\\0\" x"]}' "localhost:$port/api/v1/jobs" \
    | grep -q '"bytes":209715200'
done
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
after_heap=$(heap_used_kb); after_rss=$(rss_kb)
echo "| jobs printing 200 MB each | heap used after GC, before → after | growth per job | RSS before → after | seconds |"
echo "|---|---|---|---|---|"
echo "| $jobs | ${before_heap} KB → ${after_heap} KB | $(( (after_heap - before_heap) / jobs )) KB | ${before_rss} KB → ${after_rss} KB | ${elapsed} |"
