package dev.jobexec.execution;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.jobexec.support.Api;
import dev.jobexec.support.NarrowPool;
import dev.jobexec.support.ServiceProcess;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.http.HttpHeaders;
import org.springframework.test.web.servlet.client.EntityExchangeResult;

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
		try (ServiceProcess service = ServiceProcess.start(dir, List.of(),
				NarrowPool.args(5, "--jobexec.shutdown.drain-timeout=10s", "--jobexec.pools.process.max-concurrency=4",
						"--jobexec.pools.process.kill-grace=1s", "--jobexec.pools.thread.kill-grace=1s"))) {
			Api api = service.api();
			String daemon = api.submitId("{\"command\":[\"/bin/sh\",\"-c\",\"sleep 300 & wait\"],\"daemon\":true}");
			String daemonTask = api.submitId("{\"task\":\"sleep\",\"params\":{\"duration\":\"PT5M\"},\"daemon\":true}");
			String drains = api.submitId("{\"command\":[\"/bin/sleep\",\"6\"]}");
			String outlivesDrain = api.submitId("{\"command\":[\"/bin/sh\",\"-c\",\"sleep 300 & wait\"]}");
			String narrowRunning = api.submitId("{\"pool\":\"narrow\",\"command\":[\"/bin/sleep\",\"5\"]}");
			String queuedDaemon = api.submitId("{\"pool\":\"narrow\",\"command\":[\"/bin/true\"],\"daemon\":true}");
			String queued = api.submitId("{\"pool\":\"narrow\",\"command\":[\"/bin/true\"]}");
			for (String id : List.of(narrowRunning, drains, daemon, daemonTask, outlivesDrain)) {
				api.awaitState(id, "RUNNING");
			}
			List<String> processJobs = List.of(daemon, drains, outlivesDrain, narrowRunning);

			CompletableFuture<EntityExchangeResult<Map<String, Object>>> longPoll = CompletableFuture
				.supplyAsync(() -> api.longPoll(queued, "PT5M").returnResult(Api.JSON));

			service.sigterm();

			Awaitility.await()
				.atMost(Duration.ofSeconds(10))
				.until(() -> api.statusOf("/actuator/health/readiness") == 503);
			EntityExchangeResult<Map<String, Object>> refused = api.post("{\"command\":[\"/bin/true\"]}");
			assertThat(refused.getStatus().value()).isEqualTo(503);
			assertThat(refused.getResponseHeaders().getFirst(HttpHeaders.RETRY_AFTER)).isNotNull();
			assertThat(refused.getResponseHeaders().getFirst(HttpHeaders.CONTENT_TYPE))
				.startsWith("application/problem+json");

			for (String id : List.of(daemon, daemonTask, queuedDaemon)) {
				Map<String, Object> job = api.awaitState(id, "CANCELLED");
				assertThat(job).containsEntry("terminationReason", "SHUTDOWN");
			}
			assertThat(api.get(queuedDaemon)).doesNotContainKey("startedAt");
			assertThat(api.get(outlivesDrain)).containsEntry("state", "RUNNING");
			assertThat(api.awaitState(drains, "SUCCEEDED")).doesNotContainKey("terminationReason");
			assertThat(api.awaitState(narrowRunning, "SUCCEEDED")).isNotNull();
			assertThat(api.get(queued)).as("non-daemon queued jobs stay queued").containsEntry("state", "QUEUED");

			service.awaitExit(Duration.ofSeconds(60));
			// A long poll on a job that stays queued is released, not left to hold up the
			// exit.
			assertThat(longPoll.get(5, TimeUnit.SECONDS).getStatus().value()).isEqualTo(200);
			assertThat(longPoll.get().getResponseBody()).containsEntry("state", "QUEUED");
			assertThat(service.log()).contains("Job " + outlivesDrain + " ended as CANCELLED by the shutdown");
			assertThat(ServiceProcess.processesOf(processJobs)).isEmpty();
		}
	}

}
