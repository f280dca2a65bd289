#!/usr/bin/env bash
# Issue 14's benchmarks: (1) the batch endpoint against the same jobs submitted one by one, (2) the
# service's memory with many idle clients following a job's output (SSE), and (3) job events delivered
# per second to many clients of the event stream against one client.
#   1. N echo tasks (pool thread): one POST /api/v1/jobs/batch of N against N POST /api/v1/jobs, each from
#      one keep-alive connection (Python http.client), time until all are accepted; then the batch again with
#      Prefer: wait=60, until all have ended.
#   2. C clients (Python asyncio, one connection each) open GET /api/v1/jobs/{id}/output on a job that runs
#      `sleep` (no output, so every client waits); once all have their 200, the heap used after a full GC
#      and the RSS are compared with the figures before they connected.
#   3. S clients (Python asyncio, HTTP/1.0 so the stream is not chunked) follow GET /api/v1/events?label=…;
#      M echo tasks with that label are submitted in batches; the time from the first batch until every
#      client has seen every job end gives the job events delivered per second (all clients together),
#      measured with S=1 (the baseline) and S=100.
# Starts the service with the production launch of bench/lib.sh (the jar packaged with -Paot first, or
# BENCH_JAR). Usage: bench/streams.sh [--quick]   (N=1000, C=1000, M=5000; --quick: N=200, C=200, M=1000).
# Needs python3, jcmd.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_quick_option "$@"
if [ "$quick" = 1 ]; then n=200; c=200; m=1000; else n=1000; c=1000; m=5000; fi
s=100
command -v python3 >/dev/null || bench_die "python3 is required"
bench_find_jdk
bench_build_jar
bench_make_work
bench_prepare_launch
bench_start "$bench_work/data" --jobexec.limits.max-batch-size="$n" --jobexec.pools.thread.queue-capacity=$((m + n * 3)) \
  --jobexec.events.max-subscribers=$((c + s + 10))
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

events_run() {
  python3 - "$bench_url" "$bench_key" "$1" "$m" "$n" <<'EOF'
import asyncio, http.client, json, sys, time, urllib.parse, uuid
url, key, subscribers, m, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
u = urllib.parse.urlparse(url)
run = "events-" + uuid.uuid4().hex
TERMINAL = (b'"state":"SUCCEEDED"', b'"state":"FAILED"', b'"state":"CANCELLED"', b'"state":"TIMED_OUT"', b'"state":"LOST"')
async def client(ready, finished):
    reader, writer = await asyncio.open_connection(u.hostname, u.port)
    writer.write((f"GET /api/v1/events?label=bench:{run} HTTP/1.0\r\nHost: {u.hostname}\r\nX-API-Key: {key}\r\n"
                  "Accept: text/event-stream\r\n\r\n").encode())
    await writer.drain()
    status = await reader.readline()
    if b" 200 " not in status:
        raise SystemExit(f"status {status!r}")
    while (await reader.readline()) not in (b"\r\n", b"\n", b""):
        pass
    ready.append(1)
    ended, events = set(), 0
    while len(ended) < m:
        line = await reader.readline()
        if not line:
            raise SystemExit("the stream ended early")
        if line.startswith(b"event:job"):
            events += 1
        elif line.startswith(b"data:") and any(t in line for t in TERMINAL):
            ended.add(json.loads(line[5:])["id"])
    finished.append((time.perf_counter(), events))
    writer.close()
def submit():
    conn = http.client.HTTPConnection(u.hostname, u.port)
    job = {"task": "echo", "params": {"message": "hi"}, "labels": {"bench": run}}
    left = m
    while left > 0:
        size = min(n, left)
        conn.request("POST", "/api/v1/jobs/batch", body=json.dumps({"jobs": [job] * size}),
                     headers={"X-API-Key": key, "Content-Type": "application/json"})
        r = conn.getresponse(); r.read()
        if r.status == 429:
            time.sleep(0.2); continue
        if r.status != 202:
            raise SystemExit(f"batch: {r.status}")
        left -= size
async def main():
    ready, finished = [], []
    tasks = [asyncio.create_task(client(ready, finished)) for _ in range(subscribers)]
    while len(ready) < subscribers:
        await asyncio.sleep(0.05)
        for t in tasks:
            if t.done() and t.exception():
                raise t.exception()
    start = time.perf_counter()
    await asyncio.get_running_loop().run_in_executor(None, submit)
    await asyncio.wait_for(asyncio.gather(*tasks), 600)
    elapsed = max(t for t, _ in finished) - start
    delivered = sum(e for _, e in finished)
    print(f"{elapsed:.3f} {delivered} {delivered / elapsed:.0f} {delivered / subscribers / m:.2f}")
asyncio.run(main())
EOF
}
bench_log "3. $m echo tasks followed by 1 event-stream client, then by $s ..."
events_run 1 >/dev/null # warm-up
read -r one_s one_events one_rate one_per_job <<<"$(events_run 1)"
read -r many_s many_events many_rate many_per_job <<<"$(events_run "$s")"

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
echo "| $m jobs followed by $s event-stream clients: job events delivered per second, all clients | $many_rate ($many_events events in $many_s s, $many_per_job per job and client) | $one_rate with 1 client ($one_events events in $one_s s, $one_per_job per job) | $(awk "BEGIN { printf \"%.1f×\", $many_rate / $one_rate }") |"
echo "| $m jobs followed by $s event-stream clients: time until every client saw every end (s) | $many_s | $one_s (1 client) | $(awk "BEGIN { printf \"%.2f×\", $many_s / $one_s }") |"
