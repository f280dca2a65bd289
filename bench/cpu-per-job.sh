#!/usr/bin/env bash
# CPU per process job, split by thread kind: where the service's CPU goes in scenario 1.
# Usage: bench/cpu-per-job.sh [JAR] [N] [WARM]   (defaults: the packaged jar, 2000 jobs, 1500 warm-up jobs)
# Starts the jar on a free port with a fresh data dir (pool process at max-concurrency 2), warms it up with
# WARM jobs, then runs N `/bin/true` jobs with BenchClient's e2e mode and prints the CPU ticks (10 ms) the
# service used meanwhile: per long-lived thread kind, the whole process (which also holds the job watcher
# threads, which come and go), and its reaped children (the job processes: prlimit and the command).
set -euo pipefail
cd "$(dirname "$0")/.."
java_home=$(ls -d /usr/lib/jvm/temurin-25* /usr/lib/jvm/*-25-* 2>/dev/null | head -1)
java=$java_home/bin/java
jar=${1:-target/jobexec-0.1.0-SNAPSHOT.jar}
n=${2:-2000}
warm=${3:-1500}
[ -f "$jar" ] || ./mvnw -B -q -DskipTests package
work=$(mktemp -d)
key=bench-key-0123456789abcdef
port=$(comm -23 <(seq 20000 29999) <(ss -Htan | awk '{print $4}' | sed 's/.*://' | sort -u) | shuf -n 1)
"$java_home/bin/javac" -d "$work/classes" bench/BenchClient.java
"$java" -jar "$jar" --server.port="$port" --server.address=127.0.0.1 --jobexec.data-dir="$work/data" \
  --jobexec.security.api-keys=$key --jobexec.pools.process.max-concurrency=2 \
  --jobexec.pools.process.queue-capacity=200000 >"$work/service.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
until curl -sf "127.0.0.1:$port/actuator/health/readiness" >/dev/null; do
  kill -0 $pid 2>/dev/null || { tail -20 "$work/service.log" >&2; exit 1; }
  sleep 0.1
done
client() { BENCH_URL=http://127.0.0.1:$port BENCH_KEY=$key "$java" --enable-native-access=ALL-UNNAMED -cp "$work/classes" BenchClient "$@"; }
client e2e "$warm" 2 '{"command":["/bin/true"]}' >/dev/null
# Thread names lose their numbers and spaces, so that e.g. all "ForkJoinPool-1-worker-N" add up.
snap() {
  for t in /proc/$pid/task/*; do
    echo "$(sed 's/[-#0-9]*$//; s/ /_/g' "$t/comm" 2>/dev/null) $(awk '{print $14 + $15}' "$t/stat" 2>/dev/null)"
  done | awk 'NF == 2 { a[$1] += $2 } END { for (k in a) print k, a[k] }'
  awk '{ print "(whole_process)", $14 + $15; print "(reaped_children)", $16 + $17 }' "/proc/$pid/stat"
}
snap | sort >"$work/before"
read -r _ u1 n1 s1 _ </proc/stat
result=$(client e2e "$n" 2 '{"command":["/bin/true"]}')
snap | sort >"$work/after"
read -r _ u2 n2 s2 _ </proc/stat
echo "$result"
echo "machine: $(( (u2 + n2 + s2) - (u1 + n1 + s1) )) ticks busy on $(nproc) CPUs; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| where | ticks | ms CPU per job |"
echo "|---|---|---|"
join -a2 -e0 -o 0,1.2,2.2 "$work/before" "$work/after" | awk -v n="$n" '{ d = $3 - $2; if (d > 0) printf "| %s | %d | %.2f |\n", $1, d, d * 10 / n }' \
  | sort -t'|' -k3 -rn | head -12
