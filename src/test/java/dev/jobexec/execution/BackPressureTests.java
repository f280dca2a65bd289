package dev.jobexec.execution;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import dev.jobexec.os.ProcessTable;
import dev.jobexec.support.Api;
import dev.jobexec.support.JobexecHttpTest;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.web.servlet.client.EntityExchangeResult;

import static dev.jobexec.support.Api.list;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pools are bounded: concurrency by max-concurrency, waiting by queue-capacity, the rest
 * gets 429.
 */
@JobexecHttpTest
class BackPressureTests {

	@Autowired
	Api api;

	@Autowired
	PoolRouter router;

	@Test
	void poolNeverRunsMoreThanItsMaxConcurrency() {
		String marker = "bp-" + UUID.randomUUID();
		List<String> ids = new ArrayList<>();
		for (int i = 0; i < 6; i++) {
			ids.add(api
				.submitId("{\"pool\":\"pair\",\"command\":[\"/bin/sh\",\"-c\",\"sleep 0.5\",\"" + marker + "\"]}"));
		}
		AtomicInteger mostRunning = new AtomicInteger();
		AtomicInteger mostActive = new AtomicInteger();
		Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5)).until(() -> {
			// Job process groups alive now (a forked child shares its parent's command
			// line until it execs).
			long running = ProcessTable.all()
				.stream()
				.filter((entry) -> !entry.isZombie() && ProcessTable.cmdline(entry.pid()).contains(marker))
				.map(ProcessTable.Entry::pgid)
				.distinct()
				.count();
			mostRunning.accumulateAndGet((int) running, Math::max);
			mostActive.accumulateAndGet(router.pool("pair").snapshot().active(), Math::max);
			return ids.stream().allMatch((id) -> Api.isTerminal(api.get(id).get("state")));
		});
		assertThat(mostActive.get()).isEqualTo(2);
		assertThat(mostRunning.get()).isBetween(1, 2);
		ids.forEach((id) -> assertThat(api.get(id)).containsEntry("state", "SUCCEEDED"));
	}

	@Test
	void fullQueueAnswers429WithRetryAfterAndStoresNothing() {
		String run = UUID.randomUUID().toString();
		String running = api.submitId(narrow(run, "30"));
		api.awaitRunning(running);
		String queued = api.submitId(narrow(run, "0"));
		long rejectedBefore = router.pool("narrow").snapshot().rejected();

		EntityExchangeResult<Map<String, Object>> refused = api.post(narrow(run, "0"));
		assertThat(refused.getStatus().value()).isEqualTo(429);
		assertThat(refused.getResponseHeaders().getFirst("Retry-After")).isEqualTo("1");
		assertThat(refused.getResponseHeaders().getContentType().isCompatibleWith(Api.PROBLEM)).isTrue();
		assertThat(refused.getResponseBody()).containsEntry("status", 429).containsEntry("pool", "narrow");
		assertThat(router.pool("narrow").snapshot().rejected()).isEqualTo(rejectedBefore + 1);

		List<Map<String, Object>> stored = list(api.client()
			.get()
			.uri("/api/v1/jobs?label=run:" + run)
			.exchange()
			.expectStatus()
			.isOk()
			.returnResult(Api.JSON)
			.getResponseBody()
			.get("items"));
		assertThat(stored).extracting((job) -> job.get("id")).containsExactly(queued, running);

		api.client().delete().uri("/api/v1/jobs/{id}", queued).exchange().expectStatus().isOk();
		api.client().delete().uri("/api/v1/jobs/{id}", running).exchange().expectStatus().is2xxSuccessful();
		assertThat(api.awaitEnd(running)).containsEntry("state", "CANCELLED");
	}

	private static String narrow(String run, String seconds) {
		return "{\"pool\":\"narrow\",\"command\":[\"/bin/sleep\",\"" + seconds + "\"],\"labels\":{\"run\":\"" + run
				+ "\"}}";
	}

}
