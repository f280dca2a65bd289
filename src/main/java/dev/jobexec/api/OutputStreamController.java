package dev.jobexec.api;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.jobexec.execution.CapturedOutput;
import dev.jobexec.execution.OutputFiles;
import dev.jobexec.job.InvalidJobException;
import dev.jobexec.job.Job;
import dev.jobexec.job.JobService;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import lombok.extern.slf4j.Slf4j;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

import static dev.jobexec.api.ApiExamples.REF;
import static dev.jobexec.api.OpenApiConfiguration.PROBLEM_JSON;

/**
 * A job's output as it happens, as Server-Sent Events: chunks of stdout and stderr read
 * from the job's output files while it runs, each with the byte offsets reached in both
 * streams as its id, so that a client that reconnects with {@code Last-Event-ID} goes on
 * without a gap or a duplicate; an {@code end} event with the job once it has ended.
 */
@Slf4j
@RestController
@RequestMapping("/api/v1/jobs")
@Tag(name = "Jobs")
class OutputStreamController {

	/** {@code <stdout offset>:<stderr offset>}, the id of every event. */
	private static final Pattern POSITION = Pattern.compile("(\\d{1,18}):(\\d{1,18})(?::([1-9]\\d{0,8}))?");

	/** The most bytes one event carries. */
	private static final int CHUNK = 64 * 1024;

	/** How often a running job's files are looked at for more. */
	private static final Duration POLL = Duration.ofMillis(100);

	/** How often a job without output files here is looked at. */
	private static final Duration WAIT_FOR_FILE = Duration.ofSeconds(1);

	/** A comment this often keeps proxies from closing a quiet stream. */
	private static final Duration HEARTBEAT = Duration.ofSeconds(15);

	/** The longest one stream stays open; the client reconnects with Last-Event-ID. */
	private static final Duration MAX_STREAM = Duration.ofHours(1);

	private final JobService jobs;

	private final OutputFiles outputFiles;

	private final JsonMapper json;

	private final OpenStreams streams;

	private final OutputLocation location;

	OutputStreamController(JobService jobs, OutputFiles outputFiles, JsonMapper json, OutputLocation location,
			OpenStreams streams) {
		this.streams = streams;
		this.jobs = jobs;
		this.outputFiles = outputFiles;
		this.json = json;
		this.location = location;
	}

