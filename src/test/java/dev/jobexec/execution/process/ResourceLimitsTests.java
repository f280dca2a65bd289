package dev.jobexec.execution.process;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import dev.jobexec.os.ProcessTable;
import dev.jobexec.support.Api;
import dev.jobexec.support.JobexecHttpTest;
import dev.jobexec.support.ServiceProcess;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.beans.factory.annotation.Autowired;

import static dev.jobexec.support.Api.map;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every job process starts with the configured rlimits, through the spawn helper or
 * without it; a fork bomb is contained.
 */
@JobexecHttpTest
class ResourceLimitsTests {

	@Autowired
	Api api;

	@TempDir
	Path dir;

	@Test
	void jobsStartWithTheConfiguredLimitsAndWithoutCoreDumps() {
		Map<String, Object> job = api.awaitEnd(api.submitId("""
				{"command": ["/bin/sh", "-c", "ulimit -n; ulimit -c"]}
				"""));
		assertThat(job).containsEntry("state", "SUCCEEDED");
		assertThat(map(job.get("stdout")).get("text")).isEqualTo("512\n0\n");
	}

	@Test
	void withoutTheSpawnHelperJobsStartBehindPrlimitAndStillEndAsAWhole() throws Exception {
		try (ServiceProcess service = ServiceProcess.start(dir, List.of(),
				"--jobexec.process.spawn-helper=" + dir.resolve("no-such-helper"),
				"--jobexec.process.limits.open-files=256", "--jobexec.pools.process.kill-grace=1s")) {
			Api fallback = service.api();
			fallback.client()
				.get()
				.uri("/actuator/health/isolation")
				.exchange()
				.expectStatus()
				.isOk()
				.expectBody()
				.jsonPath("$.details.spawn")
				.value((spawn) -> assertThat((String) spawn).startsWith("posix_spawn, then prlimit"))
				.jsonPath("$.details.layout")
				.isEqualTo("none");
			Map<String, Object> limits = fallback.awaitState(
					fallback.submitId("{\"command\":[\"/bin/sh\",\"-c\",\"ulimit -n; ulimit -c\"]}"), "SUCCEEDED");
			assertThat(map(limits.get("stdout")).get("text")).isEqualTo("256\n0\n");
			assertThat(map(limits.get("usage"))).containsEntry("source", "rusage");

			String family = fallback.submitId("""
					{"command": ["/bin/sh", "-c", "sleep 300 & sleep 300 & wait"], "timeout": "PT1S"}
					""");
			long pgid = Api.pid(fallback.awaitRunning(family));
			Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> ProcessTable.liveMembers(pgid).size() >= 3);
			assertThat(fallback.awaitEnd(family)).containsEntry("state", "TIMED_OUT");
			assertThat(ProcessTable.liveMembers(pgid)).isEmpty();
		}
	}

	@Test
	void aForkBombRunAsAnotherUserIsContainedAndTheServiceStaysResponsive() throws Exception {
		try (ServiceProcess service = ServiceProcess.start(dir, List.of(), "--jobexec.process.run-as=nobody",
				"--jobexec.process.limits.processes=40", "--jobexec.pools.process.kill-grace=1s")) {
			Api limited = service.api();
			Map<String, Object> whoami = limited
				.awaitState(limited.submitId("{\"command\":[\"/bin/sh\",\"-c\",\"id -u; ulimit -p\"]}"), "SUCCEEDED");
			assertThat(((Map<?, ?>) whoami.get("stdout")).get("text")).isEqualTo("65534\n40\n");

			String bomb = limited.submitId("""
					{"command": ["/bin/sh", "-c", "b() { b | b & }; b; sleep 3"], "timeout": "PT4S"}
					""");
			AtomicInteger most = new AtomicInteger();
			Instant until = Instant.now().plusSeconds(3);
			while (Instant.now().isBefore(until)) {
				long started = System.nanoTime();
				assertThat(limited.statusOf("/actuator/health/liveness")).isEqualTo(200);
				assertThat(Duration.ofNanos(System.nanoTime() - started)).as("health answers while the bomb runs")
					.isLessThan(Duration.ofSeconds(2));
				most.accumulateAndGet(ServiceProcess.processesOf(List.of(bomb)).size(), Math::max);
			}
			assertThat(most.get()).as("processes of the bomb at most").isLessThanOrEqualTo(40);
			Map<String, Object> ended = Awaitility.await()
				.atMost(Duration.ofSeconds(30))
				.until(() -> limited.get(bomb), (job) -> !"RUNNING".equals(job.get("state")));
			assertThat(ended.get("state")).isIn("SUCCEEDED", "FAILED", "TIMED_OUT");
			Awaitility.await()
				.atMost(Duration.ofSeconds(20))
				.untilAsserted(() -> assertThat(ServiceProcess.processesOf(List.of(bomb))).isEmpty());
			assertThat(ProcessTable.all()).isNotEmpty();
		}
	}

}
