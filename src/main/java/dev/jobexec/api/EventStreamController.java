package dev.jobexec.api;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.jobexec.execution.TerminationReason;
import dev.jobexec.job.InvalidJobException;
import dev.jobexec.job.JobChangeFeed;
import dev.jobexec.job.JobState;
import dev.jobexec.job.JobStore;
import dev.jobexec.problem.Problems;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import lombok.extern.slf4j.Slf4j;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.ErrorResponseException;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

import static dev.jobexec.api.OpenApiConfiguration.PROBLEM_JSON;

/**
 * The job event stream, {@code as_completed} over HTTP: the state changes of jobs on
 * every node as Server-Sent Events, filtered like the listing, each with the store's
 * number of the change as its id, so that a client that reconnects with
 * {@code Last-Event-ID} goes on where it was.
 */
@Slf4j
@RestController
@Tag(name = "Jobs")
class EventStreamController {

	/** A comment this often keeps proxies from closing a quiet stream. */
	private static final Duration HEARTBEAT = Duration.ofSeconds(15);

	/** The longest one stream stays open; the client reconnects with Last-Event-ID. */
	private static final Duration MAX_STREAM = Duration.ofHours(1);

	private final JobChangeFeed feed;

	private final JsonMapper json;

	private final OpenStreams streams;

	EventStreamController(JobChangeFeed feed, JsonMapper json, OpenStreams streams) {
		this.streams = streams;
		this.feed = feed;
		this.json = json;
	}

