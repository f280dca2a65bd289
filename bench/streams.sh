#!/usr/bin/env bash
# Issue 14's benchmarks that exist so far: (1) the batch endpoint against the same jobs submitted one by
# one, and (2) the service's memory with many idle clients following a job's output (SSE).
#   1. N echo tasks (pool thread): one POST /api/v1/jobs/batch of N against N POST /api/v1/jobs, each from
#      one keep-alive connection (Python http.client), time until all are accepted; then the batch again with
#      Prefer: wait=60, until all have ended.
#   2. C clients (Python asyncio, one connection each) open GET /api/v1/jobs/{id}/output on a job that runs
#      `sleep` (no output, so every client waits); once all have their 200, the heap used after a full GC
#      and the RSS are compared with the figures before they connected.
# Starts the service with the production launch of bench/lib.sh (the jar packaged with -Paot first, or
# BENCH_JAR). Usage: bench/streams.sh [--quick]   (N=1000, C=1000; --quick: N=200, C=200). Needs python3, jcmd.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_quick_option "$@"
if [ "$quick" = 1 ]; then n=200; c=200; else n=1000; c=1000; fi
command -v python3 >/dev/null || bench_die "python3 is required"
bench_find_jdk
bench_build_jar
bench_make_work
bench_prepare_launch
bench_start "$bench_work/data" --jobexec.limits.max-batch-size="$n" --jobexec.pools.thread.queue-capacity=$((n * 3))
pid=$bench_pid
heap_used_kb() {
  "$bench_java_home/bin/jcmd" "$pid" GC.run >/dev/null
  "$bench_java_home/bin/jcmd" "$pid" GC.heap_info | awk '/used/ { for (i = 1; i <= NF; i++) if ($i == "used") { sub("K", "", $(i+1)); print $(i+1); exit } }'
}
rss_kb() { awk '/VmRSS/ { print $2 }' "/proc/$pid/status"; }

bench_log "1. $n echo tasks: one batch against $n single submissions ..."
batch=$(python3 - "$bench_url" "$bench_key" "$n" <<'EOF'
import http.client, json, sys, time, urllib.parse
url, key, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
u = urllib.parse.urlparse(url)
headers = {"X-API-Key": key, "Content-Type": "application/json"}
job = {"task": "echo", "params": {"message": "hi"}}
def post(conn, path, body, extra=None):
    conn.request("POST", path, body=json.dumps(body), headers={**headers, **(extra or {})})
    r = conn.getresponse(); data = r.read()
    if r.status not in (200, 202):
        raise SystemExit(f"{path}: {r.status} {data[:200]!r}")
    return data
conn = http.client.HTTPConnection(u.hostname, u.port)
for _ in range(50):  # warm-up, both paths
    post(conn, "/api/v1/jobs", job)
post(conn, "/api/v1/jobs/batch", {"jobs": [job] * 50})
t = time.perf_counter()
for _ in range(n):
    post(conn, "/api/v1/jobs", job)
singles = time.perf_counter() - t
t = time.perf_counter()
post(conn, "/api/v1/jobs/batch", {"jobs": [job] * n})
one = time.perf_counter() - t
time.sleep(2)
t = time.perf_counter()
post(conn, "/api/v1/jobs/batch", {"jobs": [job] * n}, {"Prefer": "wait=60"})
waited = time.perf_counter() - t
print(f"{singles:.3f} {one:.3f} {waited:.3f}")
EOF
)
read -r singles_s batch_s waited_s <<<"$batch"

bench_log "2. $c idle SSE clients on one running job ..."
job=$(curl -fs -H "X-API-Key: $bench_key" -H 'Content-Type: application/json' \
  -d '{"command":["/bin/sleep","120"],"timeout":"PT3M"}' "$bench_url/api/v1/jobs" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
sleep 1
before_heap=$(heap_used_kb); before_rss=$(rss_kb)
fifo=$bench_work/sse-ready
mkfifo "$fifo"
python3 - "$bench_url" "$bench_key" "$job" "$c" >"$fifo" <<'EOF' &
import asyncio, sys, urllib.parse
url, key, job, c = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
u = urllib.parse.urlparse(url)
async def client(ready):
    reader, writer = await asyncio.open_connection(u.hostname, u.port)
    writer.write((f"GET /api/v1/jobs/{job}/output HTTP/1.1\r\nHost: {u.hostname}\r\nX-API-Key: {key}\r\n"
                  "Accept: text/event-stream\r\n\r\n").encode())
    await writer.drain()
    status = await reader.readline()
    if b" 200 " not in status:
        raise SystemExit(f"status {status!r}")
    ready.append(1)
    await asyncio.sleep(3600)
async def main():
    ready = []
    tasks = [asyncio.create_task(client(ready)) for _ in range(c)]
    while len(ready) < c:
        await asyncio.sleep(0.1)
        for t in tasks:
            if t.done() and t.exception():
                raise t.exception()
    print(len(ready), flush=True)
    await asyncio.sleep(3600)
asyncio.run(main())
EOF
clients_pid=$!
read -r connected <"$fifo"
sleep 3
after_heap=$(heap_used_kb); after_rss=$(rss_kb)
kill "$clients_pid" 2>/dev/null || true

echo "## bench/streams.sh ($( [ "$quick" = 1 ] && echo quick || echo full ) run, $(date -u '+%Y-%m-%d %H:%M') UTC)"
echo
echo "- machine: $(nproc) CPUs,$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2); load average $(cut -d" " -f1-3 /proc/loadavg) at the end"
echo
echo "| measurement | figure | baseline | ratio |"
echo "|---|---|---|---|"
echo "| $n echo tasks accepted: one POST /jobs/batch (s) | $batch_s | $singles_s ($n single POSTs, one keep-alive connection) | $(awk "BEGIN { printf \"%.1f×\", $singles_s / $batch_s }") faster |"
echo "| $n echo tasks accepted and ended: one batch with Prefer: wait=60 (s) | $waited_s | – | – |"
echo "| $connected idle SSE clients on /output: heap used after GC, KB per client | $(( (after_heap - before_heap) / connected )) | ${before_heap} → ${after_heap} KB | – |"
echo "| $connected idle SSE clients on /output: RSS, KB per client | $(( (after_rss - before_rss) / connected )) | ${before_rss} → ${after_rss} KB | – |"
