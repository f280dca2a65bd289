package dev.jobexec.api;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.jobexec.support.Api;
import dev.jobexec.support.JobexecHttpTest;
import dev.jobexec.support.SseStream;
import dev.jobexec.support.SseStream.Event;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.web.servlet.client.EntityExchangeResult;

import static dev.jobexec.support.Api.list;
import static dev.jobexec.support.Api.map;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Retries with backoff over real HTTP, with real processes: each attempt is recorded, the
 * job is QUEUED with its next attempt's time in between, the waits double up to their
 * cap, only the outcomes the policy names are retried, a job waiting for its next attempt
 * can be cancelled, a pool's policy applies to its jobs, and the output stream follows
 * every attempt. (A job lost by a restart or a dead node: RestartTests and ClusterTests.)
 */
@JobexecHttpTest
class RetryTests {

	/**
	 * Counts its attempts in a file of its working directory (the pool's base directory),
	 * prints the number, and fails with 7 until its third attempt.
	 */
	private static final String THIRD_TIME_LUCKY = "[\"/bin/sh\", \"-c\", \"f=attempts-$JOBEXEC_JOB_ID; "
			+ "n=$(( $(cat $f 2>/dev/null || echo 0) + 1 )); echo $n > $f; echo attempt $n; [ $n -ge 3 ] || exit 7\"]";

	@Autowired
	Api api;

	@LocalServerPort
	int port;

	@Test
	void aJobThatFailsTwiceSucceedsOnItsThirdAttemptAfterWaitsThatDouble() {
		String id = api.submitId("{\"command\": " + THIRD_TIME_LUCKY
				+ ", \"retry\": {\"maxAttempts\": 5, \"backoff\": \"PT0.5S\", \"maxBackoff\": \"PT10S\"}}");

		Map<String, Object> waiting = Awaitility.await()
			.atMost(Duration.ofSeconds(60))
			.pollInterval(Duration.ofMillis(20))
			.until(() -> api.get(id), (job) -> "QUEUED".equals(job.get("state")) && attempt(job) == 2);
		List<Map<String, Object>> before = list(waiting.get("attempts"));
		assertThat(before).hasSize(1);
		assertThat(before.getFirst()).containsEntry("number", 1)
			.containsEntry("state", "FAILED")
			.containsEntry("exitCode", 7)
			.containsKeys("startedAt", "finishedAt");
		assertThat(Duration.between(instant(before.getFirst(), "finishedAt"), instant(waiting, "nextAttemptAt")))
			.as("the wait before the second attempt is the backoff")
			.isEqualTo(Duration.ofMillis(500));
		assertThat(waiting).doesNotContainKeys("startedAt", "finishedAt", "exitCode", "pid");

		Map<String, Object> job = api.awaitEnd(id);
		assertThat(job).containsEntry("state", "SUCCEEDED")
			.containsEntry("exitCode", 0)
			.doesNotContainKey("nextAttemptAt");
		assertThat(attempt(job)).isEqualTo(3);
		assertThat(map(job.get("stdout")).get("text")).isEqualTo("attempt 3\n");
		assertThat(map(job.get("retry"))).containsEntry("maxAttempts", 5)
			.containsEntry("backoff", "PT0.5S")
			.containsEntry("maxBackoff", "PT10S")
			.containsEntry("on", List.of("FAILED", "TIMED_OUT"))
			.containsEntry("jitter", false);
		List<Map<String, Object>> attempts = list(job.get("attempts"));
		assertThat(attempts).extracting((attempt) -> attempt.get("number")).containsExactly(1, 2, 3);
		assertThat(attempts).extracting((attempt) -> attempt.get("state"))
			.containsExactly("FAILED", "FAILED", "SUCCEEDED");
		assertThat(attempts).extracting((attempt) -> attempt.get("exitCode")).containsExactly(7, 7, 0);
		assertThat(attempts.getLast()).containsEntry("startedAt", job.get("startedAt"))
			.containsEntry("finishedAt", job.get("finishedAt"));
		// The waits: the backoff, then twice it; each attempt starts no earlier than its
		// time, and (on a loaded machine) not very much later.
		Duration first = Duration.between(instant(attempts.get(0), "finishedAt"),
				instant(attempts.get(1), "startedAt"));
		Duration second = Duration.between(instant(attempts.get(1), "finishedAt"),
				instant(attempts.get(2), "startedAt"));
		assertThat(first).isBetween(Duration.ofMillis(500), Duration.ofMillis(500).plusSeconds(5));
		assertThat(second).isBetween(Duration.ofMillis(1000), Duration.ofMillis(1000).plusSeconds(5));
	}

