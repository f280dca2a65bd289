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

# Now the sources; tests are run by CI (they spawn real processes and need /proc), not here.
COPY src/ src/
RUN ./mvnw -B -DskipTests package \
 && cp target/jobexec-*.jar /workspace/jobexec.jar

# ---------------------------------------------------------------------------------------------
# Runtime stage: a JRE only, smaller and with no compiler in the running image.
# ---------------------------------------------------------------------------------------------
FROM eclipse-temurin:25-jre

# util-linux: `setsid` (jobexec.process.setsid, /usr/bin/setsid) puts every job in its own session
#   and process group, so a timeout or cancel can kill the whole tree. It is usually already in
#   the Ubuntu-based temurin images; installing it explicitly keeps that from being an accident.
# curl: the HEALTHCHECK below.
# Lists are removed in the same layer so they never reach the image.
RUN apt-get update \
 && apt-get install -y --no-install-recommends util-linux curl \
 && rm -rf /var/lib/apt/lists/*

# A fixed, non-root uid (10001, clear of the image's own users) so that volume ownership is
# predictable and jobs — which run as this user — cannot touch the system.
# The data directory holds job working directories (<data-dir>/work/<pool>) and, later, the
# embedded store and spilled output: mount a volume here to keep it across containers.
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
COPY --from=build /workspace/jobexec.jar /app/jobexec.jar

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
# --enable-native-access: the FFM calls (kill, waitpid, prctl) without JDK 25's warning.
# -XX:MaxRAMPercentage=75: size the heap from the container's memory limit, leaving the rest for
#   metaspace, thread stacks and direct buffers (job processes are charged to the same cgroup,
#   so set the limit with them in mind).
ENTRYPOINT ["java", "--enable-native-access=ALL-UNNAMED", "-XX:MaxRAMPercentage=75", "-jar", "/app/jobexec.jar"]
