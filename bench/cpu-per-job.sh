#!/usr/bin/env bash
# CPU per process job, split by thread kind: where the service's CPU goes in scenario 1.
# Usage: bench/cpu-per-job.sh [JAR] [N] [WARM]   (defaults: the jar packaged with -Paot first, or BENCH_JAR, also for JAR "";
#   2000 jobs; at most 60000 warm-up jobs)
# Starts the service with the production launch of bench/lib.sh (extracted jar, Spring AOT, a JDK AOT cache
# trained first) on a free port with a fresh data dir (pool process at max-concurrency 2), warms it up with
# runs of 2000 jobs until the JIT compilers use at most 5 % of its CPU in one run (at most WARM jobs; WARM 0:
# none), then runs N `/bin/true` jobs with BenchClient's e2e mode and prints the CPU ticks (10 ms) the service
# used meanwhile: per long-lived thread kind, the whole process, and its reaped children (the job processes:
# the command, behind prlimit only without the spawn helper).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
n=${2:-2000}
warm=${3:-60000}
bench_find_jdk
bench_build_jar "${1:-}"
bench_make_work
java=$bench_java
work=$bench_work
key=$bench_key
bench_service_args=(--jobexec.pools.process.max-concurrency=2 --jobexec.pools.process.queue-capacity=200000)
"$bench_java_home/bin/javac" -d "$work/classes" bench/BenchClient.java
bench_prepare_launch
bench_start "$work/data"
# The JVM's own pid (lib.sh starts java itself, not a shell around it): its threads are /proc/$pid/task/*.
pid=$bench_pid
client() { BENCH_URL=$bench_url BENCH_KEY=$key "$java" --enable-native-access=ALL-UNNAMED -cp "$work/classes" BenchClient "$@"; }
[ "$warm" = 0 ] || BENCH_CLIENT_WARM_S=0 bench_warm_up 2000 "$warm" 0.05 client e2e 2000 2 '{"command":["/bin/true"]}'
echo "warm-up: $bench_warm_jobs jobs; the JIT's share of the service's CPU in the last 2000: ${bench_warm_jit} %"
# Thread names lose their numbers and spaces, so that e.g. all "ForkJoinPool-1-worker-N" add up.
snap() {
  for t in "/proc/$pid/task/"*; do
    # utime + stime, counted after the ")" that ends the thread's name, which may hold spaces
    echo "$(sed 's/[-#0-9]*$//; s/^jobexec-job-idl$/jobexec-job/; s/ /_/g' "$t/comm" 2>/dev/null) $(sed 's/.*) //' "$t/stat" 2>/dev/null | awk '{print $12 + $13}')"
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
bench_stop