	@GetMapping(path = "/{id}/output", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
	@Operation(operationId = "followJobOutput", summary = "Follow a job's output (Server-Sent Events)",
			description = "Events `stdout` and `stderr`, each with data `{\"stream\", \"offset\", \"text\"}` (the "
					+ "bytes from `offset`, decoded as UTF-8, invalid bytes as U+FFFD) and the id "
					+ "`<stdout offset>:<stderr offset>` reached after it; then `end` with the job (without its "
					+ "text). Resume with `Last-Event-ID` (or `?from=`): the stream goes on from those offsets, with "
					+ "no gap and no duplicate. A process job's output is read from its output file on the node "
					+ "that runs it, while it runs and after (up to jobexec.process.max-output-file); any other "
					+ "node redirects there (307) while that node is live. Without a file (thread jobs, a node "
					+ "that is gone, swept files), the head and tail the store keeps are sent once the job has "
					+ "ended, from offset 0 only. A retried job: when a later attempt starts, an `attempt` event "
					+ "(data `{\"attempt\", \"node\"}`, id `0:0:<attempt>`) comes before its output, whose ids end "
					+ "in `:<attempt>`; if that attempt runs on another node, the stream ends after the event and a "
					+ "reconnect with its id is redirected there.")
	@ApiResponse(responseCode = "200", description = "The event stream",
			content = @Content(mediaType = MediaType.TEXT_EVENT_STREAM_VALUE,
					schema = @Schema(type = "string",
							example = "id: 6:0\nevent: stdout\ndata: {\"stream\":\"stdout\",\"offset\":0,"
									+ "\"text\":\"hello\\n\"}\n\nid: 6:0\nevent: end\ndata: {\"id\":\"…\","
									+ "\"state\":\"SUCCEEDED\",…}\n\n")))
	@ApiResponse(responseCode = "400",
			description = "A position that is not `<stdout offset>:<stderr offset>[:<attempt>]`",
			content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
	@ApiResponse(responseCode = "404", description = "No such job",
			content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = Problem.class),
					examples = @ExampleObject(name = "job-not-found", ref = REF + "job-not-found")))
	@ApiResponse(responseCode = "307",
			description = "Cluster mode: the job runs (or ran) on another live node, whose advertised URL is in "
					+ "Location (with the position as `from`); follow it with the same API key")
	ResponseEntity<SseEmitter> output(@PathVariable String id,
			@Parameter(description = "The id of the last event received") @RequestHeader(name = "Last-Event-ID",
					required = false) String lastEventId,
			@Parameter(description = "Where to start, as an event id; Last-Event-ID wins") @RequestParam(
					required = false) String from) {
		long[] start = position((lastEventId != null) ? "Last-Event-ID" : "from",
				(lastEventId != null) ? lastEventId : from);
		Job job = jobs.get(id);
		Optional<String> runningAt = location.otherNode(job);
		if (runningAt.isPresent()) {
			return ResponseEntity.status(HttpStatus.TEMPORARY_REDIRECT)
				.location(URI.create(runningAt.get() + "/api/v1/jobs/" + job.id() + "/output?from=" + id(start)))
				.build();
		}
		// Events sent before Spring MVC has set the response up (a few milliseconds) are
		// held by the emitter until then; after that each send writes through, and waits
		// for a slow client.
		OpenStreams.Stream stream = streams.open(MAX_STREAM);
		SseEmitter emitter = stream.emitter();
		if (stream.ended()) {
			return ResponseEntity.ok(emitter);
		}
		Thread.ofVirtual().name("jobexec-output-" + id).start(() -> {
			try {
				follow(job.id(), start, emitter, stream);
				emitter.complete();
			}
			catch (IOException | IllegalStateException ex) {
				// The client went away (or the stream timed out): nothing to tell it.
				log.debug("Output stream of job {} ended: {}", id, ex.toString());
			}
			catch (RuntimeException ex) {
				log.warn("Output stream of job {} failed", id, ex);
				emitter.completeWithError(ex);
			}
		});
		return ResponseEntity.ok(emitter);
	}

