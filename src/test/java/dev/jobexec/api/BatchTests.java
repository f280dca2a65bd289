package dev.jobexec.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import dev.jobexec.support.Api;
import dev.jobexec.support.JobexecHttpTest;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.web.servlet.client.EntityExchangeResult;

import static dev.jobexec.support.Api.list;
import static dev.jobexec.support.Api.map;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code POST /api/v1/jobs/batch} over real HTTP: all or none, in order, one label. */
@JobexecHttpTest
class BatchTests {

	@Autowired
	Api api;

	@Test
	void aBatchOfAThousandIsAcceptedInOrderAndWaitedForAsAWhole() {
		String body = IntStream.range(0, 1000)
			.mapToObj((i) -> "{\"task\": \"echo\", \"params\": {\"message\": " + i + "}}")
			.collect(Collectors.joining(", ", "{\"jobs\": [", "]}"));
		EntityExchangeResult<Map<String, Object>> answer = api.postBatch(body, "Prefer", "wait=120");
		assertThat(answer.getStatus().value()).isEqualTo(200);
		assertThat(answer.getResponseHeaders().getFirst("Preference-Applied")).isEqualTo("wait=120");
		String batch = (String) answer.getResponseBody().get("batch");
		List<Map<String, Object>> jobs = list(answer.getResponseBody().get("jobs"));
		assertThat(jobs).hasSize(1000);
		for (int i = 0; i < jobs.size(); i++) {
			assertThat(jobs.get(i)).containsEntry("state", "SUCCEEDED").containsEntry("result", i);
			assertThat(map(jobs.get(i).get("labels"))).containsEntry("batch", batch);
		}
		assertThat(answer.getResponseHeaders().getLocation()).hasPath("/api/v1/jobs").hasQuery("label=batch:" + batch);

		List<String> listed = new ArrayList<>();
		String cursor = null;
		do {
			Map<String, Object> page = api.client()
				.get()
				.uri((cursor == null) ? "/api/v1/jobs?label=batch:{b}&limit=500"
						: "/api/v1/jobs?label=batch:{b}&limit=500&cursor=" + cursor, batch)
				.exchange()
				.expectStatus()
				.isOk()
				.returnResult(Api.JSON)
				.getResponseBody();
			list(page.get("items")).forEach((job) -> listed.add((String) job.get("id")));
			cursor = (String) page.get("nextCursor");
		}
		while (cursor != null);
		assertThat(listed).hasSize(1000)
			.containsExactlyInAnyOrderElementsOf(jobs.stream().map((job) -> (String) job.get("id")).toList());
	}

	@Test
	void processJobsOfABatchRunAndKeepTheirOrder() {
		EntityExchangeResult<Map<String, Object>> answer = api.postBatch("""
				{"jobs": [{"command": ["/bin/echo", "a"]}, {"command": ["/bin/echo", "b"], "labels": {"team": "x"}},
				          {"pool": "pair", "command": ["/bin/echo", "c"]}]}
				""");
		assertThat(answer.getStatus().value()).isEqualTo(202);
		List<Map<String, Object>> jobs = list(answer.getResponseBody().get("jobs"));
		assertThat(jobs).extracting((job) -> job.get("pool")).containsExactly("process", "process", "pair");
		assertThat(map(jobs.get(1).get("labels"))).containsEntry("team", "x").containsKey("batch");
		List<String> out = jobs.stream()
			.map((job) -> api.awaitEnd((String) job.get("id")))
			.map((job) -> (String) map(job.get("stdout")).get("text"))
			.toList();
		assertThat(out).containsExactly("a\n", "b\n", "c\n");
	}