	@GetMapping(path = "/api/v1/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
	@Operation(operationId = "followJobEvents", summary = "Follow job state changes (Server-Sent Events)",
			description = "Events `job`, each with data `{\"id\", \"state\", \"pool\", \"labels\", \"node\", "
					+ "\"submittedAt\", \"startedAt\", \"finishedAt\", \"exitCode\", \"signal\", "
					+ "\"terminationReason\", \"attempt\", \"nextAttemptAt\"}` (absent fields are null; `attempt` only "
					+ "for a job that may be retried, `nextAttemptAt` while it is QUEUED for its next attempt), for the jobs that match `state`, `pool` and "
					+ "`label`, from every node of a cluster. The id of each event is the number of the change, "
					+ "increasing across the cluster in the order the changes were committed; a job's changes "
					+ "that come closer together than they are read (jobexec.events.poll-interval) may come as one, "
					+ "its latest state, and the last one always comes. Without `Last-Event-ID` (or `after`) the "
					+ "stream starts now; with it, it goes on after that change, from the store while it holds "
					+ "the jobs (retention). A client that falls further behind than the node keeps "
					+ "(jobexec.events.buffer changes) gets a `dropped` event with the id to resume from, and the "
					+ "stream ends. The stream ends after `timeout` (an hour at most).")
	@ApiResponse(responseCode = "200", description = "The event stream",
			content = @Content(mediaType = MediaType.TEXT_EVENT_STREAM_VALUE, schema = @Schema(type = "string",
					example = "id: 1764662400123456\nevent: job\ndata: {\"id\":\"01J…\",\"state\":\"SUCCEEDED\","
							+ "\"pool\":\"process\",\"labels\":{\"batch\":\"b1\"},\"exitCode\":0,…}\n\n")))
	@ApiResponse(responseCode = "400", description = "An invalid filter, or an id that is not a change number",
			content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
	@ApiResponse(responseCode = "503",
			description = "This node already serves jobexec.events.max-subscribers streams; try another node or later",
			content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
	ResponseEntity<SseEmitter> events(
			@Parameter(description = "The id of the last event received") @RequestHeader(name = "Last-Event-ID",
					required = false) String lastEventId,
			@Parameter(description = "Start after this change number (`0`: every change the store holds); "
					+ "Last-Event-ID wins") @RequestParam(required = false) String after,
			@Parameter(description = "Only changes to this state",
					schema = @Schema(implementation = JobState.class)) @RequestParam(required = false) String state,
			@Parameter(description = "Only jobs of this pool, such as `process`") @RequestParam(
					required = false) String pool,
			@Parameter(description = "`key:value`; repeat to require several labels",
					array = @ArraySchema(schema = @Schema(example = "team:reports"))) @RequestParam(name = "label",
							required = false) List<String> labels,
			@Parameter(description = "ISO-8601 duration after which the stream ends (at most and by default "
					+ "PT1H), such as `PT30S`; reconnect with Last-Event-ID to go on") @RequestParam(
							required = false) String timeout) {
		Duration length = length(timeout);
		Long start = position((lastEventId != null) ? "Last-Event-ID" : "after",
				(lastEventId != null) ? lastEventId : after);
		JobStore.Query filter = new JobStore.Query(JobController.parseState(state), pool,
				JobController.parseLabels(labels), 0, null);
		JobChangeFeed.Subscription subscription = feed.subscribe(start, filter)
			.orElseThrow(() -> new ErrorResponseException(HttpStatus.SERVICE_UNAVAILABLE,
					Problems.problem(HttpStatus.SERVICE_UNAVAILABLE, "too-many-streams", "Too many event streams",
							"this node serves as many event streams as jobexec.events.max-subscribers allows; "
									+ "follow another node's or retry later"),
					null));
		// The stream ends itself at its length; the emitter's own timeout is a backstop.
		OpenStreams.Stream stream = streams.open(length.plusSeconds(30));
		SseEmitter emitter = stream.emitter();
		if (stream.ended()) {
			subscription.close();
			return ResponseEntity.ok(emitter);
		}
		Thread.ofVirtual().name("jobexec-events-client").start(() -> {
			try (subscription) {
				follow(subscription, emitter, stream, System.nanoTime() + length.toNanos());
				emitter.complete();
			}
			catch (IOException | IllegalStateException ex) {
				// The client went away (or the stream timed out): nothing to tell it.
				log.debug("Event stream ended: {}", ex.toString());
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				emitter.complete();
			}
			catch (RuntimeException ex) {
				log.warn("Event stream failed", ex);
				emitter.completeWithError(ex);
			}
		});
		return ResponseEntity.ok(emitter);
	}

	private void follow(JobChangeFeed.Subscription subscription, SseEmitter emitter, OpenStreams.Stream stream,
			long until) throws IOException, InterruptedException {
		long lastSent = subscription.position();
		// At once, so that the client has the response's headers before the first change.
		emitter.send(SseEmitter.event().comment("job state changes after " + lastSent));
		long quietSince = System.nanoTime();
		while (!stream.ended()) {
			long left = until - System.nanoTime();
			if (left <= 0) {
				emitter.send(SseEmitter.event().comment("the stream's time is up; reconnect with Last-Event-ID"));
				return;
			}
			List<JobStore.Change> changes;
			try {
				changes = subscription.next(Duration.ofNanos(Math.min(left, Duration.ofSeconds(1).toNanos())));
			}
			catch (JobChangeFeed.FellBehind ex) {
				emitter.send(SseEmitter.event()
					.id(Long.toString(lastSent))
					.name("dropped")
					.data(json.writeValueAsString(Map.of("reason",
							"this client read more slowly than the jobs changed and fell further behind than "
									+ "this node keeps (jobexec.events.buffer); reconnect with Last-Event-ID to "
									+ "go on from the store",
							"lastEventId", Long.toString(lastSent)))));
				return;
			}
			for (JobStore.Change change : changes) {
				emitter.send(SseEmitter.event()
					.id(Long.toString(change.seq()))
					.name("job")
					.data(json.writeValueAsString(JobChangeView.of(change))));
				lastSent = change.seq();
			}
			if (!changes.isEmpty()) {
				quietSince = System.nanoTime();
			}
			else if (System.nanoTime() - quietSince > HEARTBEAT.toNanos()) {
				emitter.send(SseEmitter.event().comment("no change"));
				quietSince = System.nanoTime();
			}
		}
	}

	private static Duration length(String timeout) {
		if (timeout == null) {
			return MAX_STREAM;
		}
		try {
			Duration length = Duration.parse(timeout.strip());
			if (!length.isNegative() && !length.isZero() && length.compareTo(MAX_STREAM) <= 0) {
				return length;
			}
		}
		catch (java.time.format.DateTimeParseException ex) {
			// below
		}
		throw InvalidJobException.of("timeout",
				"must be an ISO-8601 duration from PT0.001S to " + MAX_STREAM + ", such as PT30S");
	}

	private static Long position(String name, String value) {
		if (value == null) {
			return null;
		}
		try {
			long position = Long.parseLong(value.strip());
			if (position >= 0) {
				return position;
			}
		}
		catch (NumberFormatException ex) {
			// below
		}
		throw InvalidJobException.of(name, "must be the id of an event of this stream (a change number), was '"
				+ ((value.length() > 40) ? value.substring(0, 40) + "…" : value) + "'");
	}

	/** The data of a {@code job} event. */
	@JsonInclude(JsonInclude.Include.NON_NULL)
	record JobChangeView(String id, JobState state, String pool, Map<String, String> labels, String node,
			Instant submittedAt, Instant startedAt, Instant finishedAt, Integer exitCode, Integer signal,
			TerminationReason terminationReason, Integer attempt, Instant nextAttemptAt) {

		static JobChangeView of(JobStore.Change change) {
			return new JobChangeView(change.id(), change.state(), change.pool(), change.labels(), change.node(),
					change.submittedAt(), change.startedAt(), change.finishedAt(), change.exitCode(), change.signal(),
					change.terminationReason(), change.attempt(), change.nextAttemptAt());
		}

	}

}
