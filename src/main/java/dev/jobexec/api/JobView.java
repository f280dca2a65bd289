package dev.jobexec.api;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.jobexec.execution.CapturedOutput;
import dev.jobexec.execution.ResourceUsage;
import dev.jobexec.execution.TerminationReason;
import dev.jobexec.job.Job;
import dev.jobexec.job.JobKind;
import dev.jobexec.job.JobRequest;
import dev.jobexec.job.JobState;
import dev.jobexec.job.RetryPolicy;
import io.swagger.v3.oas.annotations.media.Schema;

import static io.swagger.v3.oas.annotations.media.Schema.RequiredMode.REQUIRED;

/** A job as clients see it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(description = "A job: what was asked, its state, and how it ended")
public record JobView(
		@Schema(requiredMode = REQUIRED, description = "UUIDv7: ids sort by submission time",
				example = "019a8d5e-7c1f-7d2a-9b3e-2f6c1a4b5d6e") String id,
		@Schema(requiredMode = REQUIRED, example = "process") String pool,
		@Schema(requiredMode = REQUIRED) JobKind kind, @Schema(requiredMode = REQUIRED) JobState state,
		@Schema(description = "argv of a process job") List<String> command,
		@Schema(description = "The task of a task job") String task, Map<String, Object> params, String stdin,
		Map<String, String> env, String workingDirectory,
		@Schema(requiredMode = REQUIRED, type = "string", description = "ISO-8601; the pool's default when not given",
				example = "PT5M") Duration timeout,
		@Schema(requiredMode = REQUIRED) boolean daemon, Map<String, String> labels,
		@Schema(requiredMode = REQUIRED) Instant submittedAt, Instant startedAt, Instant finishedAt,
		@Schema(description = "OS process id, also the job's process group id") Long pid,
		@Schema(description = "Exit status of the process; 128+N when a signal N ended it") Integer exitCode,
		@Schema(description = "Signal that ended the process, when one did") Integer signal,
		@Schema(description = "Return value of a task") Object result,
		@Schema(description = "Why the job did not succeed") String error, Output stdout, Output stderr,
		TerminationReason terminationReason,
		@Schema(description = "The node (the run of the service, JOBEXEC_INSTANCE) that holds the job: it claimed "
				+ "it, runs it or ran it; absent while the job waits in the queue") String node,
		@Schema(description = "The limits the job asked for (the pool's apply where it gave none)") JobRequest.Limits limits,
		@Schema(description = "What a finished process job used") Usage usage,
		@Schema(description = "The number of the current or last attempt, from 1; present when the job may be "
				+ "retried", example = "2") Integer attempt,
		@Schema(description = "While the job is QUEUED for its next attempt: when that starts") Instant nextAttemptAt,
		@Schema(description = "The job's retry policy, resolved from its own and its pool's; absent for a job that "
				+ "runs once") RetryView retry,
		@Schema(description = "Every attempt that has started, in order: the earlier ones as they ended, the last "
				+ "as the job is now (its own fields show it whole); present when the job may be "
				+ "retried") List<AttemptView> attempts) {

	/**
	 * The job as it is now; {@code withOutput} false leaves the output text out
	 * (listings).
	 */
	static JobView of(Job job, boolean withOutput) {
		Job.Persisted p = job.persisted();
		var request = p.request();
		boolean retries = p.retry().retries();
		return new JobView(p.id(), p.pool(), request.kind(), p.state(), request.command(), request.task(),
				request.params(), request.stdin(), request.env(), request.workingDirectory(), p.timeout(),
				Boolean.TRUE.equals(request.daemon()), request.labels(), p.submittedAt(), p.startedAt(), p.finishedAt(),
				p.pid(), p.exitCode(), p.signal(), p.result(), p.error(), Output.of(p.stdout(), withOutput),
				Output.of(p.stderr(), withOutput), p.terminationReason(), p.instance(), request.limits(),
				Usage.of(p.usage()), retries ? p.attempt() : null, p.nextAttemptAt(), retries ? RetryView.of(p) : null,
				retries ? AttemptView.of(p) : null);
	}

	/** A job's retry policy as clients gave it (resolved). */
	@Schema(name = "RetryPolicy",
			description = "When the job runs again: after an attempt that ended in one of `on`, up to `maxAttempts` "
					+ "in all, waiting `backoff`, then twice that, and so on up to `maxBackoff`")
	public record RetryView(@Schema(requiredMode = REQUIRED, example = "3") int maxAttempts,
			@Schema(requiredMode = REQUIRED, type = "string", example = "PT1S") Duration backoff,
			@Schema(requiredMode = REQUIRED, type = "string", example = "PT1M") Duration maxBackoff,
			@Schema(requiredMode = REQUIRED, example = "[\"FAILED\", \"TIMED_OUT\"]") List<JobState> on,
			@Schema(requiredMode = REQUIRED) boolean jitter) {

		static RetryView of(Job.Persisted p) {
			RetryPolicy retry = p.retry();
			return new RetryView(retry.maxAttempts(), retry.backoff(), retry.maxBackoff(), List.copyOf(retry.on()),
					retry.jitter());
		}

	}

	/** One attempt of a job that may be retried. */
	@JsonInclude(JsonInclude.Include.NON_NULL)
	@Schema(name = "Attempt",
			description = "One attempt: when it ran, how it ended (absent while it runs), and on which node")
	public record AttemptView(@Schema(requiredMode = REQUIRED, example = "1") int number,
			@Schema(requiredMode = REQUIRED) Instant startedAt, Instant finishedAt,
			@Schema(requiredMode = REQUIRED) JobState state, Integer exitCode, Integer signal,
			TerminationReason terminationReason, String error, String node) {

		/** The attempts that ended before, then the current one if it has started. */
		static List<AttemptView> of(Job.Persisted p) {
			List<AttemptView> views = new java.util.ArrayList<>();
			for (Job.Attempt attempt : p.attempts()) {
				views.add(new AttemptView(attempt.number(), attempt.startedAt(), attempt.finishedAt(), attempt.state(),
						attempt.exitCode(), attempt.signal(), attempt.terminationReason(), attempt.error(),
						attempt.node()));
			}
			if (p.startedAt() != null) {
				views.add(new AttemptView(p.attempt(), p.startedAt(), p.finishedAt(), p.state(), p.exitCode(),
						p.signal(), p.terminationReason(), p.error(), p.instance()));
			}
			return views;
		}

	}

	/** What a finished process job used, and where the figures come from. */
	@JsonInclude(JsonInclude.Include.NON_NULL)
	@Schema(description = "What a process job used. From its cgroup: every process it had. From rusage (no cgroup): "
			+ "the leader and the children it waited for, with peakMemory the largest resident set of one of them")
	public record Usage(
			@Schema(type = "string", description = "CPU time in user mode, ISO-8601",
					example = "PT0.012S") Duration cpuUser,
			@Schema(type = "string", description = "CPU time in the kernel on the job's behalf, ISO-8601",
					example = "PT0.004S") Duration cpuSystem,
			@Schema(description = "Peak memory in bytes", example = "1835008") Long peakMemory,
			@Schema(description = "The most processes the job had at once (cgroup only)", example = "3") Long processes,
			@Schema(requiredMode = REQUIRED, allowableValues = {
					"cgroup", "rusage" }, description = "Where the figures come from") String source){

		static Usage of(ResourceUsage usage) {
			return (usage == null) ? null : new Usage(usage.cpuUser(), usage.cpuSystem(), usage.peakMemory(),
					usage.processes(), usage.source());
		}

	}

	/**
	 * Captured output of one stream: the kept text (head and tail), the total size,
	 * whether bytes were dropped from the text, and how much the output file keeps.
	 */
	@JsonInclude(JsonInclude.Include.NON_NULL)
	public record Output(@Schema(description = "Kept text; omitted in lists") String text, long bytes,
			boolean truncated,
			@Schema(description = "Bytes of the stream kept whole in the job's output file, from its first byte, "
					+ "and served by /stdout and /stderr (with Range); absent without a file") Long kept,
			@Schema(description = "Why the output file stopped short of the stream, other than its size limit "
					+ "(such as a full disk)") String keptError) {

		static Output of(CapturedOutput output, boolean withText) {
			return (output == null) ? null : new Output(withText ? output.text() : null, output.bytes(),
					output.truncated(), output.kept(), output.keptError());
		}

	}

}
