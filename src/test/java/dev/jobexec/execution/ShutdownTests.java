package dev.jobexec.execution;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.jobexec.support.ServiceProcess;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SIGTERM to the service: readiness drops and submissions get 503 at once, daemon jobs
 * are terminated or cancelled, running non-daemon jobs drain until the drain-timeout and
 * are then terminated, queued non-daemon jobs stay queued, and the service exits only
 * once every job process is gone.
 */
class ShutdownTests {

	@TempDir
	Path dir;

	@Test
	void gracefulShutdownAppliesDaemonSemantics() throws Exception {
		try (ServiceProcess service = ServiceProcess.start(dir, List.of(), "--jobexec.shutdown.drain-timeout=15s",
				"--jobexec.pools.process.max-concurrency=4", "--jobexec.pools.process.kill-grace=1s",
				"--jobexec.pools.thread.kill-grace=1s", "--jobexec.pools.narrow.type=process",
				"--jobexec.pools.narrow.max-concurrency=1", "--jobexec.pools.narrow.queue-capacity=5")) {
			String daemon = service.submit("{\"command\":[\"/bin/sh\",\"-c\",\"sleep 300 & wait\"],\"daemon\":true}");
			String daemonTask = service
				.submit("{\"task\":\"sleep\",\"params\":{\"duration\":\"PT5M\"},\"daemon\":true}");
			String drains = service.submit("{\"command\":[\"/bin/sleep\",\"6\"]}");
			String outlivesDrain = service.submit("{\"command\":[\"/bin/sh\",\"-c\",\"sleep 300 & wait\"]}");
			String narrowRunning = service.submit("{\"pool\":\"narrow\",\"command\":[\"/bin/sleep\",\"5\"]}");
			String queuedDaemon = service.submit("{\"pool\":\"narrow\",\"command\":[\"/bin/true\"],\"daemon\":true}");
			String queued = service.submit("{\"pool\":\"narrow\",\"command\":[\"/bin/true\"]}");
			for (String id : List.of(narrowRunning, drains, daemon, daemonTask, outlivesDrain)) {
				service.awaitState(id, "RUNNING");
			}
			List<String> processJobs = List.of(daemon, drains, outlivesDrain, narrowRunning);

			CompletableFuture<HttpResponse<String>> longPoll = CompletableFuture
				.supplyAsync(() -> service.get("/api/v1/jobs/" + queued + "?wait=PT5M"));

			service.sigterm();

			Awaitility.await()
				.atMost(Duration.ofSeconds(10))
				.until(() -> service.statusOf("/actuator/health/readiness") == 503);
			HttpResponse<String> refused = service.post("/api/v1/jobs", "{\"command\":[\"/bin/true\"]}");
			assertThat(refused.statusCode()).isEqualTo(503);
			assertThat(refused.headers().firstValue("Retry-After")).isPresent();
			assertThat(refused.headers().firstValue("Content-Type"))
				.hasValueSatisfying((type) -> assertThat(type).startsWith("application/problem+json"));

			for (String id : List.of(daemon, daemonTask, queuedDaemon)) {
				Map<String, Object> job = service.awaitState(id, "CANCELLED");
				assertThat(job).containsEntry("terminationReason", "SHUTDOWN");
			}
			assertThat(service.job(queuedDaemon)).doesNotContainKey("startedAt");
			assertThat(service.job(outlivesDrain)).containsEntry("state", "RUNNING");
			assertThat(service.awaitState(drains, "SUCCEEDED")).doesNotContainKey("terminationReason");
			assertThat(service.awaitState(narrowRunning, "SUCCEEDED")).isNotNull();
			assertThat(service.job(queued)).as("non-daemon queued jobs stay queued").containsEntry("state", "QUEUED");

			service.awaitExit(Duration.ofSeconds(60));
			// A long poll on a job that stays queued is released, not left to hold up the
			// exit.
			assertThat(longPoll.get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
			assertThat(ServiceProcess.json(longPoll.get())).containsEntry("state", "QUEUED");
			assertThat(service.log()).contains("Job " + outlivesDrain + " ended as CANCELLED by the shutdown");
			assertThat(ServiceProcess.processesOf(processJobs)).isEmpty();
		}
	}

}
