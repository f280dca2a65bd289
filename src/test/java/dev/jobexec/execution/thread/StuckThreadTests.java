package dev.jobexec.execution.thread;

import java.time.Duration;
import java.util.Map;

import dev.jobexec.execution.PoolRouter;
import dev.jobexec.support.Api;
import dev.jobexec.support.JobexecHttpTest;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A task that ignores interruption ends as timed out, is counted as stuck, and the pool
 * serves on.
 */
@JobexecHttpTest
class StuckThreadTests {

	@Autowired
	Api api;

	@Autowired
	PoolRouter router;

	@Test
	void taskIgnoringInterruptionIsTimedOutCountedAsStuckAndThePoolKeepsServing() {
		String id = api.submitId("""
				{"pool": "single-thread", "task": "cpu", "params": {"duration": "PT6S", "cooperative": false},
				 "timeout": "PT0.3S"}
				""");
		Map<String, Object> job = api.awaitEnd(id);
		assertThat(job).containsEntry("state", "TIMED_OUT").containsEntry("terminationReason", "TIMEOUT");
		assertThat((String) job.get("error")).contains("stuck");
		assertThat(router.pool("single-thread").snapshot().stuckThreads()).isEqualTo(1);

		api.client()
			.get()
			.uri("/actuator/metrics/jobexec.threads.stuck?tag=pool:single-thread")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody()
			.jsonPath("$.measurements[0].value")
			.isEqualTo(1.0);
		api.client()
			.get()
			.uri("/actuator/health/jobPools")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody()
			.jsonPath("$.details.single-thread.stuckThreads")
			.isEqualTo(1);

		// The stuck thread gave its slot back: a pool of one still runs the next job.
		Map<String, Object> next = api.awaitEnd(api.submitId("{\"pool\":\"single-thread\",\"task\":\"echo\"}"));
		assertThat(next).containsEntry("state", "SUCCEEDED");

		Awaitility.await()
			.atMost(Duration.ofSeconds(20))
			.until(() -> router.pool("single-thread").snapshot().stuckThreads() == 0);
	}

	@Test
	void cancelledTaskThatIgnoresInterruptionIsCancelledAndStuck() {
		String id = api.submitId("""
				{"pool": "patient", "task": "cpu", "params": {"duration": "PT5S", "cooperative": false}}
				""");
		api.awaitRunning(id);
		api.client().delete().uri("/api/v1/jobs/{id}", id).exchange().expectStatus().isAccepted();
		Map<String, Object> job = api.awaitEnd(id);
		assertThat(job).containsEntry("state", "CANCELLED").containsEntry("terminationReason", "CANCELLED");
		assertThat((String) job.get("error")).contains("stuck");
		Awaitility.await()
			.atMost(Duration.ofSeconds(20))
			.until(() -> router.pool("patient").snapshot().stuckThreads() == 0);
	}

}
