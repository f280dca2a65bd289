package dev.jobexec.api;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import dev.jobexec.support.Api;
import dev.jobexec.support.JobexecHttpTest;
import dev.jobexec.support.SseStream;
import dev.jobexec.support.SseStream.Event;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /api/v1/events} read by a real SSE client over real HTTP:
 * {@code as_completed} for a batch, filtered by label and state, resumed with
 * {@code Last-Event-ID} without a gap, and refusals of what is not a filter or an event
 * id.
 */
@JobexecHttpTest
class EventStreamTests {

	private static final Duration DEADLINE = Duration.ofSeconds(60);

	@Autowired
	Api api;

	@LocalServerPort
	int port;

	@Test
	void aBatchIsFollowedToTheEndOfEveryJobWithIncreasingIdsAndOnlyItsJobs() throws Exception {
		String batch = "as-completed-" + UUID.randomUUID();
		try (SseStream stream = SseStream.open(url("label=run:" + batch))) {
			assertThat(stream.status()).isEqualTo(200);
			assertThat(stream.contentType()).startsWith("text/event-stream");
			api.submitId("{\"task\":\"echo\",\"params\":{\"message\":\"not in the batch\"}}");
			List<String> ids = submitBatch(batch, 20);

			List<Event> events = stream.until((received) -> finished(received).size() == 20, DEADLINE);
			assertThat(events).extracting(Event::name).containsOnly("job");
			assertThat(events).extracting((event) -> event.data().get("id")).isSubsetOf(ids.toArray());
			assertThat(events).extracting((event) -> Long.parseLong(event.id())).isSorted().doesNotHaveDuplicates();
			assertThat(events)
				.allSatisfy((event) -> assertThat(Api.map(event.data().get("labels"))).containsEntry("run", batch));
			Map<String, Object> last = events.getLast().data();
			assertThat(last).containsKeys("pool", "submittedAt");
			assertThat(finished(events)).containsOnlyKeys(ids).containsValues("SUCCEEDED");
		}
	}

	@Test
	void aClientThatReconnectsWithLastEventIdMissesNothingAndSeesNothingTwice() throws Exception {
		String batch = "resume-" + UUID.randomUUID();
		List<Event> before;
		try (SseStream stream = SseStream.open(url("label=run:" + batch + "&state=SUCCEEDED"))) {
			List<String> first = submitBatch(batch, 10);
			before = stream.until((received) -> received.size() == 10, DEADLINE);
			assertThat(before).extracting((event) -> event.data().get("id")).containsExactlyInAnyOrderElementsOf(first);
			assertThat(before).extracting((event) -> event.data().get("state")).containsOnly("SUCCEEDED");
		}
		// Gone while ten more ran and ended.
		List<String> second = submitBatch(batch, 10);
		for (String id : second) {
			api.awaitState(id, "SUCCEEDED");
		}
		try (SseStream resumed = SseStream.open(url("label=run:" + batch + "&state=SUCCEEDED"), "Last-Event-ID",
				before.getLast().id())) {
			List<Event> after = resumed.until((received) -> received.size() == 10, DEADLINE);
			assertThat(after).extracting((event) -> event.data().get("id")).containsExactlyInAnyOrderElementsOf(second);
			assertThat(after).extracting((event) -> Long.parseLong(event.id()))
				.isSorted()
				.allSatisfy((id) -> assertThat(id).isGreaterThan(Long.parseLong(before.getLast().id())));
			assertThat(resumed.during(Duration.ofSeconds(1))).as("nothing more, nothing twice").isEmpty();
		}
		// From the start of what the store holds: all twenty; then the stream ends at its
		// timeout.
		try (SseStream all = SseStream.open(url("label=run:" + batch + "&state=SUCCEEDED&after=0&timeout=PT2S"))) {
			assertThat(all.until((received) -> received.size() == 20, DEADLINE)).extracting((event) -> event.id())
				.doesNotHaveDuplicates();
			Awaitility.await().atMost(Duration.ofSeconds(30)).until(all::ended);
			assertThat(all.comments()).contains("the stream's time is up; reconnect with Last-Event-ID");
		}
	}

	@Test
	void whatIsNotAFilterOrAnEventIdIsA400Problem() throws Exception {
		for (String[] refused : List.of(new String[] { "state=DONE", "state" },
				new String[] { "label=nocolon", "label" }, new String[] { "after=-1", "after" },
				new String[] { "after=12:0", "after" }, new String[] { "timeout=PT2H", "timeout" },
				new String[] { "timeout=soon", "timeout" })) {
			try (SseStream stream = SseStream.open(url(refused[0]))) {
				assertThat(stream.status()).as(refused[0]).isEqualTo(400);
				assertThat(stream.contentType()).startsWith("application/problem+json");
				assertThat(stream.body()).contains(refused[1]);
			}
		}
		try (SseStream stream = SseStream.open(url(""), "Last-Event-ID", "not-a-number")) {
			assertThat(stream.status()).isEqualTo(400);
			assertThat(stream.body()).contains("Last-Event-ID");
		}
	}

	private List<String> submitBatch(String batch, int size) {
		String body = IntStream.range(0, size)
			.mapToObj((i) -> "{\"task\":\"echo\",\"params\":{\"message\":" + i + "},\"labels\":{\"run\":\"" + batch
					+ "\"}}")
			.collect(Collectors.joining(",", "{\"jobs\":[", "]}"));
		return Api.list(api.postBatch(body).getResponseBody().get("jobs"))
			.stream()
			.map((job) -> (String) job.get("id"))
			.toList();
	}

	/** The terminal state each job reached, among {@code events}. */
	private static Map<String, Object> finished(List<Event> events) {
		Map<String, Object> states = new LinkedHashMap<>();
		for (Event event : events) {
			if (Api.isTerminal(event.data().get("state"))) {
				states.put((String) event.data().get("id"), event.data().get("state"));
			}
		}
		return states;
	}

	private String url(String query) {
		return "http://localhost:" + port + "/api/v1/events?" + query;
	}

}
