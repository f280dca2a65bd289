package dev.jobexec.job;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.jobexec.os.ProcessControl;
import dev.jobexec.os.ProcessTable;
import dev.jobexec.support.Api;
import dev.jobexec.support.NarrowPool;
import dev.jobexec.support.ServiceProcess;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.test.web.servlet.client.EntityExchangeResult;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A service stopped (SIGKILL or SIGTERM) and a new one started on the same data
 * directory: what the new one reports through the API is what the store kept.
 */
class RestartTests {

	private static final String[] NARROW = NarrowPool.args(10, "--jobexec.pools.process.max-concurrency=4",
			"--jobexec.pools.process.kill-grace=1s", "--jobexec.shutdown.drain-timeout=5s");

	@TempDir
	Path dir;

	@Test
	void afterACrashRunningJobsAreLostTheirProcessesKilledAndQueuedJobsRunInOrder() throws Exception {
		String finished;
		String running;
		String blocker;
		String retried;
		List<String> queued;
		List<ProcessTable.Entry> leftovers;
		try (ServiceProcess service = ServiceProcess.start(dir, List.of(), NARROW)) {
			Api first = service.api();
			finished = first.submitId("{\"command\":[\"/bin/echo\",\"kept\"]}");
			first.awaitState(finished, "SUCCEEDED");
			running = first.submitId("{\"command\":[\"/bin/sh\",\"-c\",\"sleep 300 & sleep 300 & wait\"]}");
			blocker = first.submitId("{\"pool\":\"narrow\",\"command\":[\"/bin/sleep\",\"300\"]}");
			// Its retry policy names LOST: it runs again after the restart (and then
			// ends at once).
			retried = first.submitId("{\"command\":[\"/bin/sh\",\"-c\",\"f=tried-$JOBEXEC_JOB_ID; if [ -e $f ]; "
					+ "then echo again; else touch $f; sleep 300; fi\"],"
					+ "\"retry\":{\"maxAttempts\":2,\"backoff\":\"PT0.5S\",\"on\":[\"LOST\"]}}");
			first.awaitState(running, "RUNNING");
			first.awaitState(blocker, "RUNNING");
			first.awaitState(retried, "RUNNING");
			queued = List.of(first.submitId("{\"pool\":\"narrow\",\"command\":[\"/bin/echo\",\"1\"]}"),
					first.submitId("{\"pool\":\"narrow\",\"command\":[\"/bin/echo\",\"2\"],\"daemon\":true}"),
					first.submitId("{\"pool\":\"narrow\",\"command\":[\"/bin/echo\",\"3\"]}"));
			Awaitility.await()
				.atMost(Duration.ofSeconds(10))
				.until(() -> ServiceProcess.processesOf(List.of(running, blocker, retried)).size() >= 6);
			leftovers = ServiceProcess.processesOf(List.of(running, blocker, retried));

			// Without its crash guard, the dead service leaves its job processes behind:
			// the next
			// start must find and kill them, by pid and start time and by instance
			// marker.
			ProcessControl.signalProcess(service.crashGuard().orElseThrow().pid(), ProcessControl.SIGKILL);
			service.sigkill();
			service.awaitExit(Duration.ofSeconds(30));
		}
		assertThat(alive(leftovers)).as("left behind by the crash").isNotEmpty();

		try (ServiceProcess service = ServiceProcess.start(dir, List.of(), NARROW)) {
			Api second = service.api();
			for (String id : List.of(running, blocker)) {
				Map<String, Object> job = second.get(id);
				assertThat(job).containsEntry("state", "LOST").containsEntry("terminationReason", "SERVICE_LOST");
				assertThat(job.get("finishedAt")).isNotNull();
			}
			Awaitility.await()
				.atMost(Duration.ofSeconds(10))
				.untilAsserted(() -> assertThat(alive(leftovers)).isEmpty());
			Map<String, Object> again = second.awaitState(retried, "SUCCEEDED");
			assertThat(((Map<?, ?>) again.get("stdout")).get("text")).isEqualTo("again\n");
			List<Map<String, Object>> attempts = Api.list(again.get("attempts"));
			assertThat(attempts).extracting((attempt) -> attempt.get("state")).containsExactly("LOST", "SUCCEEDED");
			assertThat(attempts.getFirst()).containsEntry("terminationReason", "SERVICE_LOST");
			assertThat(Instant.parse((String) again.get("startedAt")))
				.isAfterOrEqualTo(Instant.parse((String) attempts.getFirst().get("finishedAt")).plusMillis(500));

			List<Map<String, Object>> ran = queued.stream().map((id) -> second.awaitState(id, "SUCCEEDED")).toList();
			assertThat(ran).extracting((job) -> Instant.parse((String) job.get("startedAt"))).isSorted();
			assertThat(ran).extracting((job) -> (Object) ((Map<?, ?>) job.get("stdout")).get("text"))
				.containsExactly("1\n", "2\n", "3\n");

			Map<String, Object> kept = second.get(finished);
			assertThat(kept).containsEntry("state", "SUCCEEDED").containsEntry("exitCode", 0);
			assertThat(((Map<?, ?>) kept.get("stdout")).get("text")).isEqualTo("kept\n");
		}
	}