	private void follow(String id, long[] position, SseEmitter emitter, OpenStreams.Stream stream) throws IOException {
		long quietSince = System.nanoTime();
		while (!stream.ended()) {
			// The state first: once it is terminal, the files are complete.
			Job job = jobs.get(id);
			boolean ended = job.state().isTerminal();
			int attempt = job.outputAttempt();
			int following = (int) position[2];
			// An attempt followed, and no longer the job's latest, has ended: its files
			// are complete.
			boolean done = ended || attempt > following;
			Optional<Path> stdout = outputFiles.find(id, following, "stdout");
			Optional<Path> stderr = outputFiles.find(id, following, "stderr");
			if (send("stdout", 0, stdout, position, done, emitter)
					| send("stderr", 1, stderr, position, done, emitter)) {
				quietSince = System.nanoTime();
				continue;
			}
			if (attempt > following) {
				// A later attempt has started: its output follows, from its first byte.
				String node = job.outputNode();
				Map<String, Object> data = new LinkedHashMap<>();
				data.put("attempt", attempt);
				data.put("node", node);
				position[0] = 0;
				position[1] = 0;
				position[2] = attempt;
				emitter.send(SseEmitter.event().id(id(position)).name("attempt").data(json.writeValueAsString(data)));
				if (location.isOtherNode(node)) {
					// Its files are on that node: the client reconnects (and is
					// redirected there).
					return;
				}
				continue;
			}
			if (ended) {
				if (stdout.isEmpty() && stderr.isEmpty()) {
					stored(job, position, emitter);
				}
				end(job, position, emitter);
				return;
			}
			if (System.nanoTime() - quietSince > HEARTBEAT.toNanos()) {
				emitter.send(SseEmitter.event().comment("still running"));
				quietSince = System.nanoTime();
			}
			try {
				// A job with no file here yet (queued, or running on another node, whose
				// state is read from the store) is looked at less often.
				Thread.sleep((stdout.isEmpty() && stderr.isEmpty()) ? WAIT_FOR_FILE : POLL);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
		}
	}

	/**
	 * Sends what {@code file} holds past the stream's position, one chunk; a chunk of a
	 * job still running ends before a UTF-8 sequence its last bytes only begin.
	 */
	private boolean send(String stream, int index, Optional<Path> file, long[] position, boolean ended,
			SseEmitter emitter) throws IOException {
		if (file.isEmpty()) {
			return false;
		}
		try {
			if (java.nio.file.Files.size(file.get()) <= position[index]) {
				return false;
			}
		}
		catch (java.nio.file.NoSuchFileException ex) {
			// Deleted meanwhile: a later attempt started here, or the retention swept it.
			return false;
		}
		byte[] bytes;
		try (RandomAccessFile in = openOrNull(file.get())) {
			if (in == null) {
				return false;
			}
			long size = in.length();
			bytes = new byte[(int) Math.min(CHUNK, size - position[index])];
			in.seek(position[index]);
			in.readFully(bytes);
			boolean more = !ended || position[index] + bytes.length < size;
			int whole = more ? wholeCharacters(bytes) : bytes.length;
			if (whole == 0) {
				return false;
			}
			bytes = java.util.Arrays.copyOf(bytes, whole);
		}
		long offset = position[index];
		position[index] += bytes.length;
		Map<String, Object> data = new LinkedHashMap<>();
		data.put("stream", stream);
		data.put("offset", offset);
		// The String constructor decodes invalid bytes as U+FFFD.
		data.put("text", new String(bytes, StandardCharsets.UTF_8));
		emitter.send(SseEmitter.event().id(id(position)).name(stream).data(json.writeValueAsString(data)));
		return true;
	}

	/** The file to read, or null when it has just been deleted. */
	private static RandomAccessFile openOrNull(Path file) {
		try {
			return new RandomAccessFile(file.toFile(), "r");
		}
		catch (java.io.FileNotFoundException ex) {
			return null;
		}
	}

	/** Without a file here: the head and tail the store keeps, once, from the start. */
	private void stored(Job job, long[] position, SseEmitter emitter) throws IOException {
		if (position[0] != 0 || position[1] != 0) {
			return;
		}
		for (String stream : new String[] { "stdout", "stderr" }) {
			CapturedOutput output = stream.equals("stdout") ? job.stdout() : job.stderr();
			if (output == null || output.text().isEmpty()) {
				continue;
			}
			Map<String, Object> data = new LinkedHashMap<>();
			data.put("stream", stream);
			data.put("offset", 0);
			data.put("text", output.text());
			data.put("truncated", output.truncated());
			emitter.send(SseEmitter.event().name(stream).data(json.writeValueAsString(data)));
		}
	}

	private void end(Job job, long[] position, SseEmitter emitter) throws IOException {
		emitter.send(
				SseEmitter.event().id(id(position)).name("end").data(json.writeValueAsString(JobView.of(job, false))));
	}

	/**
	 * The id of a position: {@code <stdout offset>:<stderr offset>} in the first attempt,
	 * {@code <stdout offset>:<stderr offset>:<attempt>} in a later one.
	 */
	private static String id(long[] position) {
		return position[0] + ":" + position[1] + ((position[2] > 1) ? ":" + position[2] : "");
	}

	private static long[] position(String name, String value) {
		if (value == null || value.isBlank()) {
			return new long[] { 0, 0, 1 };
		}
		Matcher matcher = POSITION.matcher(value.trim());
		if (!matcher.matches()) {
			throw InvalidJobException.of(name, "must be an event id of this stream: <stdout offset>:<stderr offset>, "
					+ "such as 1024:0, with :<attempt> after a retry, such as 0:0:2");
		}
		return new long[] { Long.parseLong(matcher.group(1)), Long.parseLong(matcher.group(2)),
				(matcher.group(3) != null) ? Long.parseLong(matcher.group(3)) : 1 };
	}

	/** How many leading bytes end on a whole UTF-8 character. */
	static int wholeCharacters(byte[] bytes) {
		int end = bytes.length;
		// At most three bytes back: the start of a sequence, if one is cut.
		for (int i = end - 1; i >= Math.max(0, end - 4); i--) {
			int b = bytes[i] & 0xff;
			if (b < 0x80) {
				return end;
			}
			if (b >= 0xc0) {
				int length = (b >= 0xf0) ? 4 : (b >= 0xe0) ? 3 : 2;
				return (i + length <= end) ? end : i;
			}
		}
		return end;
	}

}
