package dev.jobexec.reaper;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.jobexec.os.ProcessTable;
import dev.jobexec.support.Api;
import dev.jobexec.support.JobexecHttpTest;
import dev.jobexec.support.ServiceProcess;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;

import static dev.jobexec.support.Api.pid;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The service as child subreaper: zombies reaped, orphans of ended jobs terminated, all
 * seen in /proc.
 */
@JobexecHttpTest
class ReaperTests {

	private static final long SELF = ProcessHandle.current().pid();

	@Autowired
	Api api;

	@Autowired
	Reaper reaper;

	@Test
	void serviceIsAChildSubreaper() {
		assertThat(reaper.snapshot().subreaper()).isTrue();
		assertThat(reaper.snapshot().crashGuard()).isTrue();
		api.client()
			.get()
			.uri("/actuator/health/reaper")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody()
			.jsonPath("$.status")
			.isEqualTo("UP")
			.jsonPath("$.details.subreaper")
			.isEqualTo(true)
			.jsonPath("$.details.zombiesReaped")
			.isNumber()
			.jsonPath("$.details.orphansKilled")
			.isNumber()
			.jsonPath("$.details.liveProcesses")
			.isNumber()
			.jsonPath("$.details.lastScan")
			.isNotEmpty();
	}

	@Test
	void thirtyJobsThatLeaveAChildBehindLeaveNoZombie() {
		long reapedBefore = reaper.zombiesReaped();
		List<String> ids = new java.util.ArrayList<>();
		for (int i = 0; i < 30; i++) {
			ids.add(api.submitId("{\"command\":[\"/bin/sh\",\"-c\",\"sleep 0.2 & exit 0\"]}"));
		}
		ids.forEach((id) -> assertThat(api.awaitEnd(id)).containsEntry("state", "SUCCEEDED"));
		Awaitility.await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
			assertThat(zombieChildren()).isEmpty();
			assertThat(reaper.zombiesReaped() - reapedBefore).isGreaterThanOrEqualTo(30);
		});
		api.client()
			.get()
			.uri("/actuator/metrics/jobexec.reaper.zombies.reaped")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody()
			.jsonPath("$.measurements[0].value")
			.value((value) -> assertThat(((Number) value).longValue()).isGreaterThanOrEqualTo(30));
	}

	@Test
	void daemonizingGrandchildIsReparentedToTheServiceAndKilledWhenItsJobEnds() {
		long killedBefore = reaper.orphansKilled();
		// The grandchild leaves the job's session and group with setsid, ignores SIGTERM,
		// and its parent exits at once: without a cgroup (the pair pool), only the
		// subreaper and the reaper's SIGKILL can catch it.
		String id = api.submitId(
				"""
						{"pool": "pair", "command": ["/bin/sh", "-c", "(setsid sh -c 'trap \\"\\" TERM; sleep 300; echo' &); sleep 300"]}
						""");
		long pgid = pid(api.awaitRunning(id));
		ProcessTable.Entry escaped = Awaitility.await()
			.atMost(Duration.ofSeconds(10))
			.until(() -> ServiceProcess.processesOf(List.of(id))
				.stream()
				.filter((entry) -> entry.pgid() != pgid && entry.ppid() == SELF)
				.findFirst(), java.util.Optional::isPresent)
			.orElseThrow();
		assertThat(ProcessTable.read(escaped.pid()).orElseThrow().ppid()).as("re-parented to the service")
			.isEqualTo(SELF);
		assertThat(reaper.liveProcesses()).isGreaterThanOrEqualTo(3);

		// While its job runs, the escaped process is left alone.
		assertThat(reaper.orphansKilled()).isEqualTo(killedBefore);
		api.client().delete().uri("/api/v1/jobs/{id}", id).exchange().expectStatus().is2xxSuccessful();
		assertThat(api.awaitEnd(id)).containsEntry("state", "CANCELLED");

		Awaitility.await()
			.atMost(Duration.ofSeconds(20))
			.until(() -> ServiceProcess.processesOf(List.of(id)).isEmpty());
		assertThat(reaper.orphansKilled() - killedBefore).isGreaterThanOrEqualTo(1);
	}

	@Test
	void jobpoolsEndpointShowsTheReaper() {
		Map<String, Object> body = api.client()
			.get()
			.uri("/actuator/jobpools")
			.exchange()
			.expectStatus()
			.isOk()
			.returnResult(Api.JSON)
			.getResponseBody();
		assertThat(Api.map(body.get("reaper"))).containsEntry("subreaper", true)
			.containsKeys("lastScan", "zombiesReaped", "orphansKilled", "liveProcesses", "interval");
	}

	private static List<ProcessTable.Entry> zombieChildren() {
		return ProcessTable.all().stream().filter((entry) -> entry.ppid() == SELF && entry.isZombie()).toList();
	}

}
