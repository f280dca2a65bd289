# jobexec container image.
#
#   docker build -t jobexec .
#   docker run --rm -p 8080:8080 --stop-timeout 45 -v jobexec-data:/var/lib/jobexec jobexec
#
# --stop-timeout: on `docker stop` the service drains non-daemon jobs for up to
# jobexec.shutdown.drain-timeout (30s), then terminates them down the kill ladder. Docker's default
# 10s would SIGKILL it halfway through, so give it drain-timeout plus a margin (in Kubernetes:
# terminationGracePeriodSeconds).

# ---------------------------------------------------------------------------------------------
# Build stage: a full JDK 25. The pom selects a JDK 25 toolchain through maven-toolchains-plugin
# `select-jdk-toolchain` discovery; here JAVA_HOME is the image's JDK 25, so discovery finds it and
# no toolchains.xml is needed.
# ---------------------------------------------------------------------------------------------
FROM eclipse-temurin:25-jdk AS build
WORKDIR /workspace

# The wrapper and the pom first, on their own: the dependency layer below is rebuilt only when
# one of them changes, not on every source edit.
COPY mvnw ./
COPY .mvn/ .mvn/
COPY pom.xml ./
# Downloads Maven itself (the wrapper is the only-script kind) plus the project's plugins and
# dependencies into this layer. Anything go-offline misses is fetched by `package` below.
RUN chmod +x mvnw && ./mvnw -B dependency:go-offline

