# shellcheck shell=bash
# The one way the bench scripts find JDK 25, package the jar, launch the service and stop it.
# Source it from a bench script (which has `set -euo pipefail`), then call, in this order:
#
#   bench_find_jdk           JDK 25: $JAVA_HOME when it is a JDK 25, else /usr/lib/jvm/temurin-25-jdk-amd64, else
#                            any /usr/lib/jvm/*25* that is a JDK 25 (the machine's default `java` may be older).
#                            Sets bench_java_home and bench_java.
#   bench_build_jar [JAR]    The jar to measure: JAR when given, else $BENCH_JAR (another build, for before/after
#                            figures in the same conditions), else target/jobexec-0.1.0-SNAPSHOT.jar packaged first
#                            with `./mvnw -B -q -Paot -Dmaven.test.skip=true package` on JDK 25 (Spring AOT compiles
#                            its sources with the JDK that runs Maven; -DskipTests alone still compiles the tests,
#                            which need the client generated from docs/openapi.json that -DskipTests skips, so a
#                            fresh clone fails). Sets bench_jar.
#   bench_make_work          A fresh temp dir (bench_work) and the exit trap: on exit, the service is stopped, the
#                            function bench_on_exit is called if the script defines one, and the dir is removed.
#   bench_prepare_launch     The production launch of the Dockerfile, in bench_work: a copy of the jar (the one in
#                            target/ may be rebuilt meanwhile) extracted with `-Djarmode=tools extract`,
#                            -Dspring.aot.enabled=true when the jar was built with -Paot (and bench_spring_aot_off is
#                            empty), -XX:MaxHeapFreeRatio=20
#                            -XX:MinHeapFreeRatio=5, $BENCH_JVM_OPTS, and a JDK AOT cache (-XX:AOTCache) from one
#                            training run (start, a listing, a thread job, a process job, liveness, SIGTERM), made
#                            once per work dir and jar (called again after bench_jar changed, it prepares the new
#                            jar instead; stop every service first). Sets bench_launch_opts, bench_app_jar, bench_spring_aot (on|off),
#                            bench_aot_cache (the file, empty or absent if the training wrote none), bench_train_s.
#   bench_start DATA_DIR [SPRING_ARG...]
#                            Starts the service on DATA_DIR (a path under bench_work; a new one is a fresh, empty
#                            store) on a free loopback port, with bench_launch_opts and the Spring arguments
#                            --server.address=127.0.0.1, the port, the data dir, API key bench_key,
#                            bench_service_args (the script's own, every start and the training run alike),
#                            $BENCH_SERVICE_ARGS (split at white space; the same for every start, e.g.
#                            --jobexec.pools.process.isolation=off; a property given twice gets both values, so
#                            only for properties the script does not set) and SPRING_ARG; its output goes to
#                            DATA_DIR.log. Waits until /actuator/health/readiness
#                            answers 200 (at most $BENCH_READY_TIMEOUT s, default 300); if the service exits or
#                            the deadline passes, prints the end of its log, stops it and exits 1. Sets bench_pid
#                            (the JVM itself), bench_port, bench_url, bench_service_log and bench_startup_ms
#                            (launch until readiness). One service at a time; call it in the script's own shell,
#                            not in $(...).
#   bench_stop [GRACE]       SIGTERM to the service, SIGKILL if it still runs after GRACE s (default 10).
#
# Several services at once (bench/cluster.sh): after bench_start, bench_detach sets the service aside (its index
# in bench_detached_index) so that bench_start can start another; bench_detached_alive I, bench_signal_detached
# I SIGNAL and bench_stop_detached I [GRACE] act on service I only while it is the same process (pid and start
# time). The exit trap stops the detached services too.
#
# Variables a script may set after sourcing this file and before bench_prepare_launch: bench_key (the API key,
# default below), bench_service_args (an array of Spring arguments), bench_fixed_port (this port rather than a
# free one; the start fails if something answers on it), bench_spring_aot_off (non-empty: no
# -Dspring.aot.enabled=true even for a -Paot jar, to compare the two launches).
# The service listens on 127.0.0.1 only and is only sent requests there; only the JVM started here is ever signalled.