	@Test
	void whenTheAttemptsRunOutTheJobEndsAsItsLastAttemptDid() {
		String id = api.submitId("{\"command\": [\"/bin/sh\", \"-c\", \"echo no >&2; exit 3\"], "
				+ "\"retry\": {\"maxAttempts\": 3, \"backoff\": \"PT0.1S\", \"maxBackoff\": \"PT0.15S\"}}");

		Map<String, Object> job = api.awaitEnd(id);

		assertThat(job).containsEntry("state", "FAILED").containsEntry("exitCode", 3);
		assertThat(attempt(job)).isEqualTo(3);
		List<Map<String, Object>> attempts = list(job.get("attempts"));
		assertThat(attempts).extracting((attempt) -> attempt.get("state"))
			.containsExactly("FAILED", "FAILED", "FAILED");
		// The second wait is capped at maxBackoff (0.15 s), not doubled to 0.2 s.
		Duration second = Duration.between(instant(attempts.get(1), "finishedAt"),
				instant(attempts.get(2), "startedAt"));
		assertThat(second).isBetween(Duration.ofMillis(150), Duration.ofMillis(150).plusSeconds(5));
	}

	@Test
	void onlyTheOutcomesThePolicyNamesAreRetried() {
		String notNamed = api.submitId("{\"command\": [\"/bin/sleep\", \"30\"], \"timeout\": \"PT0.3S\", "
				+ "\"retry\": {\"maxAttempts\": 3, \"backoff\": \"PT0.1S\", \"on\": [\"FAILED\"]}}");
		String named = api.submitId("{\"command\": [\"/bin/sleep\", \"30\"], \"timeout\": \"PT0.3S\", "
				+ "\"retry\": {\"maxAttempts\": 2, \"backoff\": \"PT0.1S\", \"on\": [\"TIMED_OUT\"]}}");
		String succeeded = api.submitId("{\"command\": [\"/bin/true\"], \"retry\": {\"maxAttempts\": 3}}");

		Map<String, Object> once = api.awaitEnd(notNamed);
		assertThat(once).containsEntry("state", "TIMED_OUT");
		assertThat(list(once.get("attempts"))).singleElement()
			.satisfies((attempt) -> assertThat(attempt).containsEntry("state", "TIMED_OUT")
				.containsEntry("terminationReason", "TIMEOUT"));
		Map<String, Object> twice = api.awaitEnd(named);
		assertThat(twice).containsEntry("state", "TIMED_OUT");
		assertThat(list(twice.get("attempts"))).extracting((attempt) -> attempt.get("state"))
			.containsExactly("TIMED_OUT", "TIMED_OUT");
		Map<String, Object> first = api.awaitEnd(succeeded);
		assertThat(first).containsEntry("state", "SUCCEEDED");
		assertThat(attempt(first)).isEqualTo(1);
	}