	@Test
	void aBatchThatDoesNotFitItsPoolIsRefusedWholeAndStoresNothing() {
		String probe = UUID.randomUUID().toString();
		String job = "{\"pool\": \"narrow\", \"command\": [\"/bin/sleep\", \"30\"], \"labels\": {\"probe\": \"" + probe
				+ "\"}}";
		EntityExchangeResult<Map<String, Object>> answer = api
			.postBatch("{\"jobs\": [" + String.join(", ", java.util.Collections.nCopies(5, job)) + "]}");
		assertThat(answer.getStatus().value()).isEqualTo(429);
		assertThat(answer.getResponseHeaders().getFirst("Retry-After")).isNotBlank();
		assertThat((String) answer.getResponseBody().get("detail")).contains("batch of 5 jobs does not fit")
			.contains("narrow");
		assertThat(api.listed("label=probe:{p}", probe)).isEmpty();
		Map<String, Object> pool = api.client()
			.get()
			.uri("/api/v1/pools/narrow")
			.exchange()
			.expectStatus()
			.isOk()
			.returnResult(Api.JSON)
			.getResponseBody();
		assertThat(pool).containsEntry("queued", 0).containsEntry("active", 0);

		// Nothing of the refused batch holds a place: one that fits exactly is accepted.
		EntityExchangeResult<Map<String, Object>> fits = api
			.postBatch("{\"jobs\": [" + String.join(", ", java.util.Collections.nCopies(2, job)) + "]}");
		assertThat(fits.getStatus().value()).isEqualTo(202);
		list(fits.getResponseBody().get("jobs"))
			.forEach((accepted) -> api.client().delete().uri("/api/v1/jobs/{id}", accepted.get("id")).exchange());
		list(fits.getResponseBody().get("jobs")).forEach((accepted) -> api.awaitEnd((String) accepted.get("id")));
	}

	@Test
	void problemsNameTheJobByItsIndex() {
		Map<String, Object> invalid = api.postBatch("""
				{"jobs": [{"command": ["/bin/true"]}, {"command": ["/bin/true"], "workingDirectory": "../out"},
				          {"command": ["/bin/true"], "labels": {"batch": "mine"}}]}
				""").getResponseBody();
		assertThat(invalid).containsEntry("status", 400);
		assertThat(map(invalid.get("errors"))).containsOnlyKeys("jobs[1].workingDirectory", "jobs[2].labels");

		// The batch adds a label, which must fit jobexec.limits.max-labels (8 here) too.
		String eight = IntStream.range(0, 8)
			.mapToObj((i) -> "\"k" + i + "\": \"v\"")
			.collect(Collectors.joining(", ", "{", "}"));
		Map<String, Object> full = api
			.postBatch("{\"jobs\": [{\"command\": [\"/bin/true\"], \"labels\": " + eight + "}]}")
			.getResponseBody();
		assertThat((String) map(full.get("errors")).get("jobs[0].labels")).contains("at most 7");

		Map<String, Object> empty = api.postBatch("{\"jobs\": [{\"command\": []}]}").getResponseBody();
		assertThat(empty).containsEntry("status", 400);
		assertThat(map(empty.get("errors"))).containsKey("jobs[0].command");

		Map<String, Object> forbidden = api.postBatch("""
				{"jobs": [{"command": ["/bin/true"]}, {"command": ["/usr/sbin/nologin"]}]}
				""").getResponseBody();
		assertThat(forbidden).containsEntry("status", 403).containsEntry("index", 1);

		Map<String, Object> unknownPool = api.postBatch("""
				{"jobs": [{"pool": "no-such-pool", "command": ["/bin/true"]}]}
				""").getResponseBody();
		assertThat(unknownPool).containsEntry("status", 404).containsEntry("index", 0);

		String tooMany = IntStream.range(0, 1001)
			.mapToObj((i) -> "{\"task\": \"echo\"}")
			.collect(Collectors.joining(", ", "{\"jobs\": [", "]}"));
		Map<String, Object> large = api.postBatch(tooMany).getResponseBody();
		assertThat(large).containsEntry("status", 400);
		assertThat((String) map(large.get("errors")).get("jobs")).contains("at most 1000");

		assertThat(api.postBatch("{\"jobs\": []}").getStatus().value()).isEqualTo(400);
		Map<String, Object> keyed = api.postBatch("{\"jobs\": [{\"task\": \"echo\"}]}", "Idempotency-Key", "k-1")
			.getResponseBody();
		assertThat(map(keyed.get("errors"))).containsKey("Idempotency-Key");
	}

}
