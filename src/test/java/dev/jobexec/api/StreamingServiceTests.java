package dev.jobexec.api;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import dev.jobexec.support.Api;
import dev.jobexec.support.ServiceProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import org.springframework.util.FileSystemUtils;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The service's open streams, on a real service JVM of their own (the last test stops
 * it): a client of {@code GET /api/v1/events} that stops reading while jobs go on
 * changing, over a real socket, with the node keeping only 16 changes; and a graceful
 * stop, which ends the open streams instead of waiting for them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StreamingServiceTests {

	private Path dir;

	private ServiceProcess service;

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	@BeforeAll
	void start() throws Exception {
		dir = Files.createTempDirectory("jobexec-streams");
		service = ServiceProcess.start(dir, List.of(), "--jobexec.events.buffer=16",
				"--jobexec.events.poll-interval=50ms", "--jobexec.shutdown.drain-timeout=1s",
				"--jobexec.pools.process.kill-grace=1s");
	}

	@AfterAll
	void stop() {
		service.close();
		FileSystemUtils.deleteRecursively(dir.toFile());
	}

	/**
	 * Once the socket's buffers are full and the node has moved 16 changes past the
	 * client, it is dropped with a {@code dropped} event naming the id to resume from,
	 * and its stream ends: the service holds nothing more for it. Resuming from that id
	 * reads the rest from the store.
	 */
	@Test
	@Order(1)
	void aClientThatStopsReadingIsDroppedWithTheIdToResumeFromAndItsStreamEnds() throws Exception {
		{
			Api api = service.api();
			String run = "slow-" + UUID.randomUUID();
			URI base = URI.create(service.baseUrl());
			try (Socket socket = new Socket()) {
				// A small window: the service's writes block soon after the client stops
				// reading.
				socket.setReceiveBufferSize(1024);
				socket.connect(new java.net.InetSocketAddress(base.getHost(), base.getPort()), 5000);
				socket.setSoTimeout(60_000);
				OutputStream out = socket.getOutputStream();
				out.write(("GET /api/v1/events?label=run:" + run + " HTTP/1.1\r\nHost: localhost\r\nX-API-Key: "
						+ Api.KEY + "\r\nAccept: text/event-stream\r\n\r\n")
					.getBytes(StandardCharsets.US_ASCII));
				out.flush();
				InputStream in = socket.getInputStream();
				String head = readHead(in);
				assertThat(head).startsWith("HTTP/1.1 200").contains("text/event-stream");

				// Not read while 2,000 jobs of the run start and end (about 6,000
				// changes,
				// some hundreds of kilobytes of events).
				for (int batch = 0; batch < 2; batch++) {
					String jobs = IntStream.range(0, 1000)
						.mapToObj((i) -> "{\"task\":\"echo\",\"params\":{\"message\":\"" + "x".repeat(200)
								+ "\"},\"labels\":{\"run\":\"" + run + "\"}}")
						.collect(Collectors.joining(",", "{\"jobs\":[", "]}"));
					assertThat(api.postBatch(jobs, "Prefer", "wait=60").getStatus().value()).isEqualTo(200);
				}

				String stream = dechunked(readToEnd(in, Duration.ofSeconds(60)));
				assertThat(stream).contains("event:dropped");
				Matcher dropped = Pattern.compile("id:(\\d+)\nevent:dropped\ndata:(\\{[^\n]*})").matcher(stream);
				assertThat(dropped.find()).as(stream.substring(Math.max(0, stream.length() - 2000))).isTrue();
				String resumeFrom = dropped.group(1);
				assertThat(dropped.group(2)).contains("\"lastEventId\":\"" + resumeFrom + "\"")
					.contains("jobexec.events.buffer");
				assertThat(stream.substring(dropped.end())).as("nothing after the drop: the stream ended")
					.doesNotContain("event:job");

				// Resumed from the id it was given, a client reads the rest from the
				// store.
				List<Map<String, Object>> listed = api.listed("label=run:{run}&limit=500", run);
				assertThat(listed).isNotEmpty();
				try (dev.jobexec.support.SseStream resumed = dev.jobexec.support.SseStream.open(
						service.baseUrl() + "/api/v1/events?label=run:" + run + "&state=SUCCEEDED&timeout=PT20S",
						"Last-Event-ID", resumeFrom)) {
					List<dev.jobexec.support.SseStream.Event> rest = resumed.until((received) -> received.size() >= 1,
							Duration.ofSeconds(30));
					assertThat(rest).isNotEmpty();
					assertThat(rest).allSatisfy((event) -> assertThat(Long.parseLong(event.id()))
						.isGreaterThan(Long.parseLong(resumeFrom)));
				}
			}
		}
	}

	@Test
	@Order(2)
	void aGracefulStopEndsTheOpenStreamsInsteadOfWaitingForThem() throws Exception {
		{
			String id = service.api().submitId("{\"command\":[\"/bin/sleep\",\"300\"]}");
			service.api().awaitRunning(id);
			HttpResponse<java.io.InputStream> stream = http
				.send(HttpRequest.newBuilder(URI.create(service.baseUrl() + "/api/v1/jobs/" + id + "/output"))
					.header("X-API-Key", Api.KEY)
					.header("Accept", "text/event-stream")
					.GET()
					.build(), HttpResponse.BodyHandlers.ofInputStream());
			assertThat(stream.statusCode()).isEqualTo(200);
			long stopping = System.nanoTime();
			service.sigterm();
			// The stream ends at once, with a comment saying why; unended, it would hold
			// the stop for the whole shutdown phase (2 minutes).
			String rest = new String(stream.body().readAllBytes(), StandardCharsets.UTF_8);
			Duration ended = Duration.ofNanos(System.nanoTime() - stopping);
			assertThat(rest).contains(":the service is stopping; reconnect with Last-Event-ID");
			// 143: the JVM's exit after its shutdown hooks ran on SIGTERM.
			assertThat(service.awaitExit(Duration.ofSeconds(60))).isIn(0, 143);
			Duration exited = Duration.ofNanos(System.nanoTime() - stopping);
			assertThat(exited).as("stream ended after %s", ended).isLessThan(Duration.ofSeconds(10));
		}
	}

	private static String readHead(InputStream in) throws Exception {
		ByteArrayOutputStream head = new ByteArrayOutputStream();
		while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
			int b = in.read();
			if (b < 0) {
				break;
			}
			head.write(b);
		}
		return head.toString(StandardCharsets.US_ASCII);
	}

	/**
	 * Everything the service sends until it ends the chunked response (its last chunk),
	 * which the test requires: a stream cut or never ended fails here.
	 */
	private static byte[] readToEnd(InputStream in, Duration timeout) throws Exception {
		long deadline = System.nanoTime() + timeout.toNanos();
		ByteArrayOutputStream body = new ByteArrayOutputStream();
		byte[] buffer = new byte[65536];
		while (System.nanoTime() < deadline) {
			int read = in.read(buffer);
			if (read < 0) {
				break;
			}
			body.write(buffer, 0, read);
			if (body.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n0\r\n\r\n")) {
				return body.toByteArray();
			}
		}
		throw new AssertionError("the stream did not end with its last chunk: "
				+ body.toString(StandardCharsets.UTF_8).substring(Math.max(0, body.size() - 500)));
	}

	/** The body of a chunked HTTP/1.1 response. */
	private static String dechunked(byte[] raw) {
		ByteArrayOutputStream body = new ByteArrayOutputStream();
		int at = 0;
		while (true) {
			int lineEnd = indexOf(raw, at);
			int size = Integer.parseInt(new String(raw, at, lineEnd - at, StandardCharsets.US_ASCII).trim(), 16);
			if (size == 0) {
				return body.toString(StandardCharsets.UTF_8);
			}
			body.write(raw, lineEnd + 2, size);
			at = lineEnd + 2 + size + 2;
		}
	}

	private static int indexOf(byte[] bytes, int from) {
		for (int i = from; i < bytes.length - 1; i++) {
			if (bytes[i] == '\r' && bytes[i + 1] == '\n') {
				return i;
			}
		}
		throw new AssertionError("a chunk without its size line");
	}

}
