package dev.jobexec.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import tools.jackson.databind.json.JsonMapper;

/**
 * A real Server-Sent Events client (the JDK's HTTP client, read line by line on its own
 * thread) for streams that do not end by themselves: the test takes events as they come,
 * with a deadline, and closes the connection as a client that goes away.
 */
public final class SseStream implements AutoCloseable {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	/** One event: its id (null when it had none), name and JSON data. */
	public record Event(String id, String name, Map<String, Object> data) {
	}

	private static final Event END = new Event(null, "(end of stream)", Map.of());

	private final HttpResponse<InputStream> response;

	private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();

	private final List<String> comments = java.util.Collections.synchronizedList(new ArrayList<>());

	private volatile boolean ended;

	private SseStream(HttpResponse<InputStream> response) {
		this.response = response;
		if (response.statusCode() == 200) {
			Thread.ofVirtual().start(this::readLines);
		}
	}

	/**
	 * Opens {@code url} with the test API key and {@code headers} (name, value, ...).
	 */
	public static SseStream open(String url, String... headers) throws IOException, InterruptedException {
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
			.header("X-API-Key", Api.KEY)
			.header("Accept", "text/event-stream");
		for (int i = 0; i < headers.length; i += 2) {
			request.header(headers[i], headers[i + 1]);
		}
		return new SseStream(HTTP.send(request.GET().build(), HttpResponse.BodyHandlers.ofInputStream()));
	}

	public int status() {
		return response.statusCode();
	}

	public String contentType() {
		return response.headers().firstValue("Content-Type").orElse("");
	}

	/** The body of an answer that is not a stream (a problem). */
	public String body() throws IOException {
		return new String(response.body().readAllBytes(), StandardCharsets.UTF_8);
	}

	/**
	 * The events that come until {@code last} accepts one (included), or fails when none
	 * does within {@code timeout} or the stream ends first.
	 */
	public List<Event> until(Predicate<List<Event>> last, Duration timeout) throws InterruptedException {
		List<Event> received = new ArrayList<>();
		long deadline = System.nanoTime() + timeout.toNanos();
		while (true) {
			Event event = events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
			if (event == null || event == END) {
				throw new AssertionError(((event == null) ? "no such event within " + timeout : "the stream ended")
						+ "; received " + received);
			}
			received.add(event);
			if (last.test(received)) {
				return received;
			}
		}
	}

	/** The events that come within {@code period} (none is an empty list). */
	public List<Event> during(Duration period) throws InterruptedException {
		List<Event> received = new ArrayList<>();
		long deadline = System.nanoTime() + period.toNanos();
		for (Event event; (event = events.poll(Math.max(0, deadline - System.nanoTime()),
				TimeUnit.NANOSECONDS)) != null;) {
			if (event == END) {
				events.add(END);
				break;
			}
			received.add(event);
		}
		return received;
	}

	/** Whether the server ended the stream. */
	public boolean ended() {
		return ended;
	}

	/** The comments received so far. */
	public List<String> comments() {
		return List.copyOf(comments);
	}

	@Override
	public void close() throws IOException {
		response.body().close();
	}

	private void readLines() {
		try (BufferedReader lines = new BufferedReader(
				new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
			String id = null;
			String name = "message";
			StringBuilder data = new StringBuilder();
			for (String line; (line = lines.readLine()) != null;) {
				if (line.isEmpty()) {
					if (!data.isEmpty()) {
						events.add(new Event(id, name, Api.map(JSON.readValue(data.toString(), Map.class))));
					}
					id = null;
					name = "message";
					data.setLength(0);
				}
				else if (line.startsWith(":")) {
					comments.add(line.substring(1));
				}
				else if (line.startsWith("id:")) {
					id = line.substring(3).trim();
				}
				else if (line.startsWith("event:")) {
					name = line.substring(6).trim();
				}
				else if (line.startsWith("data:")) {
					data.append(line.substring(5).stripLeading());
				}
			}
		}
		catch (IOException ex) {
			// closed by the test
		}
		finally {
			ended = true;
			events.add(END);
		}
	}

}