# The bench_* variables set here are read by the scripts that source this file.
# shellcheck disable=SC2034

bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench_key=${bench_key:-bench-key-0123456789abcdef}
bench_fixed_port=${bench_fixed_port:-}
bench_spring_aot_off=${bench_spring_aot_off:-}
if [ -z "${bench_service_args+set}" ]; then bench_service_args=(); fi
bench_java_home=; bench_java=; bench_jar=; bench_work=
bench_launch_opts=(); bench_app_jar=; bench_spring_aot=; bench_aot_cache=; bench_train_s=
bench_pid=; bench_port=; bench_url=; bench_service_log=; bench_startup_ms=
bench__pid_start=; bench__extra_jvm_opts=(); bench__log_shown=; bench__prepared=
# BenchClient's unmeasured warm-up jobs apply only where a script sets them on one command (run.sh's scenario 1):
# inherited, they would run hidden jobs inside every warm-up chunk and every measured window.
unset BENCH_CLIENT_WARM_JOBS
bench_detached_index=; bench__detached_pid=(); bench__detached_start=()
bench_warm_jobs=0; bench_warm_jit=

bench_log() { echo "[$(date +%T)] $*" >&2; }
# bench_wrk THREADS CONNS SECONDS URL [METHOD BODY PREFER]: wrk with bench/wrk-request.lua and the API key;
# prints "rps=.. p50=.. p99=.. secs=.. n=.. s200=.. s202=.. other=.."
bench_wrk() {
  WRK_METHOD=${5:-GET} WRK_BODY=${6:-} WRK_PREFER=${7:-} WRK_KEY=$bench_key \
    wrk -t"$1" -c"$2" -d"$3s" --timeout 30s --latency -s "$bench_root/bench/wrk-request.lua" "$4" | awk '
      function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /m$/) return v * 60000; return v * 1000 }
      $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) } $1 == "Requests/sec:" { rps = $2 }
      $2 == "requests" && $3 == "in" { n = $1; s = $4; sub(",", "", s); secs = ms(s) / 1000 }
      /Socket errors:/ { for (i = 3; i <= NF; i++) { gsub(",", "", $i); if ($i ~ /^[0-9]+$/) errors += $i } }
      $1 == "status" { st[$2] = $3; if ($2 != 200 && $2 != 202) other += $3 }
      END { printf "rps=%.1f p50=%.2f p99=%.2f secs=%.3f n=%d s200=%d s202=%d other=%d\n",
                   rps, p50, p99, secs, n, st[200], st[202], other + errors }'
}
# bench_cpu_ticks [jit]: CPU ticks (10 ms, user + system) the running service has used: the whole JVM, or with
# "jit" its JIT compiler threads only (C1 and C2).
bench_cpu_ticks() {
  if [ "${1:-}" = jit ]; then
    local t name total=0 ticks
    for t in "/proc/$bench_pid/task/"*; do
      name=$(cat "$t/comm" 2>/dev/null) || continue
      case $name in
        # utime and stime, counted after the ")" that ends the name ("C2 CompilerThre" has a space)
        C1\ Compiler*|C2\ Compiler*) ticks=$(sed 's/.*) //' "$t/stat" 2>/dev/null | awk '{ print $12 + $13 }') \
          && total=$((total + ${ticks:-0})) ;;
      esac
    done
    echo "$total"
  else
    awk '{ print $14 + $15 }' "/proc/$bench_pid/stat"
  fi
}
# bench_warm_up CHUNK MAX SHARE COMMAND...: runs COMMAND (which runs CHUNK jobs on the service) again and again
# until the service's JIT compilers used at most SHARE (a fraction, e.g. 0.05) of its CPU during one run, or MAX
# jobs have run. A JVM compiles for a long time under this load on two cores (on 2026-12-02, C2 still took a
# third of the service's CPU after 10,000 jobs and 2 to 4 % after 20,000 to 22,000), so a fixed, short warm-up
# measures the compiler, not the service. Sets bench_warm_jobs (jobs run) and bench_warm_jit (the JIT's share
# of the service's CPU in the last run, in %); logs each run.
bench_warm_up() {
  local chunk=$1 max=$2 share=$3 jit0 all0 jit all
  shift 3
  bench_warm_jobs=0; bench_warm_jit=
  while [ "$bench_warm_jobs" -lt "$max" ]; do
    jit0=$(bench_cpu_ticks jit); all0=$(bench_cpu_ticks)
    "$@" >/dev/null
    jit=$(( $(bench_cpu_ticks jit) - jit0 )); all=$(( $(bench_cpu_ticks) - all0 ))
    bench_warm_jobs=$((bench_warm_jobs + chunk))
    bench_warm_jit=$(awk -v j="$jit" -v a="$all" 'BEGIN { printf "%.1f", (a > 0) ? 100 * j / a : 0 }')
    bench_log "   warm-up: $bench_warm_jobs jobs, the JIT used ${bench_warm_jit} % of the service's CPU in the last $chunk"
    # Compiler threads that exited take their ticks with them (the JVM's own count keeps them): a share
    # below zero is not taken as settled.
    awk -v j="$jit" -v a="$all" -v s="$share" 'BEGIN { exit !(a > 0 && j >= 0 && j <= s * a) }' && break
  done
  return 0  # also after MAX jobs without settling (the loop's last test failed)
}
# The option of run.sh, cluster.sh and store-writes.sh: sets quick to 1 for --quick (shorter runs), else 0.
bench_quick_option() {
  quick=0
  case "${1:-}" in
    --quick) quick=1 ;;
    "") ;;
    *) echo "usage: $0 [--quick]" >&2; exit 2 ;;
  esac
}
bench_die() { echo "$(basename "$0"): $*" >&2; exit 1; }

