package dev.jobexec.api;

import java.net.URI;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.jobexec.execution.CapturedOutput;
import dev.jobexec.execution.OutputFiles;
import dev.jobexec.job.InvalidJobException;
import dev.jobexec.job.Job;
import dev.jobexec.job.JobRequest;
import dev.jobexec.job.JobService;
import dev.jobexec.job.JobState;
import dev.jobexec.job.JobStore;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.validation.Valid;
import lombok.RequiredArgsConstructor;

import org.springframework.core.io.FileSystemResource;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.support.ServletUriComponentsBuilder;

import static dev.jobexec.api.ApiExamples.REF;
import static dev.jobexec.api.OpenApiConfiguration.PROBLEM_JSON;

/** The job API: submit, look up, long-poll, list, cancel, and read captured output. */
@RestController
@RequestMapping("/api/v1/jobs")
@RequiredArgsConstructor
@Tag(name = "Jobs", description = "Submit jobs, follow them, cancel them, read their output")
class JobController {

	/** The longest a client may hold a request open waiting for a job. */
	static final Duration MAX_WAIT = Duration.ofMinutes(5);

	private static final Pattern PREFER_WAIT = Pattern.compile("(?:^|[,;\\s])wait\\s*=\\s*(\\d{1,9})");

	private static final int MAX_LIMIT = 500;

	/**
	 * Marks the answer to a retried submission (not part of the Idempotency-Key draft).
	 */
	private static final String REPLAYED = "Idempotency-Replayed";

	private static final String REPLAYED_DESCRIPTION = "`true` when this answers a retry: the job is the one "
			+ "an earlier request with the same `Idempotency-Key` created";

	private final JobService jobs;

	private final SubmissionForwarder forwarder;

	private final OutputFiles outputFiles;

	private final OutputLocation location;