	@Test
	void whatWasAnsweredSurvivesASigkillRightAfterTheAnswerAndUnderConcurrentLoad() throws Exception {
		String running;
		String queued;
		Set<String> answered = ConcurrentHashMap.newKeySet();
		try (ServiceProcess service = ServiceProcess.start(dir, List.of(), NARROW)) {
			Api first = service.api();
			String blocker = first.submitId("{\"pool\":\"narrow\",\"command\":[\"/bin/sleep\",\"300\"]}");
			running = first.submitId("{\"command\":[\"/bin/sleep\",\"300\"]}");
			first.awaitState(blocker, "RUNNING");
			first.awaitState(running, "RUNNING");
			queued = first.submitId("{\"pool\":\"narrow\",\"command\":[\"/bin/echo\",\"queued\"]}");
			// Then many writers at once (the group commit and the checkpoints every
			// second interleave with them), and the SIGKILL at no particular moment.
			AtomicBoolean stop = new AtomicBoolean();
			List<String> bodies = List.of("{\"task\":\"echo\",\"params\":{\"message\":\"m\"}}",
					"{\"command\":[\"/bin/true\"]}", "{\"task\":\"echo\",\"labels\":{\"load\":\"yes\"}}");
			List<Thread> clients = new ArrayList<>();
			for (int c = 0; c < 6; c++) {
				String body = bodies.get(c % bodies.size());
				clients.add(Thread.ofPlatform().start(() -> {
					while (!stop.get()) {
						try {
							EntityExchangeResult<Map<String, Object>> result = first.post(body);
							if (result.getStatus().value() == 202) {
								answered.add((String) result.getResponseBody().get("id"));
							}
						}
						catch (RuntimeException connectionGone) {
							// the crash below
						}
					}
				}));
			}
			int crashAt = ThreadLocalRandom.current().nextInt(150, 300);
			Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> answered.size() >= crashAt);
			service.sigkill();
			stop.set(true);
			for (Thread client : clients) {
				client.join(Duration.ofSeconds(30));
			}
			service.awaitExit(Duration.ofSeconds(30));
		}
		try (ServiceProcess service = ServiceProcess.start(dir, List.of(), NARROW)) {
			Api second = service.api();
			assertThat(second.get(running)).as("reported RUNNING before the crash").containsEntry("state", "LOST");
			assertThat(second.awaitState(queued, "SUCCEEDED")).as("answered 202 before the crash").isNotNull();
			List<String> missing = answered.stream()
				.filter((id) -> second.statusOf("/api/v1/jobs/" + id) != 200)
				.toList();
			assertThat(missing).as("answered 202 under load before the crash, of %d", answered.size()).isEmpty();
			Awaitility.await()
				.atMost(Duration.ofSeconds(60))
				.until(() -> second.listed("state=QUEUED&limit=1").isEmpty()
						&& second.listed("state=RUNNING&limit=1").isEmpty());
		}
	}

	@Test
	void afterAGracefulStopDaemonJobsStayCancelledAndQueuedNonDaemonJobsRun() throws Exception {
		String daemon;
		String drained;
		String queuedDaemon;
		String queued;
		String waiting;
		String waitingDaemon;
		String failOnce = "{\"command\":[\"/bin/sh\",\"-c\",\"f=tried-$JOBEXEC_JOB_ID; if [ -e $f ]; then echo "
				+ "again; else touch $f; exit 1; fi\"],\"retry\":{\"maxAttempts\":2,\"backoff\":\"PT3S\"}";
		try (ServiceProcess service = ServiceProcess.start(dir, List.of(), NARROW)) {
			Api first = service.api();
			// Each fails once and waits 3 s for its next attempt, through the stop.
			waiting = first.submitId(failOnce + "}");
			waitingDaemon = first.submitId(failOnce + ",\"daemon\":true}");
			for (String id : List.of(waiting, waitingDaemon)) {
				Awaitility.await()
					.atMost(Duration.ofSeconds(30))
					.until(() -> first.get(id),
							(job) -> "QUEUED".equals(job.get("state")) && job.get("nextAttemptAt") != null);
			}
			daemon = first.submitId("{\"command\":[\"/bin/sleep\",\"300\"],\"daemon\":true}");
			drained = first.submitId("{\"pool\":\"narrow\",\"command\":[\"/bin/sleep\",\"1\"]}");
			first.awaitState(daemon, "RUNNING");
			first.awaitState(drained, "RUNNING");
			queuedDaemon = first.submitId("{\"pool\":\"narrow\",\"command\":[\"/bin/echo\",\"d\"],\"daemon\":true}");
			queued = first.submitId("{\"pool\":\"narrow\",\"command\":[\"/bin/echo\",\"after restart\"]}");
			service.sigterm();
			service.awaitExit(Duration.ofSeconds(60));
		}

		try (ServiceProcess service = ServiceProcess.start(dir, List.of(), NARROW)) {
			Api second = service.api();
			assertThat(second.get(daemon)).containsEntry("state", "CANCELLED")
				.containsEntry("terminationReason", "SHUTDOWN");
			assertThat(second.get(queuedDaemon)).containsEntry("state", "CANCELLED")
				.containsEntry("terminationReason", "SHUTDOWN");
			assertThat(second.get(drained)).containsEntry("state", "SUCCEEDED");
			Map<String, Object> ran = second.awaitState(queued, "SUCCEEDED");
			assertThat(((Map<?, ?>) ran.get("stdout")).get("text")).isEqualTo("after restart\n");
			assertThat(second.get(waitingDaemon)).containsEntry("state", "CANCELLED")
				.containsEntry("terminationReason", "SHUTDOWN");
			Map<String, Object> retried = second.awaitState(waiting, "SUCCEEDED");
			assertThat(((Map<?, ?>) retried.get("stdout")).get("text")).isEqualTo("again\n");
			assertThat(Api.list(retried.get("attempts"))).extracting((attempt) -> attempt.get("state"))
				.containsExactly("FAILED", "SUCCEEDED");
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