	@Test
	void aJobWaitingForItsNextAttemptIsCancelledThereAndNeverRunsAgain() {
		String id = api.submitId(
				"{\"command\": " + THIRD_TIME_LUCKY + ", \"retry\": {\"maxAttempts\": 3, \"backoff\": \"PT2S\"}}");
		Map<String, Object> waiting = Awaitility.await()
			.atMost(Duration.ofSeconds(60))
			.pollInterval(Duration.ofMillis(20))
			.until(() -> api.get(id), (job) -> "QUEUED".equals(job.get("state")) && attempt(job) == 2);
		Instant due = instant(waiting, "nextAttemptAt");

		EntityExchangeResult<Map<String, Object>> cancelled = api.client()
			.delete()
			.uri("/api/v1/jobs/{id}", id)
			.exchange()
			.returnResult(Api.JSON);

		assertThat(cancelled.getStatus().value()).isEqualTo(200);
		assertThat(cancelled.getResponseBody()).containsEntry("state", "CANCELLED").doesNotContainKey("nextAttemptAt");
		// What it has is its last attempt's output: the head and tail, and the file.
		assertThat(map(cancelled.getResponseBody().get("stdout"))).containsEntry("text", "attempt 1\n");
		assertThat(api.client()
			.get()
			.uri("/api/v1/jobs/{id}/stdout", id)
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody(String.class)
			.returnResult()
			.getResponseBody()).isEqualTo("attempt 1\n");
		// Well past the time its next attempt had: still cancelled, one attempt made.
		Awaitility.await()
			.during(Duration.between(Instant.now(), due).plusSeconds(1))
			.atMost(Duration.ofSeconds(30))
			.until(() -> api.get(id), (job) -> "CANCELLED".equals(job.get("state")) && attempt(job) == 2
					&& list(job.get("attempts")).size() == 1);
		EntityExchangeResult<Map<String, Object>> again = api.client()
			.delete()
			.uri("/api/v1/jobs/{id}", id)
			.exchange()
			.returnResult(Api.JSON);
		assertThat(again.getStatus().value()).as("%s", again.getResponseBody()).isEqualTo(409);
	}

	@Test
	void aCancelThatComesWhileATimeoutEndsTheAttemptStopsTheRetries(@org.junit.jupiter.api.io.TempDir Path dir)
			throws Exception {
		Path terminated = dir.resolve("terminated");
		// Ignores SIGTERM (noting it), so it lives through the kill-grace (1 s) after its
		// timeout, until SIGKILL.
		String id = api.submitId("{\"command\": [\"/bin/sh\", \"-c\", \"trap 'touch " + terminated
				+ "' TERM; while :; do :; done\"], \"timeout\": \"PT0.5S\", "
				+ "\"retry\": {\"maxAttempts\": 3, \"backoff\": \"PT0.1S\", \"on\": [\"TIMED_OUT\"]}}");
		Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(terminated));

		int status = api.client().delete().uri("/api/v1/jobs/{id}", id).exchange().returnResult().getStatus().value();