	@PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE, produces = MediaType.APPLICATION_JSON_VALUE)
	@Operation(operationId = "submitJob", summary = "Submit a job",
			description = "Stores the job as QUEUED and hands it to its pool: 202 with the job. With `Prefer: wait=N` "
					+ "(RFC 7240) the answer waits up to N seconds (at most 300) and is 200 with the finished job "
					+ "if it ended in time. With an `Idempotency-Key`, a retry with the same key and the same "
					+ "request answers the job the first one created, as it is now, with `Idempotency-Replayed: "
					+ "true`; the same key with another request is 422.",
			requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(content = @Content(
					schema = @Schema(implementation = JobRequest.class),
					examples = { @ExampleObject(name = "process", summary = "A process job",
							value = "{\"command\": [\"/bin/sh\", \"-c\", \"echo hello; sleep 1\"], \"timeout\": \"PT30S\", \"labels\": {\"team\": \"reports\"}}"),
							@ExampleObject(name = "task", summary = "A thread job running the sleep task",
									value = "{\"task\": \"sleep\", \"params\": {\"duration\": \"PT2S\"}}"),
							@ExampleObject(name = "stdin-env", summary = "stdin and environment",
									value = "{\"command\": [\"/bin/sh\", \"-c\", \"cat; echo $GREETING\"], \"stdin\": \"from stdin\\n\", \"env\": {\"GREETING\": \"hello\"}}") })))
	@ApiResponse(responseCode = "202", description = "Accepted; `Location` names the job",
			headers = { @Header(name = "Location", description = "The job's URL", schema = @Schema(format = "uri")),
					@Header(name = REPLAYED, description = REPLAYED_DESCRIPTION, schema = @Schema(type = "boolean")) },
			content = @Content(mediaType = MediaType.APPLICATION_JSON_VALUE,
					schema = @Schema(implementation = JobView.class),
					examples = @ExampleObject(name = "process-accepted", ref = REF + "process-accepted")))
	@ApiResponse(responseCode = "200", description = "Finished within `Prefer: wait`",
			headers = { @Header(name = "Location", description = "The job's URL", schema = @Schema(format = "uri")),
					@Header(name = "Preference-Applied", description = "`wait=N`", schema = @Schema(type = "string")),
					@Header(name = REPLAYED, description = REPLAYED_DESCRIPTION, schema = @Schema(type = "boolean")) },
			content = @Content(mediaType = MediaType.APPLICATION_JSON_VALUE,
					schema = @Schema(implementation = JobView.class),
					examples = { @ExampleObject(name = "process-succeeded", ref = REF + "process-succeeded"),
							@ExampleObject(name = "task-succeeded", ref = REF + "task-succeeded") }))
	@ApiResponse(responseCode = "400", description = "Invalid body or `Idempotency-Key`; `errors` names each field",
			content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = Problem.class),
					examples = @ExampleObject(name = "invalid-request", ref = REF + "invalid-request")))
	@ApiResponse(responseCode = "403", description = "Command not allowed",
			content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = Problem.class),
					examples = @ExampleObject(name = "command-not-allowed", ref = REF + "command-not-allowed")))
	@ApiResponse(responseCode = "404", description = "Unknown pool or task",
			content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = Problem.class),
					examples = { @ExampleObject(name = "unknown-pool", ref = REF + "unknown-pool"),
							@ExampleObject(name = "unknown-task", ref = REF + "unknown-task") }))
	@ApiResponse(responseCode = "413", description = "Body larger than `jobexec.limits.max-request-size`",
			content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = Problem.class),
					examples = @ExampleObject(name = "request-too-large", ref = REF + "request-too-large")))
	@ApiResponse(responseCode = "422",
			description = "The `Idempotency-Key` was first sent with another request; `jobId` is the job it created",
			content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = Problem.class),
					examples = @ExampleObject(name = "idempotency-key-reused", ref = REF + "idempotency-key-reused")))
	@ApiResponse(responseCode = "429", description = "Queue full; retry after `Retry-After` seconds",
			headers = @Header(name = "Retry-After", schema = @Schema(type = "integer")),
			content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = Problem.class),
					examples = @ExampleObject(name = "queue-full", ref = REF + "queue-full")))
	@ApiResponse(responseCode = "503",
			description = "Shutting down, or the job store cannot be written; retry after `Retry-After` seconds",
			headers = @Header(name = "Retry-After", schema = @Schema(type = "integer")),
			content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = Problem.class),
					examples = { @ExampleObject(name = "shutting-down", ref = REF + "shutting-down"),
							@ExampleObject(name = "store-unavailable", ref = REF + "store-unavailable") }))
	ResponseEntity<JobView> submit(@Valid @RequestBody JobRequest request, @Parameter(
			description = "`wait=N`, such as `wait=10`: answer once the job has ended, or after N seconds (at most "
					+ "300) with 202 as usual") @RequestHeader(name = "Prefer", required = false) String prefer,
			@Parameter(description = "A key the client makes up for this job, such as a UUID: 1 to 255 printable "
					+ "ASCII characters, bare or as a structured-field string (`\"...\"`). A retry with the same "
					+ "key and request gets the same job; keys are shared by every API key and are kept as long "
					+ "as their job", schema = @Schema(maxLength = 255)) @RequestHeader(name = "Idempotency-Key",
							required = false) String idempotencyKey,
			HttpServletRequest incoming) {
		Optional<String> servingNode = forwarder.servingNode(request, incoming);
		if (servingNode.isPresent()) {
			Duration wait = preferredWait(prefer);
			return forwarder.forward(servingNode.get(), request, incoming, (wait != null) ? wait : Duration.ZERO);
		}
		JobService.Submission submission = jobs.submit(request, idempotencyKey);
		Job job = submission.job();
		URI location = ServletUriComponentsBuilder.fromCurrentRequestUri()
			.path("/{id}")
			.buildAndExpand(job.id())
			.toUri();
		HttpHeaders headers = new HttpHeaders();
		headers.setLocation(location);
		if (submission.replayed()) {
			headers.set(REPLAYED, "true");
		}
		Duration wait = preferredWait(prefer);
		if (wait != null) {
			Job ended = jobs.await(job, wait);
			if (ended.state().isTerminal()) {
				headers.set("Preference-Applied", "wait=" + wait.toSeconds());
				return ResponseEntity.ok().headers(headers).body(JobView.of(ended, true));
			}
		}
		return ResponseEntity.accepted().headers(headers).body(JobView.of(job, true));
	}

	@GetMapping(path = "/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
	@Operation(operationId = "getJob", summary = "Get a job",
			description = "With `wait`, holds the request until the job ends or the wait "
					+ "elapses (long poll, at most PT5M); waiting never cancels the job.")
	@ApiResponse(responseCode = "200", description = "The job",
			content = @Content(mediaType = MediaType.APPLICATION_JSON_VALUE,
					schema = @Schema(implementation = JobView.class),
					examples = { @ExampleObject(name = "process-succeeded", ref = REF + "process-succeeded"),
							@ExampleObject(name = "task-succeeded", ref = REF + "task-succeeded") }))
	@ApiResponse(responseCode = "400", description = "`wait` is not an ISO-8601 duration",
			content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = Problem.class),
					examples = @ExampleObject(name = "invalid-request", ref = REF + "invalid-request")))
	@ApiResponse(responseCode = "404", description = "No such job",
			content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = Problem.class),
					examples = @ExampleObject(name = "job-not-found", ref = REF + "job-not-found")))
	JobView get(@PathVariable String id,
			@Parameter(description = "ISO-8601 duration to wait for the job to end, such as `PT30S`") @RequestParam(
					required = false) String wait) {
		Duration duration = (wait != null) ? parseWait(wait) : Duration.ZERO;
		return JobView.of(jobs.await(id, duration), true);
	}

	@GetMapping(produces = MediaType.APPLICATION_JSON_VALUE)
	@Operation(operationId = "listJobs", summary = "List jobs",
			description = "Newest first, filtered by state, pool and labels; page with "
					+ "`limit` and the `nextCursor` of the previous page. Listed jobs carry output sizes, not output text.")
	@ApiResponse(responseCode = "200", description = "A page of jobs",
			content = @Content(mediaType = MediaType.APPLICATION_JSON_VALUE,
					schema = @Schema(implementation = JobPage.class),
					examples = @ExampleObject(name = "job-page", ref = REF + "job-page")))
	@ApiResponse(responseCode = "400", description = "Invalid filter or cursor",
			content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = Problem.class),
					examples = @ExampleObject(name = "invalid-request", ref = REF + "invalid-request")))
	JobPage list(
			@Parameter(description = "Only jobs in this state",
					schema = @Schema(implementation = JobState.class)) @RequestParam(required = false) String state,
			@Parameter(description = "Only jobs of this pool, such as `process`") @RequestParam(
					required = false) String pool,
			@Parameter(description = "`key:value`; repeat to require several labels",
					array = @ArraySchema(schema = @Schema(example = "team:reports"))) @RequestParam(name = "label",
							required = false) List<String> labels,
			@Parameter(description = "Page size",
					schema = @Schema(type = "integer", format = "int32", minimum = "1", maximum = "" + MAX_LIMIT,
							defaultValue = "50")) @RequestParam(defaultValue = "50") int limit,
			@Parameter(description = "`nextCursor` of the previous page") @RequestParam(
					required = false) String cursor) {
		if (limit < 1 || limit > MAX_LIMIT) {
			throw InvalidJobException.of("limit", "must be between 1 and " + MAX_LIMIT);
		}
		JobStore.Query query = new JobStore.Query(parseState(state), pool, parseLabels(labels), limit + 1, cursor);
		List<Job> found = jobs.list(query);
		boolean more = found.size() > limit;
		List<Job> page = more ? found.subList(0, limit) : found;
		return new JobPage(page.stream().map((job) -> JobView.of(job, false)).toList(),
				more ? page.get(page.size() - 1).id() : null);
	}

	@DeleteMapping(path = "/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
	@Operation(operationId = "cancelJob", summary = "Cancel a job",
			description = "A queued job never starts; a running one goes down the "
					+ "termination ladder (SIGTERM to its process group, kill-grace, SIGKILL; or interruption for a task).")
	@ApiResponse(responseCode = "200", description = "Cancelled",
			content = @Content(mediaType = MediaType.APPLICATION_JSON_VALUE,
					schema = @Schema(implementation = JobView.class),
					examples = @ExampleObject(name = "cancelled", ref = REF + "cancelled")))
	@ApiResponse(responseCode = "202", description = "The termination ladder is running; poll the job",
			content = @Content(mediaType = MediaType.APPLICATION_JSON_VALUE,
					schema = @Schema(implementation = JobView.class),
					examples = @ExampleObject(name = "cancelling", ref = REF + "cancelling")))
	@ApiResponse(responseCode = "404", description = "No such job",
			content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = Problem.class),
					examples = @ExampleObject(name = "job-not-found", ref = REF + "job-not-found")))
	@ApiResponse(responseCode = "409", description = "Already finished",
			content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = Problem.class),
					examples = @ExampleObject(name = "job-finished", ref = REF + "job-finished")))
	ResponseEntity<JobView> cancel(@PathVariable String id) {
		Job job = jobs.cancel(id);
		JobView view = JobView.of(job, true);
		return ResponseEntity.status(view.state().isTerminal() ? HttpStatus.OK : HttpStatus.ACCEPTED).body(view);
	}

	@GetMapping(path = "/{id}/stdout", produces = MediaType.TEXT_PLAIN_VALUE)
	@Operation(operationId = "getJobStdout", summary = "Standard output", description = OUTPUT_DESCRIPTION)
	@ApiResponse(responseCode = "200", description = "The output",
			content = @Content(mediaType = MediaType.TEXT_PLAIN_VALUE, schema = @Schema(type = "string")))
	@ApiResponse(responseCode = "206", description = "The range asked for, from the output file",
			content = @Content(mediaType = MediaType.TEXT_PLAIN_VALUE, schema = @Schema(type = "string")))
	@ApiResponse(responseCode = "416", description = "A range outside the output file",
			content = @Content(mediaType = MediaType.TEXT_PLAIN_VALUE))
	@ApiResponse(responseCode = "307",
			description = "Cluster mode: the job's output file is on another live node, whose advertised URL is in "
					+ "Location; follow it with the same API key (and Range)")
	@ApiResponse(responseCode = "404", description = "No such job",
			content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = Problem.class),
					examples = @ExampleObject(name = "job-not-found", ref = REF + "job-not-found")))
	ResponseEntity<?> stdout(@PathVariable String id) {
		return output(jobs.get(id), "stdout");
	}

	@GetMapping(path = "/{id}/stderr", produces = MediaType.TEXT_PLAIN_VALUE)
	@Operation(operationId = "getJobStderr", summary = "Standard error", description = OUTPUT_DESCRIPTION)
	@ApiResponse(responseCode = "200", description = "The output",
			content = @Content(mediaType = MediaType.TEXT_PLAIN_VALUE, schema = @Schema(type = "string")))
	@ApiResponse(responseCode = "206", description = "The range asked for, from the output file",
			content = @Content(mediaType = MediaType.TEXT_PLAIN_VALUE, schema = @Schema(type = "string")))
	@ApiResponse(responseCode = "416", description = "A range outside the output file",
			content = @Content(mediaType = MediaType.TEXT_PLAIN_VALUE))
	@ApiResponse(responseCode = "307",
			description = "Cluster mode: the job's output file is on another live node, whose advertised URL is in "
					+ "Location; follow it with the same API key (and Range)")
	@ApiResponse(responseCode = "404", description = "No such job",
			content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = Problem.class),
					examples = @ExampleObject(name = "job-not-found", ref = REF + "job-not-found")))
	ResponseEntity<?> stderr(@PathVariable String id) {
		return output(jobs.get(id), "stderr");
	}

	private static final String OUTPUT_DESCRIPTION = "A process job's output as it is kept in its output file "
			+ "on the node that runs it (the whole stream up to jobexec.process.max-output-file, growing while the "
			+ "job runs), with Range requests. Any other node redirects there (307) while that node is live; "
			+ "without a file (thread jobs, a node that is gone, swept files), the head and tail kept in the store, "
			+ "empty until the job ends. A retried job's files hold its last attempt's output.";

	/**
	 * The stream's output file as a resource (Spring MVC answers a Range with 206 and the
	 * part asked for), or the head and tail the store keeps.
	 */
	private ResponseEntity<?> output(Job job, String stream) {
		MediaType text = new MediaType(MediaType.TEXT_PLAIN, java.nio.charset.StandardCharsets.UTF_8);
		java.util.Optional<java.nio.file.Path> file = outputFiles.find(job.id(), job.outputAttempt(), stream);
		if (file.isPresent()) {
			return ResponseEntity.ok().contentType(text).body(new FileSystemResource(file.get()));
		}
		java.util.Optional<String> node = location.otherNode(job);
		if (node.isPresent()) {
			return ResponseEntity.status(HttpStatus.TEMPORARY_REDIRECT)
				.location(java.net.URI.create(node.get() + "/api/v1/jobs/" + job.id() + "/" + stream))
				.build();
		}
		CapturedOutput output = stream.equals("stdout") ? job.stdout() : job.stderr();
		return ResponseEntity.ok().contentType(text).body((output != null) ? output.text() : "");
	}

	static Duration preferredWait(String prefer) {
		if (prefer == null) {
			return null;
		}
		Matcher matcher = PREFER_WAIT.matcher(prefer);
		if (!matcher.find()) {
			return null;
		}
		Duration wait = Duration.ofSeconds(Long.parseLong(matcher.group(1)));
		return (wait.compareTo(MAX_WAIT) > 0) ? MAX_WAIT : wait;
	}

	private static Duration parseWait(String wait) {
		try {
			Duration duration = Duration.parse(wait);
			if (duration.isNegative()) {
				throw InvalidJobException.of("wait", "must not be negative");
			}
			return (duration.compareTo(MAX_WAIT) > 0) ? MAX_WAIT : duration;
		}
		catch (DateTimeParseException ex) {
			throw InvalidJobException.of("wait", "must be an ISO-8601 duration such as PT30S, was '" + wait + "'");
		}
	}

	static JobState parseState(String state) {
		if (state == null) {
			return null;
		}
		try {
			return JobState.valueOf(state.toUpperCase(Locale.ROOT));
		}
		catch (IllegalArgumentException ex) {
			throw InvalidJobException.of("state", "must be one of " + List.of(JobState.values()));
		}
	}

	static Map<String, String> parseLabels(List<String> labels) {
		if (labels == null || labels.isEmpty()) {
			return null;
		}
		Map<String, String> parsed = new LinkedHashMap<>();
		for (String label : labels) {
			int colon = label.indexOf(':');
			if (colon <= 0) {
				throw InvalidJobException.of("label", "must be key:value, was '" + label + "'");
			}
			parsed.put(label.substring(0, colon), label.substring(colon + 1));
		}
		return parsed;
	}

}
