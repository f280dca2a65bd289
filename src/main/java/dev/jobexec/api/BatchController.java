package dev.jobexec.api;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import dev.jobexec.job.InvalidJobException;
import dev.jobexec.job.Job;
import dev.jobexec.job.JobRequest;
import dev.jobexec.job.JobService;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import lombok.RequiredArgsConstructor;

import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.support.ServletUriComponentsBuilder;

import static dev.jobexec.api.OpenApiConfiguration.PROBLEM_JSON;

/** Batch submission: many jobs in one request, admitted all together or not at all. */
@RestController
@RequestMapping("/api/v1/jobs/batch")
@RequiredArgsConstructor
@Tag(name = "Jobs")
class BatchController {

	private final JobService jobs;

	/** A batch of submissions, each as {@code POST /api/v1/jobs} takes one. */
	@Schema(name = "BatchRequest", description = "Jobs to submit together, all or none")
	record BatchRequest(@ArraySchema(minItems = 1, schema = @Schema(implementation = JobRequest.class)) @NotNull @Size(
			min = 1) List<@NotNull @Valid JobRequest> jobs) {
	}

	/** The jobs of a stored batch, in the order they were submitted. */
	@Schema(name = "Batch", description = "A stored batch: its id and its jobs, in the order they were given")
	record BatchView(
			@Schema(requiredMode = Schema.RequiredMode.REQUIRED,
					description = "The batch's id; every job of it has the label `batch` with this value, so "
							+ "`GET /api/v1/jobs?label=batch:{id}` lists them",
					example = "01a2342e-5c51-7032-830f-8e1087efe232") String batch,
			@Schema(requiredMode = Schema.RequiredMode.REQUIRED) List<JobView> jobs) {
	}

	@PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE, produces = MediaType.APPLICATION_JSON_VALUE)
	@Operation(operationId = "submitBatch", summary = "Submit a batch of jobs, all or none",
			description = "Checks every job first (a problem names a field by its job's index, such as "
					+ "`jobs[3].command`), then admits all of them or none: 429 when the batch does not fit its "
					+ "pools' queues. Stores them in one transaction and answers 202 with the jobs in the order "
					+ "given. Each job carries the label `batch` = the batch's id. With `Prefer: wait=N` the answer "
					+ "waits up to N seconds (at most 300) for all of them, and is 200 if all ended in time. At "
					+ "most `jobexec.limits.max-batch-size` jobs (1000 by default).",
			requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(content = @Content(
					schema = @Schema(implementation = BatchRequest.class),
					examples = @ExampleObject(name = "map", summary = "One command over three inputs",
							value = "{\"jobs\": [{\"command\": [\"/bin/echo\", \"a\"]}, {\"command\": [\"/bin/echo\", \"b\"]}, {\"command\": [\"/bin/echo\", \"c\"]}]}"))))
	@ApiResponse(responseCode = "202", description = "Accepted, all of them; `Location` lists them",
			headers = @Header(name = "Location", description = "The listing of the batch's jobs",
					schema = @Schema(format = "uri")),
			content = @Content(mediaType = MediaType.APPLICATION_JSON_VALUE,
					schema = @Schema(implementation = BatchView.class)))
	@ApiResponse(responseCode = "200", description = "Every job finished within `Prefer: wait`",
			headers = {
					@Header(name = "Location", description = "The listing of the batch's jobs",
							schema = @Schema(format = "uri")),
					@Header(name = "Preference-Applied", description = "`wait=N`", schema = @Schema(type = "string")) },
			content = @Content(mediaType = MediaType.APPLICATION_JSON_VALUE,
					schema = @Schema(implementation = BatchView.class)))
	@ApiResponse(responseCode = "400",
			description = "Invalid body, a job invalid (`errors` names `jobs[i].field`), or more jobs than "
					+ "`jobexec.limits.max-batch-size`",
			content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
	@ApiResponse(responseCode = "403", description = "A job's command is not allowed; `index` is the job's",
			content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
	@ApiResponse(responseCode = "404", description = "A job's pool or task is unknown; `index` is the job's",
			content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
	@ApiResponse(responseCode = "413", description = "Body larger than `jobexec.limits.max-request-size`",
			content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
	@ApiResponse(responseCode = "429",
			description = "The batch does not fit a pool's queue; none was stored. Retry after `Retry-After` seconds",
			headers = @Header(name = "Retry-After", schema = @Schema(type = "integer")),
			content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
	@ApiResponse(responseCode = "503",
			description = "Shutting down, or the job store cannot be written; none was stored",
			headers = @Header(name = "Retry-After", schema = @Schema(type = "integer")),
			content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
	ResponseEntity<BatchView> submit(@Valid @RequestBody BatchRequest request,
			@Parameter(description = "`wait=N`, such as `wait=10`: answer once every job has ended, or after N "
					+ "seconds (at most 300) with 202 as usual") @RequestHeader(name = "Prefer",
							required = false) String prefer,
			@Parameter(description = "Not taken on a batch: a batch with one is refused (400), so that a "
					+ "client never believes a retry safe when it is not") @RequestHeader(name = "Idempotency-Key",
							required = false) String idempotencyKey) {
		if (idempotencyKey != null) {
			throw InvalidJobException.of("Idempotency-Key",
					"is not taken on a batch; submit jobs one by one to retry them safely");
		}
		JobService.Batch batch = jobs.submitBatch(request.jobs());
		URI location = ServletUriComponentsBuilder.fromCurrentContextPath()
			.path("/api/v1/jobs")
			.queryParam("label", JobService.BATCH_LABEL + ":" + batch.id())
			.build()
			.toUri();
		HttpHeaders headers = new HttpHeaders();
		headers.setLocation(location);
		Duration wait = JobController.preferredWait(prefer);
		List<Job> now = batch.jobs();
		if (wait != null) {
			now = jobs.awaitAll(batch.jobs(), wait);
			if (now.stream().allMatch((job) -> job.state().isTerminal())) {
				headers.set("Preference-Applied", "wait=" + wait.toSeconds());
				return ResponseEntity.ok().headers(headers).body(view(batch.id(), now));
			}
		}
		return ResponseEntity.accepted().headers(headers).body(view(batch.id(), now));
	}

	private static BatchView view(String id, List<Job> jobs) {
		return new BatchView(id, jobs.stream().map((job) -> JobView.of(job, true)).toList());
	}

}