		assertThat(status).isIn(200, 202);
		Map<String, Object> job = api.awaitEnd(id);
		assertThat(job).containsEntry("state", "TIMED_OUT");
		assertThat(attempt(job)).as("not retried after the cancel").isEqualTo(1);
		assertThat(list(job.get("attempts"))).hasSize(1);
	}

	@Test
	void aPoolsRetryPolicyAppliesToItsJobsAndAJobMayOverrideIt() {
		double before = retriedCounter();
		String pooled = api.submitId("{\"pool\": \"retrying\", \"task\": \"fail\"}");
		String once = api.submitId("{\"pool\": \"retrying\", \"task\": \"fail\", \"retry\": {\"maxAttempts\": 1}}");

		Map<String, Object> job = api.awaitEnd(pooled);
		assertThat(job).containsEntry("state", "FAILED");
		assertThat(map(job.get("retry"))).containsEntry("maxAttempts", 3).containsEntry("backoff", "PT0.1S");
		assertThat(list(job.get("attempts"))).extracting((attempt) -> attempt.get("state"))
			.containsExactly("FAILED", "FAILED", "FAILED");
		assertThat(list(job.get("attempts"))).allSatisfy(
				(attempt) -> assertThat(attempt).containsEntry("error", "failed as asked").containsKey("finishedAt"));
		Map<String, Object> single = api.awaitEnd(once);
		assertThat(single).containsEntry("state", "FAILED").doesNotContainKeys("attempts", "attempt", "retry");
		assertThat(retriedCounter() - before).as("jobexec_jobs_retried_total{pool=retrying,outcome=FAILED}")
			.isCloseTo(2.0, within(0.0));
	}

	@Test
	void aRetryPolicyThatIsNotOneIsRefusedNamingItsField() {
		Map<String, String> refused = Map.of("{\"maxAttempts\": 0}", "retry.maxAttempts", "{\"maxAttempts\": 101}",
				"retry.maxAttempts", "{\"on\": [\"SUCCEEDED\"]}", "retry.on", "{\"on\": []}", "retry.on",
				"{\"on\": [null]}", "retry.on", "{\"backoff\": \"-PT1S\"}", "retry.backoff",
				"{\"backoff\": \"PT10S\", \"maxBackoff\": \"PT5S\"}", "retry.maxBackoff", "{\"maxBackoff\": \"P2D\"}",
				"retry.maxBackoff");
		refused.forEach((retry, field) -> {
			EntityExchangeResult<Map<String, Object>> result = api
				.post("{\"command\": [\"/bin/true\"], \"retry\": " + retry + "}");
			assertThat(result.getStatus().value()).as(retry).isEqualTo(400);
			assertThat(map(result.getResponseBody().get("errors"))).as(retry).containsKey(field);
		});
	}

	@Test
	void theOutputStreamFollowsEveryAttemptAndTellsWhenAnotherBegins() throws Exception {
		String id = api.submitId(
				"{\"command\": " + THIRD_TIME_LUCKY + ", \"retry\": {\"maxAttempts\": 3, \"backoff\": \"PT1S\"}}");

		try (SseStream stream = SseStream.open(output(id))) {
			List<Event> events = stream.until(
					(received) -> !received.isEmpty() && received.getLast().name().equals("end"),
					Duration.ofSeconds(60));

			assertThat(events).as("%s", events)
				.extracting(Event::name)
				.containsExactly("stdout", "attempt", "stdout", "attempt", "stdout", "end");
			assertThat(events).extracting(Event::id)
				.containsExactly("10:0", "0:0:2", "10:0:2", "0:0:3", "10:0:3", "10:0:3");
			assertThat(events).filteredOn((event) -> event.name().equals("stdout"))
				.extracting((event) -> event.data().get("text"))
				.containsExactly("attempt 1\n", "attempt 2\n", "attempt 3\n");
			assertThat(events.get(1).data()).containsEntry("attempt", 2);
			assertThat(events.getLast().data()).containsEntry("state", "SUCCEEDED");
		}
		// Resumed in the middle: from the second attempt's start, without the first's.
		try (SseStream resumed = SseStream.open(output(id), "Last-Event-ID", "0:0:2")) {
			List<Event> events = resumed.until(
					(received) -> !received.isEmpty() && received.getLast().name().equals("end"),
					Duration.ofSeconds(30));
			assertThat(events).extracting(Event::name).containsExactly("attempt", "stdout", "end");
			assertThat(events.get(1).data()).containsEntry("text", "attempt 3\n");
		}
	}

	private double retriedCounter() {
		Matcher matcher = Pattern
			.compile("(?m)^jobexec_jobs_retried_total\\{outcome=\"FAILED\",pool=\"retrying\"} (\\S+)$")
			.matcher(api.scrape());
		return matcher.find() ? Double.parseDouble(matcher.group(1)) : 0;
	}

	private static int attempt(Map<String, Object> job) {
		return ((Number) job.getOrDefault("attempt", 1)).intValue();
	}

	private static Instant instant(Map<String, Object> map, String field) {
		return Instant.parse((String) map.get(field));
	}

	private String output(String id) {
		return "http://localhost:" + port + "/api/v1/jobs/" + id + "/output";
	}

}