# Now the sources; tests are run by CI (they spawn real processes and need /proc), not here:
# -Dmaven.test.skip=true compiles none and generates no test client (docs/ is not copied).
# -Paot: Spring AOT processing (the generated bean definitions go into the jar; the service uses
# them with -Dspring.aot.enabled=true). Then the jar is extracted (jarmode tools): the JDK AOT cache
# below only works with the extracted layout, jobexec.jar plus lib/.
# The build compiles the spawn helper (src/main/c/jobexec-spawn.c) into the jar with the C
# compiler, as a shared library the service loads; the runtime stage needs no compiler, only the
# C library (glibc) both stages' Ubuntu base has.
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/*
COPY src/ src/
RUN ./mvnw -B -Paot -Dmaven.test.skip=true package \
 && cp target/jobexec-*.jar /workspace/jobexec.jar \
 && java -Djarmode=tools -jar /workspace/jobexec.jar extract --destination /workspace/app

# ---------------------------------------------------------------------------------------------
# Runtime stage: a JRE only, smaller and with no compiler in the running image.
# ---------------------------------------------------------------------------------------------
FROM eclipse-temurin:25-jre

# util-linux: only used when the spawn helper in the jar cannot be loaded (the service logs why): then
#   `prlimit` (jobexec.process.prlimit) applies the rlimits every job starts with, and `setpriv`
#   (jobexec.process.setpriv) drops to jobexec.process.run-as. util-linux is usually already in the
#   Ubuntu-based temurin images; installing it explicitly keeps that fallback from being an accident.
# curl: the HEALTHCHECK below.
# Lists are removed in the same layer so they never reach the image.
RUN apt-get update \
 && apt-get install -y --no-install-recommends util-linux curl \
 && rm -rf /var/lib/apt/lists/*

# A fixed, non-root uid (10001, clear of the image's own users) so that volume ownership is
# predictable and jobs — which run as this user — cannot touch the system.
# The data directory holds the embedded job store (<data-dir>/store: its file and journal), the job working
# directories (<data-dir>/work/<pool>) and the spawn helper the service copies out of its jar at
# start (<data-dir>/bin): mount a volume here to keep it across containers.
# Per-job cgroups: as this user, with the read-only /sys/fs/cgroup a container gets by default, the
# service finds no writable cgroup and runs jobs without one each (it says so in the log and in
# /actuator/health/isolation); the container's own cgroup still bounds them all. For a cgroup per
# job, the container needs its own cgroup namespace with a writable cgroup2 mount delegated to
# this user (README, Isolation).
RUN groupadd --system --gid 10001 jobexec \
 && useradd --system --uid 10001 --gid jobexec --home-dir /var/lib/jobexec --no-create-home \
      --shell /usr/sbin/nologin jobexec \
 && mkdir -p /var/lib/jobexec \
 && chown jobexec:jobexec /var/lib/jobexec

# Binds jobexec.data-dir (Spring Boot relaxed binding) instead of the default ./data, which would
# land in the root-owned /app.
ENV JOBEXEC_DATA_DIR=/var/lib/jobexec

WORKDIR /app
# Owned by root and read-only for the service: it has no reason to rewrite its own code.
# The libraries first, in their own layer: they change less often than the application's classes.
COPY --from=build /workspace/app/lib/ /app/lib/
COPY --from=build /workspace/app/jobexec.jar /app/jobexec.jar

# JDK AOT cache (JEP 483/514/515), trained here, with this image's JVM: classes of the JDK, Spring and
# the service already loaded and linked, and method profiles, read at start-up instead of worked out
# again (readiness in about a third of the time and CPU). The training run is the production launch
# (the same options as the ENTRYPOINT) with -XX:AOTCacheOutput: it starts the service on a scratch
# data directory, sends the first requests a client sends (readiness, a listing, a thread job and a
# process job), and stops it with SIGTERM; the JVM writes /app/jobexec.aot as it exits. It runs as
# root because the image's user does not exist yet; nothing of it stays but the cache.
# The cache belongs to this jar and this JVM: rebuilding the image retrains it. A JVM that cannot
# use it (other module options, or a heap large enough to turn compressed oops off) says so in
# `[error][aot]` lines in its log and starts without it, only slower.
RUN java --enable-native-access=ALL-UNNAMED -XX:MaxRAMPercentage=75 -XX:MaxHeapFreeRatio=20 \
      -XX:MinHeapFreeRatio=5 -Dspring.aot.enabled=true \
      -XX:AOTCacheOutput=/app/jobexec.aot -jar /app/jobexec.jar \
      --server.address=127.0.0.1 --server.port=8080 --jobexec.data-dir=/tmp/aot-training \
      --jobexec.security.api-keys=aot-training-0123456789abcdef & \
    pid=$! \
 && for i in $(seq 1 600); do \
      curl -fs -o /dev/null http://127.0.0.1:8080/actuator/health/readiness && break; sleep 0.2; \
    done \
 && curl -fsS -o /dev/null -H 'X-API-Key: aot-training-0123456789abcdef' \
      http://127.0.0.1:8080/api/v1/jobs \
 && for body in '{"task":"echo","params":{"message":"hi"}}' '{"command":["/bin/true"]}'; do \
      curl -fsS -o /dev/null -H 'X-API-Key: aot-training-0123456789abcdef' \
        -H 'Content-Type: application/json' -H 'Prefer: wait=10' -d "$body" \
        http://127.0.0.1:8080/api/v1/jobs || exit 1; \
    done \
 && curl -fsS -o /dev/null http://127.0.0.1:8080/actuator/health/liveness \
 && kill -TERM "$pid" && { wait "$pid" || true; } \
 && rm -rf /tmp/aot-training \
 && test -s /app/jobexec.aot

EXPOSE 8080

USER jobexec

# Liveness, not readiness: readiness turns OUT_OF_SERVICE while the service drains on shutdown,
# and an orchestrator acting on "unhealthy" then would kill the jobs being drained. Health
# endpoints need no API key. If you change server.port, change the URL too.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD curl -fsS http://localhost:8080/actuator/health/liveness || exit 1

# Exec form: the JVM is PID 1 and receives `docker stop`'s SIGTERM itself (a shell in between
# would swallow it), so graceful shutdown and the drain run.
# No tini/dumb-init: the service makes itself a child subreaper (prctl PR_SET_CHILD_SUBREAPER) and
# reaps the zombies and orphans of its jobs, which is exactly what an init as PID 1 must do.
# --enable-native-access: the FFM calls (the spawn helper library, posix_spawn, poll, kill, wait4, prctl)
#   without JDK 25's warning.
# -XX:MaxRAMPercentage=75: size the heap from the container's memory limit, leaving the rest for
#   metaspace, thread stacks and direct buffers (job processes are charged to the same cgroup,
#   so set the limit with them in mind).
# -XX:MaxHeapFreeRatio=20 -XX:MinHeapFreeRatio=5: after a full collection, give back to the system what
#   is more than a fifth free, instead of keeping up to 70 % of the heap committed. A queue of 100,000
#   jobs that drains then costs about 1.5 KB of RSS per job while it exists, not 3 KB (BENCHMARKS.md).
# -Dspring.aot.enabled=true: the bean definitions Spring AOT generated at build time (-Paot) instead
#   of the configuration classes parsed and conditions evaluated at start-up.
# -XX:AOTCache: the cache trained above. Keep the options here and in the training run the same:
#   given other module options (--enable-native-access, --add-opens, ...) the JVM rejects the cache
#   (`[error][aot]` lines in the log) and starts without it. For readiness in about 2 s rather than
#   about 2.7 s on 2 cores, at the cost of the C2 JIT (slower CPU-bound code, e.g. thread tasks),
#   run with JAVA_TOOL_OPTIONS=-XX:TieredStopAtLevel=1: the cache stays usable.
ENTRYPOINT ["java", "--enable-native-access=ALL-UNNAMED", "-XX:MaxRAMPercentage=75", \
            "-XX:MaxHeapFreeRatio=20", "-XX:MinHeapFreeRatio=5", \
            "-Dspring.aot.enabled=true", "-XX:AOTCache=/app/jobexec.aot", "-jar", "/app/jobexec.jar"]
