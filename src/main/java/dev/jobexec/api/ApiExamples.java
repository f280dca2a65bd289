package dev.jobexec.api;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.jobexec.problem.Problems;
import io.swagger.v3.oas.models.examples.Example;

/**
 * The example answers of the OpenAPI document, one per problem type and one per kind of
 * job answer, written as the service really answers: the operations refer to them by name
 * ({@link #REF}).
 */
final class ApiExamples {

	/** Where an {@code @ExampleObject(ref = ...)} finds an example of this class. */
	static final String REF = "#/components/examples/";

	private static final String JOB_ID = "019a8d5e-7c1f-7d2a-9b3e-2f6c1a4b5d6e";

	private ApiExamples() {
	}

	static Map<String, Example> all() {
		Map<String, Example> examples = new LinkedHashMap<>();
		examples.put("process-accepted", example("A process job, just accepted", job("process", "PROCESS", "QUEUED",
				Map.of("command", List.of("/bin/echo", "hello"), "labels", Map.of("team", "reports")), Map.of())));
		examples.put("process-succeeded", example("A process job that ended", job("process", "PROCESS", "SUCCEEDED",
				Map.of("command", List.of("/bin/echo", "hello"), "labels", Map.of("team", "reports")),
				ordered("startedAt", "2026-11-30T09:15:02.130Z", "finishedAt", "2026-11-30T09:15:02.148Z", "pid", 48211,
						"exitCode", 0, "stdout", ordered("text", "hello\n", "bytes", 6, "truncated", false), "stderr",
						ordered("text", "", "bytes", 0, "truncated", false)))));
		examples.put("task-succeeded",
				example("A task job that ended",
						job("thread", "TASK", "SUCCEEDED", Map.of("task", "echo", "params", Map.of("message", "hi")),
								ordered("startedAt", "2026-11-30T09:15:02.130Z", "finishedAt",
										"2026-11-30T09:15:02.135Z", "result", "hi"))));
		examples.put("cancelled", example("A job cancelled before it ended",
				job("thread", "TASK", "CANCELLED", Map.of("task", "sleep", "params", Map.of("duration", "PT20S")),
						ordered("startedAt", "2026-11-30T09:15:02.130Z", "finishedAt", "2026-11-30T09:15:03.002Z",
								"error", "cancelled", "terminationReason", "CANCELLED"))));
		examples.put("cancelling",
				example("A process job whose termination ladder is running",
						job("process", "PROCESS", "RUNNING", Map.of("command", List.of("/bin/sleep", "600")),
								ordered("startedAt", "2026-11-30T09:15:02.130Z", "pid", 48211))));
		Map<String, Object> listed = job("process", "PROCESS", "SUCCEEDED",
				Map.of("command", List.of("/bin/echo", "hello"), "labels", Map.of("team", "reports")),
				ordered("startedAt", "2026-11-30T09:15:02.130Z", "finishedAt", "2026-11-30T09:15:02.148Z", "pid", 48211,
						"exitCode", 0, "stdout", ordered("bytes", 6, "truncated", false), "stderr",
						ordered("bytes", 0, "truncated", false)));
		examples.put("job-page", example("A page of jobs, without output text, and the cursor of the next one",
				ordered("items", List.of(listed), "nextCursor", JOB_ID)));
		examples.put("process-pool", example("The process pool with its defaults, idle",
				ordered("name", "process", "type", "process", "maxConcurrency", 2, "queueCapacity", 100, "active", 0,
						"queued", 0, "completed", 42, "rejected", 0, "stuckThreads", 0, "defaultTimeout", "PT5M",
						"maxTimeout", "PT1H", "killGrace", "PT5S", "accepting", true)));
		examples.put("invalid-request",
				problem(400, "invalid-request", "Invalid request",
						"timeout: exceeds the max-timeout of pool 'process' (PT1H)", "/api/v1/jobs", "errors",
						Map.of("timeout", "exceeds the max-timeout of pool 'process' (PT1H)")));
		examples.put("unauthorized", problem(401, "unauthorized", "Unauthorized",
				"Give an API key as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'", "/api/v1/jobs"));
		examples.put("command-not-allowed",
				problem(403, "command-not-allowed", "Command not allowed",
						"'/opt/tools/report' resolves to '/opt/tools/report', which matches no rule of "
								+ "jobexec.process.allowed-commands [/usr/bin/*, /bin/*, /usr/local/bin/*]",
						"/api/v1/jobs", "command", "/opt/tools/report", "rule", "jobexec.process.allowed-commands"));
		examples.put("unknown-pool", problem(404, "unknown-pool", "Unknown pool",
				"No pool is named 'reports'; pools: process, thread", "/api/v1/jobs", "pool", "reports"));
		examples.put("unknown-task", problem(404, "unknown-task", "Unknown task",
				"No task is named 'report'; tasks: cpu, echo, fail, sleep", "/api/v1/jobs", "task", "report"));
		examples.put("job-not-found",
				problem(404, "job-not-found", "Job not found",
						"No job has the id '" + JOB_ID + "'; finished jobs are kept only up to the retention",
						"/api/v1/jobs/" + JOB_ID, "jobId", JOB_ID));
		examples.put("job-finished",
				problem(409, "job-finished", "Job already finished",
						"Job " + JOB_ID + " has already finished as SUCCEEDED and cannot be cancelled",
						"/api/v1/jobs/" + JOB_ID, "jobId", JOB_ID, "state", "SUCCEEDED"));
		examples.put("request-too-large", problem(413, "request-too-large", "Request too large",
				"The request body is larger than 2097152 bytes (jobexec.limits.max-request-size)", "/api/v1/jobs"));
		examples.put("idempotency-key-reused",
				problem(422, "idempotency-key-reused", "Idempotency key reused",
						"This Idempotency-Key was first sent with another request, accepted as job " + JOB_ID
								+ "; a new job needs a new key",
						"/api/v1/jobs", "jobId", JOB_ID));
		examples.put("queue-full",
				problem(429, "queue-full", "Queue full",
						"Pool 'process' is running at its limit and its queue of 100 is full; retry later",
						"/api/v1/jobs", "pool", "process"));
		examples.put("shutting-down",
				problem(503, "shutting-down", "Shutting down",
						"The service is shutting down and accepts no new jobs; retry against another instance or later",
						"/api/v1/jobs", "pool", "process"));
		examples.put("store-unavailable", problem(503, "store-unavailable", "Job store unavailable",
				"The job store cannot be written, so the job was not accepted: the disk is full", "/api/v1/jobs"));
		return examples;
	}

