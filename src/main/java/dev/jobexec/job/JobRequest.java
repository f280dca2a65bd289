package dev.jobexec.job;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.swagger.v3.oas.annotations.media.Schema;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;

/** A submission: exactly one of {@code command} or {@code task}, and how to run it. */
@Schema(description = "A job to run: give exactly one of `command` (a process job) or `task` (a thread job).")
public record JobRequest(
		@Schema(description = "Pool to run in; defaults to `process` for a command and `thread` for a task",
				example = "process") @Size(max = 64) String pool,
		@Schema(description = "argv of a process job; no shell is involved unless argv names one",
				example = "[\"/bin/echo\", \"hello\"]") @Size(min = 1) List<@NotNull String> command,
		@Schema(description = "Name of a registered task (see GET /api/v1/tasks)", example = "sleep") @Size(min = 1,
				max = 128) String task,
		@Schema(description = "Parameters of the task",
				example = "{\"duration\": \"PT2S\"}") Map<String, Object> params,
		@Schema(description = "Text written to the process's standard input") String stdin,
		@Schema(description = "Environment of the process; it does not inherit the service's",
				example = "{\"GREETING\": \"hello\"}") Map<String, String> env,
		@Schema(description = "Directory to run in, relative to the pool's base directory",
				example = "reports") @Size(max = 4096) String workingDirectory,
		@Schema(description = "ISO-8601 duration after which the job is terminated; defaults to the pool's",
				type = "string", example = "PT30S") Duration timeout,
		@Schema(description = "true: terminated as soon as the service shuts down; false: drained",
				defaultValue = "false") Boolean daemon,
		@Schema(description = "Free key/value labels to filter by",
				example = "{\"team\": \"reports\"}") Map<String, String> labels,
		@Schema(description = "What a process job may use, enforced through its own cgroup; each defaults to the "
				+ "pool's limit, which is also the most it may ask for") Limits limits,
		@Schema(description = "Whether and when the job runs again after an attempt that did not succeed; each "
				+ "field defaults to the pool's retry policy, else to the defaults shown") Retry retry) {

	/** A submission without a retry policy of its own. */
	public JobRequest(String pool, List<String> command, String task, Map<String, Object> params, String stdin,
			Map<String, String> env, String workingDirectory, Duration timeout, Boolean daemon,
			Map<String, String> labels, Limits limits) {
		this(pool, command, task, params, stdin, env, workingDirectory, timeout, daemon, labels, limits, null);
	}

	/** A submission without limits of its own. */
	public JobRequest(String pool, List<String> command, String task, Map<String, Object> params, String stdin,
			Map<String, String> env, String workingDirectory, Duration timeout, Boolean daemon,
			Map<String, String> labels) {
		this(pool, command, task, params, stdin, env, workingDirectory, timeout, daemon, labels, null);
	}

	/**
	 * What a process job asks to be limited to: memory of all its processes together (a
	 * size such as {@code 64MB}), processes at once, and CPU in cores.
	 */
	@Schema(description = "Limits of one process job; a memory kill ends it FAILED with terminationReason MEMORY_LIMIT")
	public record Limits(
			@Schema(description = "Memory of all the job's processes together: bytes, or a size such as 64MB or 1GB",
					example = "64MB") @Size(max = 32) String memory,
			@Schema(description = "Processes (and threads) the job may have at once", example = "50") Integer processes,
			@Schema(description = "CPU time in cores: 0.5 is half a core", example = "0.5") Double cpu) {
	}

	/**
	 * When a job runs again: after an attempt that ended in one of {@code on}, up to
	 * {@code maxAttempts} attempts in all, waiting {@code backoff} before the second,
	 * twice that before the third, and so on up to {@code maxBackoff}.
	 */
	@Schema(description = "Retries with exponential backoff. Each attempt is recorded in the job's `attempts`; "
			+ "between attempts the job is QUEUED with `nextAttemptAt`")
	public record Retry(
			@Schema(description = "Attempts in all, the first included (1: never retried); at most 100",
					example = "3") Integer maxAttempts,
			@Schema(description = "ISO-8601 wait before the second attempt; doubled before each further one",
					type = "string", example = "PT1S", defaultValue = "PT1S") Duration backoff,
			@Schema(description = "ISO-8601 cap of the wait between two attempts", type = "string", example = "PT1M",
					defaultValue = "PT1M") Duration maxBackoff,
			@Schema(description = "The outcomes that are retried, among FAILED, TIMED_OUT and LOST. LOST (the "
					+ "service or node died while the job ran) only when named: the job may have had effects",
					example = "[\"FAILED\", \"TIMED_OUT\"]") List<@NotNull String> on,
			@Schema(description = "Draws each wait at random between half of it and all of it",
					defaultValue = "false") Boolean jitter) {
	}

	public JobKind kind() {
		return (command != null) ? JobKind.PROCESS : JobKind.TASK;
	}

}