# ---- 1. JDK 25 ----
bench__is_jdk25() {  # DIR: a JDK (java, javac, jar, jcmd) whose version is 25
  local d=$1 v
  [ -x "$d/bin/java" ] && [ -x "$d/bin/javac" ] && [ -x "$d/bin/jar" ] && [ -x "$d/bin/jcmd" ] || return 1
  if [ -f "$d/release" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\(.*\)"$/\1/p' "$d/release")
  else
    v=$("$d/bin/java" -version 2>&1 | sed -n '1s/.* version "\([^"]*\)".*/\1/p')
  fi
  [[ $v == 25 || $v == 25.* ]]
}
bench_find_jdk() {
  local d
  for d in ${JAVA_HOME:+"$JAVA_HOME"} /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*25*; do
    if bench__is_jdk25 "$d"; then
      bench_java_home=$d
      bench_java=$d/bin/java
      return 0
    fi
  done
  bench_die "no JDK 25: set JAVA_HOME to one, or install one under /usr/lib/jvm (the default java is $(java -version 2>&1 | head -1))"
}

# ---- 2. The jar ----
bench_build_jar() {
  local jar=${1:-${BENCH_JAR:-}}
  [ -n "$bench_java_home" ] || bench_find_jdk
  if [ -n "$jar" ]; then
    [ -f "$jar" ] || bench_die "no such jar: $jar"
  else
    bench_log "packaging the jar: ./mvnw -B -q -Paot -Dmaven.test.skip=true package (JAVA_HOME=$bench_java_home) ..."
    # -Paot compiles the Spring AOT sources with the JDK that runs Maven, so Maven runs on JDK 25 here.
    (cd "$bench_root" && JAVA_HOME=$bench_java_home ./mvnw -B -q -Paot -Dmaven.test.skip=true package) >&2
    jar=$bench_root/target/jobexec-0.1.0-SNAPSHOT.jar
  fi
  bench_jar=$jar
}

# ---- the work dir and the exit trap ----
bench_make_work() {
  bench_work=$(mktemp -d -t jobexec-bench.XXXXXX)
  trap bench__on_exit EXIT
  trap 'exit 129' HUP
  trap 'exit 130' INT
  trap 'exit 143' TERM
}
bench__on_exit() {
  local rc=$?
  set +e
  case $rc in
    0) ;;
    129 | 130 | 143) echo "$(basename "$0") interrupted; stopping the service" >&2 ;;
    *)
      if [ -z "$bench__log_shown" ] && [ -n "$bench_service_log" ] && [ -f "$bench_service_log" ]; then
        echo "$(basename "$0") failed (exit $rc); the end of the service log ($bench_service_log):" >&2
        tail -30 "$bench_service_log" >&2
      fi ;;
  esac
  if declare -F bench_on_exit >/dev/null; then bench_on_exit; fi
  bench_stop 5
  local i
  for i in "${!bench__detached_pid[@]}"; do bench_stop_detached "$i" 5; done
  [ -z "$bench_work" ] || rm -rf "$bench_work"
  exit "$rc"
}

