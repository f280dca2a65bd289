package dev.jobexec.api;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.jobexec.support.Api;
import dev.jobexec.support.JobexecHttpTest;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.web.servlet.client.EntityExchangeResult;

import static dev.jobexec.support.Api.list;
import static dev.jobexec.support.Api.map;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code Idempotency-Key} on submissions: a retried POST gets the job the first one
 * created, and the key cannot be reused for another job.
 */
@JobexecHttpTest
class IdempotencyKeyTests {

	private static final String KEY = "Idempotency-Key";

	private static final String REPLAYED = "Idempotency-Replayed";

	@Autowired
	Api api;

	@Test
	void retryWithTheSameKeyAnswersTheSameJobAndStoresNoOther() {
		String run = UUID.randomUUID().toString();
		String key = UUID.randomUUID().toString();
		String body = echo(run);
		EntityExchangeResult<Map<String, Object>> first = api.post(body, KEY, key);
		assertThat(first.getStatus().value()).isEqualTo(202);
		assertThat(first.getResponseHeaders().getFirst(REPLAYED)).isNull();
		String id = (String) first.getResponseBody().get("id");

		EntityExchangeResult<Map<String, Object>> retry = api.post(body, KEY, key);
		assertThat(retry.getStatus().value()).isEqualTo(202);
		assertThat(retry.getResponseHeaders().getFirst(REPLAYED)).isEqualTo("true");
		assertThat(retry.getResponseHeaders().getLocation()).hasPath("/api/v1/jobs/" + id);
		assertThat(retry.getResponseBody()).containsEntry("id", id);

		api.awaitEnd(id);
		assertThat(jobsOfRun(run)).containsExactly(id);
	}

	@Test
	void retryAfterTheJobEndedAnswersItAsItIsNowAndPreferWaitStillApplies() {
		String key = UUID.randomUUID().toString();
		String body = echo(UUID.randomUUID().toString());
		String id = (String) api.post(body, KEY, key).getResponseBody().get("id");
		api.awaitEnd(id);

		EntityExchangeResult<Map<String, Object>> retry = api.post(body, KEY, key);
		assertThat(retry.getStatus().value()).isEqualTo(202);
		assertThat(retry.getResponseBody()).containsEntry("id", id).containsEntry("state", "SUCCEEDED");
		assertThat(map(retry.getResponseBody().get("stdout"))).containsEntry("text", "hello\n");

		EntityExchangeResult<Map<String, Object>> waited = api.post(body, KEY, key, "Prefer", "wait=30");
		assertThat(waited.getStatus().value()).isEqualTo(200);
		assertThat(waited.getResponseHeaders().getFirst("Preference-Applied")).isEqualTo("wait=30");
		assertThat(waited.getResponseHeaders().getFirst(REPLAYED)).isEqualTo("true");
		assertThat(waited.getResponseBody()).containsEntry("id", id);
	}

	@Test
	void retryOfARunningJobWaitsForItsEndWithPreferWait() {
		String key = UUID.randomUUID().toString();
		String body = "{\"task\":\"sleep\",\"params\":{\"duration\":\"PT1S\"}}";
		String id = (String) api.post(body, KEY, key).getResponseBody().get("id");

		EntityExchangeResult<Map<String, Object>> waited = api.post(body, KEY, key, "Prefer", "wait=30");
		assertThat(waited.getStatus().value()).isEqualTo(200);
		assertThat(waited.getResponseBody()).containsEntry("id", id).containsEntry("state", "SUCCEEDED");
	}

	@Test
	void fieldOrderWhitespaceAndQuotingDoNotMakeAnotherRequest() {
		String run = UUID.randomUUID().toString();
		String key = UUID.randomUUID().toString();
		String id = (String) api
			.post("{\"command\":[\"/bin/echo\",\"hello\"],\"labels\":{\"run\":\"" + run + "\",\"a\":\"1\"},"
					+ "\"env\":{\"X\":\"1\",\"Y\":\"2\"},\"timeout\":\"PT30S\"}", KEY, key)
			.getResponseBody()
			.get("id");

		EntityExchangeResult<Map<String, Object>> retry = api.post("""
				{
				  "timeout" : "PT30S",
				  "env" : { "Y" : "2", "X" : "1" },
				  "labels" : { "a" : "1", "run" : "%s" },
				  "command" : [ "/bin/echo", "hello" ]
				}
				""".formatted(run), KEY, "\"" + key + "\"");
		assertThat(retry.getStatus().value()).as("%s", retry.getResponseBody()).isEqualTo(202);
		assertThat(retry.getResponseBody()).containsEntry("id", id);
		api.awaitEnd(id);
		assertThat(jobsOfRun(run)).containsExactly(id);
	}