	private static Map<String, Object> job(String pool, String kind, String state, Map<String, Object> request,
			Map<String, Object> outcome) {
		Map<String, Object> job = ordered("id", JOB_ID, "pool", pool, "kind", kind, "state", state);
		for (String field : List.of("command", "task", "params")) {
			if (request.containsKey(field)) {
				job.put(field, request.get(field));
			}
		}
		job.put("timeout", pool.equals("process") ? "PT5M" : "PT1M");
		job.put("daemon", false);
		if (request.containsKey("labels")) {
			job.put("labels", request.get("labels"));
		}
		job.put("submittedAt", "2026-11-30T09:15:02.118Z");
		job.putAll(outcome);
		return job;
	}

	private static Example problem(int status, String type, String title, String detail, String instance,
			Object... members) {
		Map<String, Object> problem = ordered("type", Problems.TYPE_BASE + type, "title", title, "status", status,
				"detail", detail, "instance", instance);
		problem.putAll(ordered(members));
		return example(title, problem);
	}

	private static Example example(String summary, Map<String, Object> value) {
		return new Example().summary(summary).value(value);
	}

	private static Map<String, Object> ordered(Object... keysAndValues) {
		Map<String, Object> map = new LinkedHashMap<>();
		for (int i = 0; i < keysAndValues.length; i += 2) {
			map.put((String) keysAndValues[i], keysAndValues[i + 1]);
		}
		return map;
	}

}