# ---- 3. The production launch (see the Dockerfile) ----
bench_prepare_launch() {
  [ -n "$bench_jar" ] || bench_build_jar ""
  # Prepared once per work dir and jar: called again with another bench_jar (no service running), it prepares
  # that jar in place of the first.
  [ "$bench__prepared" != "$bench_jar" ] || return 0
  [ -n "$bench_work" ] || bench_make_work
  rm -rf "$bench_work/app"
  # Run a copy: the jar in target/ may be rebuilt while this runs.
  cp "$bench_jar" "$bench_work/jobexec.jar"
  "$bench_java" -Djarmode=tools -jar "$bench_work/jobexec.jar" extract --destination "$bench_work/app" \
    >"$bench_work/extract.log" 2>&1 || { cat "$bench_work/extract.log" >&2; exit 1; }
  # The extracted jar, plus the options in bench_launch_opts. The training run and the measured starts must
  # have the same options: a JVM started with other module options (--enable-native-access, --add-opens, ...)
  # than the training run rejects the cache. The heap free ratios are the Dockerfile's too: memory is given
  # back after a full collection.
  bench_app_jar=$bench_work/app/jobexec.jar
  read -r -a bench_launch_opts <<<"--enable-native-access=ALL-UNNAMED -XX:MaxHeapFreeRatio=20 -XX:MinHeapFreeRatio=5 ${BENCH_JVM_OPTS:-}"
  # Spring AOT: the jar was built with -Paot if it holds the initializer Spring AOT generates for the main class.
  local start_class app_classes
  start_class=$(unzip -p "$bench_work/jobexec.jar" META-INF/MANIFEST.MF | tr -d '\r' | sed -n 's/^Start-Class: //p')
  app_classes=$("$bench_java_home/bin/jar" tf "$bench_app_jar")
  if [ -n "$bench_spring_aot_off" ]; then
    bench_spring_aot=off
    bench_log "Spring AOT off (bench_spring_aot_off)"
  elif [ -n "$start_class" ] && grep -qxF "${start_class//.//}__ApplicationContextInitializer.class" <<<"$app_classes"; then
    bench_launch_opts+=(-Dspring.aot.enabled=true)
    bench_spring_aot=on
  else
    bench_spring_aot=off
    bench_log "Spring AOT off: $bench_jar was built without -Paot"
  fi
  # One training run, like the Dockerfile's: start, the first requests a client makes, SIGTERM. The JVM
  # writes the cache as it exits (it assembles it in a child JVM, which the exit waits for).
  bench_aot_cache=$bench_work/app/jobexec.aot
  bench_log "training the JDK AOT cache (Spring AOT $bench_spring_aot) ..."
  local train_start body
  train_start=$(date +%s%N)
  bench__extra_jvm_opts=(-XX:AOTCacheOutput="$bench_aot_cache")
  bench_start "$bench_work/train"
  bench__extra_jvm_opts=()
  { curl -s -o /dev/null -H "X-API-Key: $bench_key" "$bench_url/api/v1/jobs"
    for body in '{"task":"echo","params":{"message":"hi"}}' '{"command":["/bin/true"]}'; do
      curl -s -o /dev/null -H "X-API-Key: $bench_key" -H 'Content-Type: application/json' -H 'Prefer: wait=10' \
        -d "$body" "$bench_url/api/v1/jobs"
    done
    curl -s -o /dev/null "$bench_url/actuator/health/liveness"; } || true
  bench_stop 120
  bench_train_s=$(awk "BEGIN { printf \"%.0f\", ($(date +%s%N) - $train_start) / 1e9 }")
  if [ -s "$bench_aot_cache" ]; then
    bench_launch_opts+=(-XX:AOTCache="$bench_aot_cache")
    bench_log "AOT cache trained in ${bench_train_s} s"
  else
    echo "the JDK AOT cache training run wrote no cache; the service starts without it. The end of its log:" >&2
    tail -20 "$bench_work/train.log" >&2
  fi
  rm -rf "$bench_work/train"
  bench__prepared=$bench_jar
}