	@Test
	void concurrentSubmissionsWithOneKeyMakeOneJob() throws Exception {
		String run = UUID.randomUUID().toString();
		String key = UUID.randomUUID().toString();
		String body = echo(run);
		int clients = 8;
		Set<Object> ids = ConcurrentHashMap.newKeySet();
		CountDownLatch go = new CountDownLatch(1);
		try (ExecutorService threads = Executors.newFixedThreadPool(clients)) {
			List<Future<Integer>> statuses = new java.util.ArrayList<>();
			for (int i = 0; i < clients; i++) {
				statuses.add(threads.submit(() -> {
					go.await();
					EntityExchangeResult<Map<String, Object>> result = api.post(body, KEY, key);
					ids.add(result.getResponseBody().get("id"));
					return result.getStatus().value();
				}));
			}
			go.countDown();
			for (Future<Integer> status : statuses) {
				assertThat(status.get(1, TimeUnit.MINUTES)).isEqualTo(202);
			}
		}
		assertThat(ids).hasSize(1);
		String id = (String) ids.iterator().next();
		api.awaitEnd(id);
		assertThat(jobsOfRun(run)).containsExactly(id);
	}

	@Test
	void aReplayIsNotCountedAsASubmissionAndAReusedKeyIsCountedAsInvalid() {
		String key = UUID.randomUUID().toString();
		String body = "{\"pool\":\"pair\",\"command\":[\"/bin/true\"]}";
		double submitted = count("jobexec.jobs.submitted", "pool:pair");
		double invalid = count("jobexec.jobs.rejected", "pool:pair", "reason:invalid");
		api.post(body, KEY, key);
		api.post(body, KEY, key);
		api.post("{\"pool\":\"pair\",\"command\":[\"/bin/false\"]}", KEY, key);
		assertThat(count("jobexec.jobs.submitted", "pool:pair")).isEqualTo(submitted + 1);
		assertThat(count("jobexec.jobs.rejected", "pool:pair", "reason:invalid")).isEqualTo(invalid + 1);
	}

	@Nested
	class Refused {

		@Test
		void sameKeyWithAnotherRequestIs422NamingTheFirstJob() {
			String key = UUID.randomUUID().toString();
			String id = (String) api.post(echo("first"), KEY, key).getResponseBody().get("id");

			EntityExchangeResult<Map<String, Object>> reused = api.post(echo("second"), KEY, key);
			assertThat(reused.getStatus().value()).isEqualTo(422);
			assertThat(reused.getResponseHeaders().getContentType().isCompatibleWith(Api.PROBLEM)).isTrue();
			assertThat(reused.getResponseBody())
				.containsEntry("type", "https://jobexec.dev/problems/idempotency-key-reused")
				.containsEntry("status", 422)
				.containsEntry("jobId", id);
			assertThat(reused.getResponseHeaders().getFirst(REPLAYED)).isNull();
		}

		@ParameterizedTest
		@ValueSource(strings = { "\"\"", "\"a\\b\"", "\"a\"b\"" })
		void keyThatIsNotOneToTwoHundredFiftyFivePrintableCharactersIs400NamingTheHeader(String key) {
			assertNamesTheHeader(api.post(echo("x"), KEY, key));
		}

		@Test
		void keyOf256CharactersIs400And255AreAccepted() {
			String prefix = UUID.randomUUID().toString();
			String longest = prefix + "k".repeat(255 - prefix.length());
			assertNamesTheHeader(api.post(echo("x"), KEY, longest + "k"));
			assertThat(api.post(echo("x"), KEY, longest).getStatus().value()).isEqualTo(202);
		}

		private void assertNamesTheHeader(EntityExchangeResult<Map<String, Object>> result) {
			assertThat(result.getStatus().value()).isEqualTo(400);
			assertThat(result.getResponseBody()).containsEntry("type", "https://jobexec.dev/problems/invalid-request");
			assertThat(map(result.getResponseBody().get("errors"))).containsKey(KEY);
		}

	}

	private List<Object> jobsOfRun(String run) {
		Map<String, Object> page = api.client()
			.get()
			.uri("/api/v1/jobs?label=run:" + run)
			.exchange()
			.expectStatus()
			.isOk()
			.returnResult(Api.JSON)
			.getResponseBody();
		return list(page.get("items")).stream().map((job) -> job.get("id")).toList();
	}

	/** The value of a counter, from the metrics endpoint. */
	private double count(String meter, String... tags) {
		StringBuilder uri = new StringBuilder("/actuator/metrics/").append(meter).append('?');
		for (String tag : tags) {
			uri.append("tag=").append(tag).append('&');
		}
		Map<String, Object> metric = api.client()
			.get()
			.uri(uri.toString())
			.exchange()
			.expectStatus()
			.isOk()
			.returnResult(Api.JSON)
			.getResponseBody();
		return ((Number) list(metric.get("measurements")).get(0).get("value")).doubleValue();
	}

	private static String echo(String run) {
		return "{\"command\":[\"/bin/echo\",\"hello\"],\"labels\":{\"run\":\"" + run + "\"}}";
	}

}
