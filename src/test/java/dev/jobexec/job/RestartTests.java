package dev.jobexec.job;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import dev.jobexec.os.ProcessControl;
import dev.jobexec.os.ProcessTable;
import dev.jobexec.support.ServiceProcess;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A service stopped (SIGKILL or SIGTERM) and a new one started on the same data
 * directory: what the new one reports through the API is what the store kept.
 */
class RestartTests {

	private static final String[] NARROW = { "--jobexec.pools.narrow.type=process",
			"--jobexec.pools.narrow.max-concurrency=1", "--jobexec.pools.narrow.queue-capacity=10",
			"--jobexec.pools.process.max-concurrency=4", "--jobexec.pools.process.kill-grace=1s",
			"--jobexec.shutdown.drain-timeout=5s" };

	@TempDir
	Path dir;

	@Test
	void afterACrashRunningJobsAreLostTheirProcessesKilledAndQueuedJobsRunInOrder() throws Exception {
		String finished;
		String running;
		String blocker;
		List<String> queued;
		List<ProcessTable.Entry> leftovers;
		try (ServiceProcess first = ServiceProcess.start(dir, List.of(), NARROW)) {
			finished = first.submit("{\"command\":[\"/bin/echo\",\"kept\"]}");
			first.awaitState(finished, "SUCCEEDED");
			running = first.submit("{\"command\":[\"/bin/sh\",\"-c\",\"sleep 300 & sleep 300 & wait\"]}");
			blocker = first.submit("{\"pool\":\"narrow\",\"command\":[\"/bin/sleep\",\"300\"]}");
			first.awaitState(running, "RUNNING");
			first.awaitState(blocker, "RUNNING");
			queued = List.of(first.submit("{\"pool\":\"narrow\",\"command\":[\"/bin/echo\",\"1\"]}"),
					first.submit("{\"pool\":\"narrow\",\"command\":[\"/bin/echo\",\"2\"],\"daemon\":true}"),
					first.submit("{\"pool\":\"narrow\",\"command\":[\"/bin/echo\",\"3\"]}"));
			Awaitility.await()
				.atMost(Duration.ofSeconds(10))
				.until(() -> ServiceProcess.processesOf(List.of(running, blocker)).size() >= 4);
			leftovers = ServiceProcess.processesOf(List.of(running, blocker));

			// Without its crash guard, the dead service leaves its job processes behind:
			// the next
			// start must find and kill them, by pid and start time and by instance
			// marker.
			ProcessControl.signalProcess(first.crashGuard().orElseThrow().pid(), ProcessControl.SIGKILL);
			first.sigkill();
			first.awaitExit(Duration.ofSeconds(30));
		}
		assertThat(alive(leftovers)).as("left behind by the crash").isNotEmpty();

		try (ServiceProcess second = ServiceProcess.start(dir, List.of(), NARROW)) {
			for (String id : List.of(running, blocker)) {
				Map<String, Object> job = second.job(id);
				assertThat(job).containsEntry("state", "LOST").containsEntry("terminationReason", "SERVICE_LOST");
				assertThat(job.get("finishedAt")).isNotNull();
			}
			Awaitility.await()
				.atMost(Duration.ofSeconds(10))
				.untilAsserted(() -> assertThat(alive(leftovers)).isEmpty());

			List<Map<String, Object>> ran = queued.stream().map((id) -> second.awaitState(id, "SUCCEEDED")).toList();
			assertThat(ran).extracting((job) -> Instant.parse((String) job.get("startedAt"))).isSorted();
			assertThat(ran).extracting((job) -> (Object) ((Map<?, ?>) job.get("stdout")).get("text"))
				.containsExactly("1\n", "2\n", "3\n");

			Map<String, Object> kept = second.job(finished);
			assertThat(kept).containsEntry("state", "SUCCEEDED").containsEntry("exitCode", 0);
			assertThat(((Map<?, ?>) kept.get("stdout")).get("text")).isEqualTo("kept\n");
		}
	}

	@Test
	void whatWasAnsweredSurvivesASigkillRightAfterTheAnswer() throws Exception {
		String running;
		String queued;
		try (ServiceProcess first = ServiceProcess.start(dir, List.of(), NARROW)) {
			String blocker = first.submit("{\"pool\":\"narrow\",\"command\":[\"/bin/sleep\",\"300\"]}");
			running = first.submit("{\"command\":[\"/bin/sleep\",\"300\"]}");
			first.awaitState(blocker, "RUNNING");
			first.awaitState(running, "RUNNING");
			queued = first.submit("{\"pool\":\"narrow\",\"command\":[\"/bin/echo\",\"queued\"]}");
			first.sigkill();
			first.awaitExit(Duration.ofSeconds(30));
		}
		try (ServiceProcess second = ServiceProcess.start(dir, List.of(), NARROW)) {
			assertThat(second.job(running)).as("reported RUNNING before the crash").containsEntry("state", "LOST");
			assertThat(second.awaitState(queued, "SUCCEEDED")).as("answered 202 before the crash").isNotNull();
		}
	}

	@Test
	void afterAGracefulStopDaemonJobsStayCancelledAndQueuedNonDaemonJobsRun() throws Exception {
		String daemon;
		String drained;
		String queuedDaemon;
		String queued;
		try (ServiceProcess first = ServiceProcess.start(dir, List.of(), NARROW)) {
			daemon = first.submit("{\"command\":[\"/bin/sleep\",\"300\"],\"daemon\":true}");
			drained = first.submit("{\"pool\":\"narrow\",\"command\":[\"/bin/sleep\",\"1\"]}");
			first.awaitState(daemon, "RUNNING");
			first.awaitState(drained, "RUNNING");
			queuedDaemon = first.submit("{\"pool\":\"narrow\",\"command\":[\"/bin/echo\",\"d\"],\"daemon\":true}");
			queued = first.submit("{\"pool\":\"narrow\",\"command\":[\"/bin/echo\",\"after restart\"]}");
			first.sigterm();
			first.awaitExit(Duration.ofSeconds(60));
		}

		try (ServiceProcess second = ServiceProcess.start(dir, List.of(), NARROW)) {
			assertThat(second.job(daemon)).containsEntry("state", "CANCELLED")
				.containsEntry("terminationReason", "SHUTDOWN");
			assertThat(second.job(queuedDaemon)).containsEntry("state", "CANCELLED")
				.containsEntry("terminationReason", "SHUTDOWN");
			assertThat(second.job(drained)).containsEntry("state", "SUCCEEDED");
			Map<String, Object> ran = second.awaitState(queued, "SUCCEEDED");
			assertThat(((Map<?, ?>) ran.get("stdout")).get("text")).isEqualTo("after restart\n");
		}
	}

	@Test
	void aCorruptStoreStopsTheStartWithAMessageNamingTheFileAndTheFix() throws Exception {
		Path store = Files.createDirectories(dir.resolve("data/store")).resolve("jobexec.mv.db");
		Files.write(store, "this is not an H2 database, it is a broken disk block".repeat(200).getBytes());

		ServiceProcess.Failed failed = ServiceProcess.startExpectingFailure(dir);
		assertThat(failed.exitCode()).isNotZero();
		assertThat(failed.log()).contains("APPLICATION FAILED TO START")
			.contains("jobexec.mv.db")
			.contains("is corrupt")
			.contains("move it aside");
	}

	private static List<ProcessTable.Entry> alive(List<ProcessTable.Entry> processes) {
		return processes.stream()
			.filter((process) -> ProcessTable.read(process.pid())
				.filter((now) -> now.startTicks() == process.startTicks() && !now.isZombie())
				.isPresent())
			.toList();
	}

}