# ---- 4. A free loopback port ----
# Below the kernel's ephemeral range (32768 and up by default), so that no outgoing connection holds it,
# and neither in use by any socket (ss) nor accepting connections on 127.0.0.1.
bench_free_port() {
  local p used=
  if command -v ss >/dev/null; then used=$(ss -Htan | awk '{ sub(".*:", "", $4); print $4 }' | sort -u); fi
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 12768))
    grep -qx "$p" <<<"$used" && continue
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
    echo "$p"
    return 0
  done
  echo "no free port found" >&2
  return 1
}

# ---- 5. Start, and wait for readiness ----
# Polled every 50 ms with bash's /dev/tcp rather than curl, so as not to take CPU from the start-up.
bench_ready() {  # PORT
  local status=
  { printf 'GET /actuator/health/readiness HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
    read -r -t 2 _ status _ <&3; } 2>/dev/null 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  [ "$status" = 200 ]
}
# Whether the service started is still running: same pid and same start time (a pid can be reused), not a zombie.
bench__alive() {
  local line fields
  [ -n "$bench_pid" ] && line=$(cat "/proc/$bench_pid/stat" 2>/dev/null) || return 1
  read -r -a fields <<<"${line##*) }"  # from field 3, the state; field 22 is the start time
  [ "${fields[0]}" != Z ] && [ "${fields[19]}" = "$bench__pid_start" ]
}
bench_start() {
  local data=$1 start deadline reason='' extra_args=()
  shift
  read -r -a extra_args <<<"${BENCH_SERVICE_ARGS:-}"
  [ -z "$bench_pid" ] || bench_die "bench_start: the service already runs (pid $bench_pid)"
  [ -n "$bench_app_jar" ] || bench_die "bench_start: call bench_prepare_launch first"
  if [ -n "$bench_fixed_port" ]; then
    bench_port=$bench_fixed_port
    ! (exec 3<>"/dev/tcp/127.0.0.1/$bench_port") 2>/dev/null || bench_die "port $bench_port is in use"
  else
    bench_port=$(bench_free_port)
  fi
  bench_url=http://127.0.0.1:$bench_port
  bench_service_log=$data.log
  bench__log_shown=
  start=$(date +%s%N)
  deadline=$((start + ${BENCH_READY_TIMEOUT:-300} * 1000000000))
  "$bench_java" ${bench_launch_opts[@]+"${bench_launch_opts[@]}"} ${bench__extra_jvm_opts[@]+"${bench__extra_jvm_opts[@]}"} \
    -jar "$bench_app_jar" --server.address=127.0.0.1 --server.port="$bench_port" --jobexec.data-dir="$data" \
    --jobexec.security.api-keys="$bench_key" ${bench_service_args[@]+"${bench_service_args[@]}"} \
    ${extra_args[@]+"${extra_args[@]}"} "$@" \
    >>"$bench_service_log" 2>&1 &
  bench_pid=$!
  # The start time of that pid, so that bench_stop never signals another process that got the pid later.
  local line fields
  bench__pid_start=
  if line=$(cat "/proc/$bench_pid/stat" 2>/dev/null); then
    read -r -a fields <<<"${line##*) }"; bench__pid_start=${fields[19]}
  fi
  while :; do
    if bench_ready "$bench_port"; then
      bench_startup_ms=$(( ($(date +%s%N) - start) / 1000000 ))
      # bench_pid is the JVM itself (per-thread CPU and jcmd read it), not a shell around it.
      [ "$(readlink -f "/proc/$bench_pid/exe")" = "$(readlink -f "$bench_java")" ] \
        || bench_die "bench_start: pid $bench_pid is not $bench_java"
      return 0
    fi
    bench__alive || { reason="the service exited"; break; }
    [ "$(date +%s%N)" -lt "$deadline" ] || { reason="the service was not ready within ${BENCH_READY_TIMEOUT:-300} s"; break; }
    sleep 0.05
  done
  echo "$reason (readiness of $bench_url never answered 200); the end of its log ($bench_service_log):" >&2
  tail -50 "$bench_service_log" >&2
  bench__log_shown=1
  bench_stop 5
  exit 1
}

