package dev.jobexec.api;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import dev.jobexec.support.Api;
import dev.jobexec.support.JobexecHttpTest;
import dev.jobexec.support.SseStream;
import dev.jobexec.support.SseStream.Event;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /api/v1/jobs/{id}/output} read by a real SSE client (the JDK's HTTP client,
 * line by line) over real HTTP: a running job followed to its end, and a 52 MB output
 * resumed in the middle with {@code Last-Event-ID}, with no gap and no duplicate.
 */
@JobexecHttpTest
class OutputStreamTests {

	@Autowired
	Api api;

	@LocalServerPort
	int port;

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	@Test
	void aRunningJobIsFollowedChunkByChunkToItsEnd() throws Exception {
		String id = api.submitId("{\"command\":[\"/bin/sh\",\"-c\","
				+ "\"echo one; sleep 1; echo two >&2; sleep 1; printf 'thr\\\\303\\\\251e\\\\n'\"]}");
		List<Event> events = read(id, null, (event) -> false);
		assertThat(events).extracting(Event::name).containsExactly("stdout", "stderr", "stdout", "end");
		assertThat(events).extracting(Event::id).containsExactly("4:0", "4:4", "11:4", "11:4");
		assertThat(events.subList(0, 3)).extracting((event) -> event.data().get("text"))
			.containsExactly("one\n", "two\n", "thrée\n");
		assertThat(events.get(2).data()).containsEntry("offset", 4);
		assertThat(events.get(3).data()).containsEntry("id", id).containsEntry("state", "SUCCEEDED");
	}

	@Test
	void aLongOutputResumedInTheMiddleArrivesWholeWithNoGapAndNoDuplicate() throws Exception {
		byte[] expected = seq(6_500_000);
		assertThat(expected.length).isGreaterThan(50_000_000);
		String id = api.submitId("{\"command\":[\"/usr/bin/seq\",\"1\",\"6500000\"]}");
		List<Event> first = read(id, null, (event) -> offsetAfter(event) >= 20_000_000);
		Event last = first.getLast();
		long resumeAt = offsetAfter(last);
		assertThat(resumeAt).isBetween(20_000_000L, 30_000_000L);

		List<Event> rest = read(id, last.id(), (event) -> false);
		assertThat(rest.getFirst().data()).containsEntry("offset", (int) resumeAt);
		assertThat(rest.getLast().name()).isEqualTo("end");
		MessageDigest digest = MessageDigest.getInstance("SHA-256");
		long total = 0;
		for (Event event : concat(first, rest)) {
			if (event.name().equals("stdout")) {
				assertThat(((Number) event.data().get("offset")).longValue()).as("each chunk where the last ended")
					.isEqualTo(total);
				byte[] text = ((String) event.data().get("text")).getBytes(StandardCharsets.UTF_8);
				digest.update(text);
				total += text.length;
			}
		}
		assertThat(total).isEqualTo(expected.length);
		assertThat(digest.digest()).isEqualTo(MessageDigest.getInstance("SHA-256").digest(expected));
	}

	@Test
	void aThreadJobWithoutAFileEndsWithTheJobAndABadPositionIsA400() throws Exception {
		String id = api.submitId("{\"task\":\"echo\",\"params\":{\"message\":\"hi\"}}");
		List<Event> events = read(id, null, (event) -> false);
		assertThat(events.getLast().name()).isEqualTo("end");
		assertThat(events.getLast().data()).containsEntry("state", "SUCCEEDED");

		HttpResponse<String> bad = http.send(request(id, "12-0"), HttpResponse.BodyHandlers.ofString());
		assertThat(bad.statusCode()).isEqualTo(400);
		assertThat(bad.headers().firstValue("Content-Type"))
			.hasValueSatisfying((type) -> assertThat(type).startsWith("application/problem+json"));
		assertThat(bad.body()).contains("Last-Event-ID");
		HttpResponse<String> missing = http.send(request("0190aaaa-0000-7000-8000-000000000000", null),
				HttpResponse.BodyHandlers.ofString());
		assertThat(missing.statusCode()).isEqualTo(404);
	}

	/**
	 * The events of one connection, until its {@code end} event or until {@code stop}
	 * accepts one (then the connection is dropped, as a client that goes away).
	 */
	private List<Event> read(String id, String lastEventId, Predicate<Event> stop) throws Exception {
		String url = "http://localhost:" + port + "/api/v1/jobs/" + id + "/output";
		try (SseStream stream = (lastEventId != null) ? SseStream.open(url, "Last-Event-ID", lastEventId)
				: SseStream.open(url)) {
			assertThat(stream.status()).isEqualTo(200);
			assertThat(stream.contentType()).startsWith("text/event-stream");
			return stream.until((received) -> stop.test(received.getLast()) || received.getLast().name().equals("end"),
					Duration.ofMinutes(2));
		}
	}

	private HttpRequest request(String id, String lastEventId) {
		HttpRequest.Builder request = HttpRequest
			.newBuilder(URI.create("http://localhost:" + port + "/api/v1/jobs/" + id + "/output"))
			.timeout(Duration.ofMinutes(2))
			.header("X-API-Key", Api.KEY)
			.header("Accept", "text/event-stream");
		if (lastEventId != null) {
			request.header("Last-Event-ID", lastEventId);
		}
		return request.GET().build();
	}

	private static long offsetAfter(Event event) {
		return (event.id() != null) ? Long.parseLong(event.id().split(":")[0]) : 0;
	}

	private static List<Event> concat(List<Event> first, List<Event> rest) {
		List<Event> all = new ArrayList<>(first);
		all.addAll(rest);
		return all;
	}

	/** What {@code seq 1 n} prints. */
	private static byte[] seq(int n) {
		StringBuilder text = new StringBuilder();
		for (int i = 1; i <= n; i++) {
			text.append(i).append('\n');
		}
		return text.toString().getBytes(StandardCharsets.US_ASCII);
	}

}