# ---- 6. Stop ----
bench_stop() {  # [GRACE]: SIGTERM, then SIGKILL after GRACE seconds (the service's crash guard then kills its jobs)
  local grace=${1:-10} deadline
  [ -n "$bench_pid" ] || return 0
  if bench__alive; then
    kill -TERM "$bench_pid" 2>/dev/null || true
    deadline=$(( $(date +%s%N) + grace * 1000000000 ))
    while bench__alive && [ "$(date +%s%N)" -lt "$deadline" ]; do sleep 0.1; done
    if bench__alive; then
      bench_log "the service (pid $bench_pid) still runs ${grace} s after SIGTERM: SIGKILL"
      kill -KILL "$bench_pid" 2>/dev/null || true
    fi
  fi
  wait "$bench_pid" 2>/dev/null || true
  bench_pid=
}

# ---- 7. Several services at once ----
bench_detach() {  # sets the running service aside; bench_detached_index is its index
  [ -n "$bench_pid" ] || bench_die "bench_detach: no service runs"
  bench_detached_index=${#bench__detached_pid[@]}
  bench__detached_pid+=("$bench_pid")
  bench__detached_start+=("$bench__pid_start")
  bench_pid=
}
# Runs a bench_* function on detached service I (as if it were the current one), the current one kept aside.
bench__on_detached() {  # I FUNCTION [ARG...]
  local i=$1 f=$2 rc=0 saved_pid=$bench_pid saved_start=$bench__pid_start
  shift 2
  bench_pid=${bench__detached_pid[$i]:-}
  bench__pid_start=${bench__detached_start[$i]:-}
  "$f" "$@" || rc=$?
  bench__detached_pid[i]=$bench_pid
  bench_pid=$saved_pid
  bench__pid_start=$saved_start
  return "$rc"
}
bench__signal() { bench__alive && kill "-$1" "$bench_pid" 2>/dev/null; }
bench_detached_alive() { bench__on_detached "$1" bench__alive; }
bench_signal_detached() { bench__on_detached "$1" bench__signal "$2"; }
bench_stop_detached() { bench__on_detached "$1" bench_stop "${2:-10}"; }
